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

/**
 * The argument of the CBOR head at `at`; -1 for indefinite lengths, 8-byte
 * arguments and a head cut short by the end of `b` (a truncated answer,
 * left to the decoder, which names it malformed).
 */
function cborArgument(b: Buffer, at: number): number {
  const info = b[at]! & 0x1f;
  if (info < 24) return info;
  if (at + cborHeadBytes(b, at) > b.length) return -1;
  if (info === 24) return b[at + 1]!;
  if (info === 25) return (b[at + 1]! << 8) | b[at + 2]!;
  if (info === 26) return b.readUInt32BE(at + 1);
  return -1;
}

/** Bytes of the CBOR head at `at` (definite lengths, arguments up to 4 bytes). */
function cborHeadBytes(b: Buffer, at: number): number {
  const info = b[at]! & 0x1f;
  return info < 24 ? 1 : info === 24 ? 2 : info === 25 ? 3 : 5;
}

/**
 * True when the text string item at `at` (head included) is the ASCII
 * `name`, of under 24 characters: a one-byte head (the shortest form, which
 * the service writes) and the characters.
 */
function cborTextIs(b: Buffer, at: number, name: string): boolean {
  const n = name.length;
  if (b[at] !== 0x60 + n) return false;
  for (let i = 0; i < n; i++) if (b[at + 1 + i] !== name.charCodeAt(i)) return false;
  return true;
}

/**
 * The offset after the item at `at` when it is one the answers hold at the
 * top level or in a result: an unsigned integer, a text or byte string, or
 * null, false or true (definite lengths); -1 for anything else (maps,
 * arrays, tags, floats, indefinite lengths), which the caller leaves to the
 * decoder.
 */
function cborSkipScalar(b: Buffer, at: number): number {
  const head = b[at];
  if (head === undefined) return -1;
  const major = head >> 5;
  if (major === 7) return head >= 0xf4 && head <= 0xf6 ? at + 1 : -1;
  const n = cborArgument(b, at);
  if (n < 0) return -1;
  if (major === 0) return at + cborHeadBytes(b, at);
  if (major === 2 || major === 3) return at + cborHeadBytes(b, at) + n;
  return -1;
}

/**
 * allDelivered for a CBOR answer (wire-format.ts), walked item by item
 * without decoding it into objects: a map whose `<countField>` is the
 * integer 0 and whose `Records` array holds exactly `sent` maps, each with a
 * non-empty `<idField>` text string and any `ErrorCode` null (kinesis-mock
 * writes `ErrorCode: null` on successes). Anything else (a failure, another
 * count, indefinite lengths, tags, an answer cut short) is false, and the
 * caller decodes the answer whole, which decides. Searching the bytes for
 * each key instead cost one native call per result (about 2.5 % of the
 * agent's CPU at full speed, docs/performance.md).
 */
export function allDeliveredCbor(answer: Buffer, sent: number, countField: string, idField: string): boolean {
  const b = answer;
  if (sent === 0 || b.length < 2 || b[0]! >> 5 !== 5) return false;
  const fields = cborArgument(b, 0);
  if (fields < 0) return false;
  let at = cborHeadBytes(b, 0);
  let counted = false;
  let listed = false;
  for (let f = 0; f < fields; f++) {
    if (at >= b.length || b[at]! >> 5 !== 3) return false;
    const key = at;
    at = cborSkipScalar(b, at);
    if (at < 0 || at >= b.length) return false;
    if (cborTextIs(b, key, countField)) {
      if (b[at] !== 0x00) return false;
      counted = true;
      at++;
    } else if (cborTextIs(b, key, 'Records')) {
      if (b[at]! >> 5 !== 4 || cborArgument(b, at) !== sent) return false;
      at += cborHeadBytes(b, at);
      for (let r = 0; r < sent; r++) {
        if (at >= b.length || b[at]! >> 5 !== 5) return false;
        const members = cborArgument(b, at);
        if (members < 0) return false;
        at += cborHeadBytes(b, at);
        let id = false;
        for (let m = 0; m < members; m++) {
          const name = at;
          if (at >= b.length || b[at]! >> 5 !== 3) return false;
          at = cborSkipScalar(b, at);
          if (at < 0 || at >= b.length) return false;
          const value = b[at]!;
          if (cborTextIs(b, name, idField)) {
            if (value >> 5 !== 3 || cborArgument(b, at) <= 0) return false;
            id = true;
          } else if (value !== 0xf6 && cborTextIs(b, name, 'ErrorCode')) return false;
          at = cborSkipScalar(b, at);
          if (at < 0 || at > b.length) return false;
        }
        if (!id) return false;
      }
      listed = true;
    } else {
      at = cborSkipScalar(b, at);
      if (at < 0 || at > b.length) return false;
    }
  }
  return counted && listed && at === b.length;
}
