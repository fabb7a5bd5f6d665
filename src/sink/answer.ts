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

/** A CBOR map key of under 24 ASCII characters as its bytes, a latin1 string for Buffer#indexOf. */
function cborKey(name: string): string {
  return String.fromCharCode(0x60 + name.length) + name;
}

/**
 * allDelivered for a CBOR answer (wire-format.ts), read without decoding
 * it: a map; `<countField>` with the integer 0; every `ErrorCode` key
 * null (kinesis-mock writes `ErrorCode: null` on successes); exactly `sent`
 * `<idField>` keys, each with a non-empty text string. Anything else is
 * false, and the caller decodes the answer whole. Field names must be under
 * 24 characters (one-byte CBOR heads), as FailedRecordCount and
 * SequenceNumber are.
 */
export function allDeliveredCbor(answer: Buffer, sent: number, countField: string, idField: string): boolean {
  const n = answer.length;
  if (sent === 0 || n < 2 || answer[0]! >> 5 !== 5) return false;
  const count = cborKey(countField);
  const zero = answer.indexOf(count, 0, 'latin1');
  if (zero < 0 || answer[zero + count.length] !== 0x00) return false;
  const error = cborKey('ErrorCode');
  for (let at = answer.indexOf(error, 0, 'latin1'); at >= 0; at = answer.indexOf(error, at + error.length, 'latin1')) {
    if (answer[at + error.length] !== 0xf6) return false;
  }
  const id = cborKey(idField);
  let found = 0;
  for (let at = answer.indexOf(id, 0, 'latin1'); at >= 0; at = answer.indexOf(id, at + id.length, 'latin1')) {
    const head = answer[at + id.length];
    // A text string: 1-23 bytes in the head, or a 1-, 2- or 4-byte length that is not 0.
    const text = head !== undefined && ((head >= 0x61 && head <= 0x77) || (head === 0x78 && (answer[at + id.length + 1] ?? 0) > 0) || head === 0x79 || head === 0x7a);
    if (!text) return false;
    if (++found > sent) return false;
  }
  return found === sent;
}
