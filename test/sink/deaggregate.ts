/** Reads KPL aggregated records back with the aws-kinesis-agg library, as a consumer would. */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface UserRecord {
  partitionKey: string;
  data: string;
}

interface AggLibrary {
  deaggregateSync(
    record: { partitionKey: string; sequenceNumber: string; data: string },
    computeChecksums: boolean,
    done: (err: Error | null, records?: UserRecord[]) => void,
  ): void;
}

const agg = require('aws-kinesis-agg') as AggLibrary;

export interface Deaggregated {
  partitionKey: string;
  data: Buffer;
}

/** The user records inside one stored record (itself, when it is not aggregated). */
export function deaggregate(data: Buffer, partitionKey: string): Deaggregated[] {
  let out: Deaggregated[] = [];
  let failure: Error | null = null;
  agg.deaggregateSync({ partitionKey, sequenceNumber: '1', data: data.toString('base64') }, true, (err, records) => {
    failure = err;
    out = (records ?? []).map((r) => ({ partitionKey: r.partitionKey, data: Buffer.from(r.data, 'base64') }));
  });
  if (failure) throw failure;
  return out;
}
