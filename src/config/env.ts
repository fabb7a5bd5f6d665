/**
 * `${VAR}` and `${VAR:-default}` in string values, as a shell would expand
 * them (an empty variable takes the default too). `$${` stands for a literal `${`.
 */
export type Substitution = { ok: true; value: string } | { ok: false; message: string; hint: string };

const TOKEN = /\$\$\{|\$\{([^}]*)\}?/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function substituteEnv(text: string, env: NodeJS.ProcessEnv): Substitution {
  if (!text.includes('${')) return { ok: true, value: text };
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
  if (bad !== undefined) {
    return {
      ok: false,
      message: `malformed environment reference \`${bad}\``,
      hint: 'write ${NAME} or ${NAME:-default}; write $${ for a literal ${',
    };
  }
  if (missing.length > 0) {
    const names = missing.map((n) => `\`${n}\``).join(', ');
    return {
      ok: false,
      message: `environment variable ${names} is not set`,
      hint: `set ${missing[0]} in the agent's environment, or give a default: \${${missing[0]}:-value}`,
    };
  }
  return { ok: true, value };
}
