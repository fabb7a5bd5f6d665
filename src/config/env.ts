/**
 * `${VAR}` and `${VAR:-default}` in string values, as a shell would expand
 * them (an empty variable takes the default too). `$${` stands for a literal `${`.
 *
 * The Kinesis Agent expands nothing, so a `${` in one of its configs is
 * text. To keep such a config's meaning, a reference that cannot be expanded
 * (an unset variable without a default, or a malformed reference) stays as
 * written and is reported as a warning, never refused; and the keys whose
 * values are regular expressions are never expanded at all (NO_ENV_KEYS).
 */
export interface Substitution {
  value: string;
  /** Why some reference was kept as written. */
  kept?: { message: string; hint: string };
}

/** Regular expressions, where `${` is a quantifier or text, never a variable. */
export const NO_ENV_KEYS: ReadonlySet<string> = new Set(['multiLineStartPattern', 'fileFooterPattern', 'matchPattern', 'delimiter']);

const TOKEN = /\$\$\{|\$\{([^}]*)\}?/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function substituteEnv(text: string, env: NodeJS.ProcessEnv): Substitution {
  if (!text.includes('${')) return { value: text };
  const missing: string[] = [];
  let bad: string | undefined;
  const value = text.replace(TOKEN, (whole: string, body: string | undefined) => {
    if (whole === '$${') return '${';
    if (!whole.endsWith('}')) {
      bad ??= whole;
      return whole;
    }
    const body_ = body ?? '';
    const sep = body_.indexOf(':-');
    const name = sep === -1 ? body_ : body_.slice(0, sep);
    if (!NAME.test(name)) {
      bad ??= whole;
      return whole;
    }
    const set = env[name];
    if (set !== undefined && set !== '') return set;
    if (sep !== -1) return body_.slice(sep + 2);
    if (set === '') return '';
    missing.push(name);
    return whole;
  });
  if (missing.length > 0) {
    const names = missing.map((n) => `\`${n}\``).join(', ');
    return {
      value,
      kept: {
        message: `environment variable ${names} is not set; the text is kept as written`,
        hint: `set ${missing[0]} in the agent's environment, give a default (\${${missing[0]}:-value}), or write $\${ for a literal \${`,
      },
    };
  }
  if (bad !== undefined) {
    return {
      value,
      kept: { message: `\`${bad}\` is not an environment reference and is kept as written`, hint: 'write ${NAME} or ${NAME:-default}; write $${ for a literal ${' },
    };
  }
  return { value };
}
