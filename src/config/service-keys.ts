/**
 * `<service>.endpoint` and `<service>.region` keys (Kinesis, Firehose,
 * CloudWatch at the top level, STS's endpoint; a destination's pair inside
 * its flows), read through their rows the one way the Kinesis Agent's users
 * write them: a bare host gets `https://`, and empty means not given (its
 * shipped default config has `"kinesis.endpoint": ""`).
 */
import type { KeyRow } from './key-row.js';
import type { Reader } from './reader.js';
import { normalizeEndpoint, regionFromEndpoint, REGION_SHAPE } from './region.js';
import type { ServiceEndpoint } from './types.js';

/** An endpoint key as a URL; undefined when absent, empty or refused (the problem reported). */
export function readEndpoint(r: Reader, row: KeyRow & { type: 'string' }): string | undefined {
  const raw = r.read(row);
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = normalizeEndpoint(raw);
  if (n.ok) return n.url;
  r.fail(row.name, n.message, n.hint);
  return undefined;
}

/** A region key; undefined when absent, empty or not shaped like a region (the problem reported). */
export function readRegion(r: Reader, row: KeyRow & { type: 'string' }): string | undefined {
  const v = r.read(row) || undefined;
  if (v !== undefined && !REGION_SHAPE.test(v)) {
    r.fail(row.name, `\`${v}\` is not a region name`, 'write a region such as us-west-2');
    return undefined;
  }
  return v;
}

/**
 * A service's endpoint and region from its pair of rows (`<service>.endpoint`,
 * `<service>.region`); the region comes from the endpoint host when not given.
 */
export function readServiceKeys(r: Reader, rows: readonly KeyRow[]): ServiceEndpoint {
  const endpointRow = rows.find((row) => row.name.endsWith('.endpoint'));
  const regionRow = rows.find((row) => row.name.endsWith('.region'));
  const endpoint = endpointRow && readEndpoint(r, { ...endpointRow, type: 'string' });
  const region = (regionRow && readRegion(r, { ...regionRow, type: 'string' })) ?? regionFromEndpoint(endpoint);
  const out: ServiceEndpoint = {};
  if (region) out.region = region;
  if (endpoint) out.endpoint = endpoint;
  return out;
}
