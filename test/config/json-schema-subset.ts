/**
 * A validator for the draft-07 keywords `kinesis-agent schema` emits, and
 * only those: any other keyword is an error, so the generator cannot start
 * emitting something this check silently ignores.
 */
import type { JsonSchema } from '../../src/config/schema.js';

const ANNOTATIONS = new Set(['$schema', 'title', 'description', 'default', 'examples']);
const CHECKED = new Set(['type', 'properties', 'items', 'allOf', 'if', 'then', 'const', 'required', 'minimum', 'maximum', 'minProperties', 'pattern']);

function typeOf(v: unknown): string[] {
  if (v === null) return ['null'];
  if (Array.isArray(v)) return ['array'];
  if (typeof v === 'number') return Number.isInteger(v) ? ['integer', 'number'] : ['number'];
  if (typeof v === 'object') return ['object'];
  return [typeof v];
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every violation of `schema` by `value`, as `<path>: <what>`; empty when it validates. */
export function violations(schema: JsonSchema, value: unknown, path = '$'): string[] {
  for (const k of Object.keys(schema)) {
    if (!ANNOTATIONS.has(k) && !CHECKED.has(k)) throw new Error(`${path}: keyword ${k} is outside the checked subset`);
  }
  const out: string[] = [];
  if (schema.type !== undefined) {
    const allowed = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!typeOf(value).some((t) => allowed.includes(t))) return [`${path}: ${typeOf(value)[0]} is not ${allowed.join(' or ')}`];
  }
  if (schema.const !== undefined && value !== schema.const) out.push(`${path}: is not ${JSON.stringify(schema.const)}`);
  if (typeof value === 'number' && typeof schema.minimum === 'number' && value < schema.minimum) out.push(`${path}: ${value} is under the minimum ${schema.minimum}`);
  if (typeof value === 'number' && typeof schema.maximum === 'number' && value > schema.maximum) out.push(`${path}: ${value} is over the maximum ${schema.maximum}`);
  if (typeof value === 'string' && typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) out.push(`${path}: does not match ${schema.pattern}`);
  if (isMap(value)) {
    if (typeof schema.minProperties === 'number' && Object.keys(value).length < schema.minProperties) out.push(`${path}: has fewer than ${schema.minProperties} keys`);
    for (const key of (schema.required as string[] | undefined) ?? []) if (!(key in value)) out.push(`${path}: has no ${key}`);
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const [key, v] of Object.entries(value)) if (props[key]) out.push(...violations(props[key], v, `${path}.${key}`));
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => out.push(...violations(schema.items as JsonSchema, v, `${path}[${i}]`)));
  for (const sub of (schema.allOf as JsonSchema[] | undefined) ?? []) out.push(...violations(sub, value, path));
  if (schema.if && violations(schema.if as JsonSchema, value, path).length === 0 && schema.then) {
    out.push(...violations(schema.then as JsonSchema, value, path));
  }
  return out;
}
