/**
 * Reading the per-entry results of a PutRecords or PutRecordBatch answer,
 * the same for both APIs but for the names of their fields. An answer that
 * does not account for every entry is malformed as a whole; a result that
 * is neither a success nor an error fails its own entry, to be sent again.
 */
import type { EntryFailure } from './adapter.js';
import { MalformedResponseError } from './malformed-response.js';

/** One result as the wire has it: `idField` on success, ErrorCode and ErrorMessage on failure. */
export type EntryResult = Record<string, unknown>;

/** The results in `answer[field]`, one per entry sent, or a MalformedResponseError. */
export function entryResults(api: string, answer: Record<string, unknown>, field: string, sent: number): unknown[] {
  const results = answer[field];
  if (!Array.isArray(results) || results.length !== sent) {
    throw new MalformedResponseError(`${api} answered ${Array.isArray(results) ? results.length : 'no'} results for ${sent} records`);
  }
  return results;
}

/** The failure a result reports, or undefined when it carries `idField` (delivered). */
export function entryFailure(result: unknown, index: number, idField: string): EntryFailure | undefined {
  if (result === null || typeof result !== 'object') return { index, code: 'MalformedResponse', message: 'result is not an object' };
  const r = result as EntryResult;
  if (r.ErrorCode) return { index, code: String(r.ErrorCode), message: String(r.ErrorMessage ?? '') };
  if (!r[idField]) return { index, code: 'MalformedResponse', message: `result has neither ${idField} nor ErrorCode` };
  return undefined;
}

/**
 * True when a successful answer's bytes certainly report every one of
 * `sent` entries delivered, read without parsing it: `"<countField>":0`,
 * no `"ErrorCode"` anywhere, and exactly `sent` non-empty `"<idField>"`
 * values, in a body that begins with `{` and ends with `}`. Anything else
 * (another spelling, spaces, a failure, a count that does not add up) is
 * false, and the caller parses the answer whole (entryResults), which
 * decides. Parsing 500 results made 1,500 objects and strings per call and
 * took about as long again (docs/performance.md).
 */
export function allDelivered(answer: Buffer, sent: number, countField: string, idField: string): boolean {
  const n = answer.length;
  if (sent === 0 || n < 2 || answer[0] !== 0x7b || answer[n - 1] !== 0x7d) return false;
  // Searched as bytes: a latin1 copy of each answer (about 50 KB for 500
  // results) was garbage the collector paid for at every call.
  const count = `"${countField}":0`;
  const zero = answer.indexOf(count, 0, 'latin1');
  if (zero < 0) return false;
  const after = answer[zero + count.length];
  if (after !== 0x2c && after !== 0x7d) return false;
  if (answer.includes('"ErrorCode"', 0, 'latin1')) return false;
  const id = `"${idField}":"`;
  let found = 0;
  for (let at = answer.indexOf(id, 0, 'latin1'); at >= 0; at = answer.indexOf(id, at + id.length + 1, 'latin1')) {
    if (answer[at + id.length] === 0x22) return false;
    if (++found > sent) return false;
  }
  return found === sent;
}
