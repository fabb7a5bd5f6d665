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

const ERROR_CODE = Buffer.from('"ErrorCode"');
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * True when a put answer's bytes show, without parsing them, every one of
 * `sent` entries delivered: no `"ErrorCode"` anywhere, exactly `sent`
 * `idKey`s (`"SequenceNumber"`, `"RecordId"`), and the object closed after
 * the last of them. False means nothing but "parse it": the answer of a
 * call that failed records, a malformed one, or one spelled unusually
 * (escaped keys) is read with entryResults. Parsing 500 results was a
 * fifth of the per-record garbage at full speed (docs/performance.md).
 */
export function allDelivered(bytes: Buffer, idKey: Buffer, sent: number): boolean {
  if (bytes.length === 0 || bytes[bytes.length - 1] !== CLOSE_BRACE) return false;
  if (bytes.indexOf(ERROR_CODE) !== -1) return false;
  let n = 0;
  let last = -1;
  for (let at = bytes.indexOf(idKey); at !== -1; at = bytes.indexOf(idKey, at + idKey.length)) {
    if (++n > sent) return false;
    last = at;
  }
  return n === sent && bytes.indexOf(CLOSE_BRACKET, last) !== -1;
}
