/**
 * Acknowledgements of a call's delivered entries, coalesced: records of one
 * file that follow each other (the next starts where the last ended) are
 * acknowledged as one range. A 500-record call costs the checkpoint tracker
 * one update, not 500 (calls complete out of order, and each early range is
 * held in a map until the gap before it closes). A failed record between
 * two delivered ones is not among `entries`, so the range breaks there and
 * the checkpoint never passes it (DESIGN invariant 1).
 */
import type { Acker, SourceRecord } from '../pipeline/types.js';
import { forEachRecord, recordCount, type Entry } from './entry.js';

/** What acknowledge() released: user records and their bytes (as they count in the queue). */
export interface Released {
  records: number;
  bytes: number;
}

/**
 * Acknowledges every user record in `entries` (delivered, in call order),
 * one ack per run of consecutive records of one file. Returns what they held.
 */
export function acknowledge(entries: readonly Entry[]): Released {
  let acker: Acker | undefined;
  let start = 0;
  let end = 0;
  let records = 0;
  let bytes = 0;
  const visit = (r: SourceRecord): void => {
    if (r.acker === acker && r.start === end) {
      end = r.end;
      return;
    }
    acker?.ack(start, end);
    acker = r.acker;
    start = r.start;
    end = r.end;
  };
  for (const entry of entries) {
    forEachRecord(entry, visit);
    records += recordCount(entry);
    bytes += entry.userBytes;
  }
  acker?.ack(start, end);
  return { records, bytes };
}
