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
