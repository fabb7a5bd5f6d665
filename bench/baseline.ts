/**
 * The baseline the agent is measured against: the least a program must do to
 * ship a file to Kinesis with the same SDK. It streams the file, splits it
 * into lines (newline kept, as the agent sends them), gives each a random
 * partition key and sends PutRecords of 500 records, 8 calls in flight,
 * through @aws-sdk/client-kinesis: over https:// with the client's HTTP/2
 * handler, calls sharing a session (the SDK's Kinesis default, less its
 * session per call); over http:// with a keep-alive NodeHttpHandler. No
 * checkpoints, no retries of failed records, no metrics, no backpressure
 * beyond the 8 calls.
 *
 * With --aggregate it packs lines into KPL aggregated records of up to
 * 1 MiB (partition key included) with the agent's own encoder
 * (dist/sink/kpl.js, AggregateBuilder), 5 MiB and 500 entries per call.
 *
 *   npx node bench/baseline.ts <file> <endpoint> [--aggregate]
 */
import { createReadStream } from 'node:fs';
import { Agent } from 'node:http';
import { KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { NodeHttp2Handler, NodeHttpHandler } from '@smithy/node-http-handler';

// The agent's own encoder, from the build (the agent runs the same code).
const KPL_JS = new URL('../dist/sink/kpl.js', import.meta.url).href;
const { AggregateBuilder } = (await import(KPL_JS)) as typeof import('../src/sink/kpl.ts');

const [file, endpoint] = process.argv.slice(2);
const aggregate = process.argv.includes('--aggregate');
if (!file || !endpoint) {
  console.error('usage: baseline.ts <file> <endpoint> [--aggregate]');
  process.exit(2);
}

const RECORDS_PER_CALL = 500;
const BYTES_PER_CALL = 5 * 1024 * 1024;
const BYTES_PER_RECORD = 1024 * 1024;
const IN_FLIGHT = 8;

const client = new KinesisClient({
  endpoint,
  region: process.env.AWS_REGION ?? 'us-east-1',
  requestHandler: endpoint.startsWith('https:')
    ? new NodeHttp2Handler({ disableConcurrentStreams: false, sessionTimeout: 60_000 })
    : new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 50 }) }),
});

function randomKey(): string {
  return (
    Math.floor(Math.random() * 0x1_0000_0000).toString(16).padStart(8, '0') +
    Math.floor(Math.random() * 0x1_0000_0000).toString(16).padStart(8, '0')
  );
}

let inFlight = 0;
let waiter: (() => void) | undefined;
let failed = 0;

async function send(records: PutRecordsRequestEntry[]): Promise<void> {
  while (inFlight >= IN_FLIGHT) await new Promise<void>((r) => (waiter = r));
  inFlight++;
  client
    .send(new PutRecordsCommand({ StreamName: 'bench', Records: records }))
    .then((out) => {
      failed += out.FailedRecordCount ?? 0;
    })
    .catch((err: unknown) => {
      console.error(`PutRecords failed: ${String(err)}`);
      failed += records.length;
    })
    .finally(() => {
      inFlight--;
      const w = waiter;
      waiter = undefined;
      w?.();
    });
}

let batch: PutRecordsRequestEntry[] = [];
let batchBytes = 0;

async function addEntry(data: Uint8Array, key: string): Promise<void> {
  const cost = data.length + key.length;
  if (batch.length > 0 && (batch.length >= RECORDS_PER_CALL || batchBytes + cost > BYTES_PER_CALL)) {
    const full = batch;
    batch = [];
    batchBytes = 0;
    await send(full);
  }
  batch.push({ Data: data, PartitionKey: key });
  batchBytes += cost;
}

let agg = new AggregateBuilder();
let aggKey = randomKey();

async function closeAggregate(): Promise<void> {
  if (agg.count === 0) return;
  const data = agg.encode();
  const key = aggKey;
  agg = new AggregateBuilder();
  aggKey = randomKey();
  await addEntry(data, key);
}

async function addLine(line: Buffer): Promise<void> {
  if (!aggregate) return addEntry(line, randomKey());
  if (agg.count > 0 && agg.sizeWith(aggKey, line.length) + aggKey.length > BYTES_PER_RECORD) await closeAggregate();
  agg.add(aggKey, line);
}

let carry: Buffer | undefined;
for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
  let pos = 0;
  let buf = chunk;
  if (carry) {
    buf = Buffer.concat([carry, chunk]);
    carry = undefined;
  }
  for (;;) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) break;
    await addLine(buf.subarray(pos, nl + 1));
    pos = nl + 1;
  }
  if (pos < buf.length) carry = Buffer.from(buf.subarray(pos));
}
if (carry) await addLine(carry);
await closeAggregate();
if (batch.length > 0) await send(batch);
while (inFlight > 0) await new Promise<void>((r) => (waiter = r));
client.destroy();
if (failed > 0) console.error(`${failed} records failed`);
process.exit(failed > 0 ? 1 : 0);
