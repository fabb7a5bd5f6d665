/**
 * Firehose bills every record in 5 KB steps, so short lines are packed,
 * whole, into records of at most `aggregatedRecordSizeBytes`. A line is never
 * split; one longer than the target travels alone.
 *
 * Departs from the Kinesis Agent on purpose (its AggregationSplitter, pinned
 * by tailing/AggregationSplitterTest.java in awslabs/amazon-kinesis-agent):
 * there raw lines are packed before dataProcessingOptions, in place of the
 * multi-line splitter, and a record closes once it reaches the size. Here
 * processed records (whole multi-line entries) are packed and a record closes
 * before it would pass the size. docs/delivery.md gives the reasons.
 */
import { copyData, dataLength } from '../../pipeline/line.js';
import type { SourceRecord } from '../../pipeline/types.js';
import type { Cost, Entry, Packer } from '../entry.js';

interface OpenPack {
  records: SourceRecord[];
  bytes: number;
}

export class LinePacker implements Packer {
  private closed: Entry[] = [];
  private open: OpenPack | undefined;
  private bytes = 0;
  private readonly target: number;

  constructor(targetBytes: number, maxRecordBytes: number) {
    this.target = Math.min(targetBytes, maxRecordBytes);
  }

  get entryCount(): number {
    return this.closed.length + (this.open ? 1 : 0);
  }

  get byteCount(): number {
    return this.bytes;
  }

  cost(record: SourceRecord): Cost {
    const len = dataLength(record);
    const fits = this.open !== undefined && this.open.bytes + len <= this.target;
    return { entries: fits ? 0 : 1, bytes: len };
  }

  add(record: SourceRecord): void {
    const len = dataLength(record);
    if (this.open && this.open.bytes + len > this.target) this.close();
    if (!this.open) this.open = { records: [], bytes: 0 };
    this.open.records.push(record);
    this.open.bytes += len;
    this.bytes += len;
  }

  private close(): void {
    const open = this.open;
    if (!open) return;
    this.open = undefined;
    const lone = open.records.length === 1;
    const entry: Entry = { data: lone ? open.records[0]!.data : packed(open.records, open.bytes), partitionKey: '', records: open.records, userBytes: open.bytes };
    if (!lone) entry.packed = true;
    this.closed.push(entry);
  }

  take(): Entry[] {
    this.close();
    const out = this.closed;
    this.closed = [];
    this.bytes = 0;
    return out;
  }
}

/** `records`' bytes back to back in one Buffer of `bytes`, copied from each Line's chunk without a view of its own. */
function packed(records: readonly SourceRecord[], bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const r of records) at = copyData(r, out, at);
  return out;
}
