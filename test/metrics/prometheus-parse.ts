/**
 * A strict reader of the Prometheus text format (0.0.4), enough to prove
 * that /metrics parses: every line is a comment, blank, or
 * `name{label="value",...} number`; every sample's family has TYPE and HELP
 * before it; label values are unescaped.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

export function parsePrometheus(text: string): Sample[] {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const typed = new Map<string, string>();
  const helped = new Set<string>();
  const samples: Sample[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      helped.add(line.split(' ')[2]!);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type!)) throw new Error(`line ${i + 1}: bad type ${type}`);
      if (typed.has(name!)) throw new Error(`line ${i + 1}: TYPE twice for ${name}`);
      typed.set(name!, type!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const name = NAME.exec(line)?.[0];
    if (!name) throw new Error(`line ${i + 1}: no metric name: ${line}`);
    let rest = line.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      rest = rest.slice(1);
      while (!rest.startsWith('}')) {
        const m = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,?)/.exec(rest);
        if (!m) throw new Error(`line ${i + 1}: bad labels: ${line}`);
        labels[m[1]!] = m[2]!.replace(/\\(["\\n])/g, (_s, c: string) => (c === 'n' ? '\n' : c));
        rest = rest.slice(m[0].length);
        if (!m[3] && !rest.startsWith('}')) throw new Error(`line ${i + 1}: expected , or }`);
      }
      rest = rest.slice(1);
    }
    const m = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
    if (!m) throw new Error(`line ${i + 1}: bad value: ${line}`);
    const value = m[1] === '+Inf' ? Infinity : m[1] === '-Inf' ? -Infinity : Number(m[1]);
    if (Number.isNaN(value) && m[1] !== 'NaN') throw new Error(`line ${i + 1}: not a number: ${m[1]}`);
    if (!typed.has(name) || !helped.has(name)) throw new Error(`line ${i + 1}: ${name} has no TYPE/HELP before it`);
    samples.push({ name, labels, value });
  }
  return samples;
}
