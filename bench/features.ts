/**
 * Bench scenarios for the flow options that cost CPU per record:
 * `compression` (gzip, zstd; per record and per KPL aggregate) and the
 * multi-line presets and container formats (`multiLine`, `containerFormat`).
 * bench/run.ts runs them with `--only features` (and in a full run) and
 * appends the section this file writes.
 */
import { createReadStream, existsSync, statSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { DataSet } from './generate.ts';

/** What bench/run.ts measures of one agent run, as far as this file needs it. */
export interface FeatureMeasured {
  label: string;
  ok: boolean;
  problem?: string;
  records: number;
  linesPerSec: number;
  cpuSecPerGB: number;
  peakRssMB: number;
  requests: number;
  stats: { bytes: number; wireBytes: number };
}

export interface FeatureContext {
  data: DataSet;
  /** Runs the agent on one flow (kinesisStream, initialPosition, maxBufferAgeMillis are set) until `expect` records arrived. */
  run(label: string, name: string, flow: Record<string, unknown>, expect: number, inputBytes: number): Promise<FeatureMeasured>;
  log(s: string): void;
}

export interface FeatureResults {
  compression: { run: FeatureMeasured; inputBytes: number }[];
  framing: { run: FeatureMeasured; inputBytes: number; note: string }[];
}

/** Each line of `from` as the container runtime writes it; kept between runs like the rest of the data. */
async function wrap(from: string, to: string, format: 'docker' | 'cri'): Promise<number> {
  if (existsSync(to) && statSync(to).mtimeMs >= statSync(from).mtimeMs) return statSync(to).size;
  const lines = createInterface({ input: createReadStream(from), crlfDelay: Infinity });
  const out: string[] = [];
  let i = 0;
  for await (const line of lines) {
    const time = `2026-11-30T12:${String(Math.floor(i / 60_000) % 60).padStart(2, '0')}:${String(Math.floor(i / 1000) % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}000000Z`;
    out.push(format === 'docker' ? JSON.stringify({ log: `${line}\n`, stream: 'stdout', time }) : `${time} stdout F ${line}`);
    i++;
  }
  writeFileSync(to, `${out.join('\n')}\n`);
  return statSync(to).size;
}

export async function featureScenarios(ctx: FeatureContext): Promise<FeatureResults> {
  const { data } = ctx;
  const r: FeatureResults = { compression: [], framing: [] };
  const n = data.sizes.accessLines;
  const access = data.bytes.access;
  // Compressing each record costs a zlib set-up per record (about 0.13 ms on this machine's
  // class of CPU): plain rows use the multi-line entries of stacktrace.log (100,000 records
  // of about 320 bytes) so that a full run stays minutes long.
  const entriesPattern = { multiLineStartPattern: '^\\d{4}-\\d{2}-\\d{2} ' };
  for (const aggregation of [false, true]) {
    const [file, lines, bytes] = aggregation ? [data.access, n, access] : [data.stack, data.sizes.stackEntries, data.bytes.stack];
    for (const compression of [undefined, 'gzip', 'zstd'] as const) {
      const label = `${aggregation ? 'KPL, access.log' : 'plain, stacktrace.log entries'}, ${compression ?? 'no compression'}`;
      const flow: Record<string, unknown> = { filePattern: file, ...(aggregation ? { aggregation: true } : entriesPattern), ...(compression ? { compression } : {}) };
      r.compression.push({ run: await ctx.run(`agent, ${label}`, `feat-${aggregation ? 'kpl' : 'plain'}-${compression ?? 'none'}`, flow, lines, bytes), inputBytes: bytes });
    }
  }

  const entries = data.sizes.stackEntries;
  const traces = Math.ceil(entries / 4);
  const pattern = '^\\d{4}-\\d{2}-\\d{2} ';
  const stack = data.bytes.stack;
  ctx.log('writing container-wrapped copies of stacktrace.log and access.log');
  const criStack = `${data.stack}.cri`;
  const criBytes = await wrap(data.stack, criStack, 'cri');
  const dockerAccess = `${data.access}.docker`;
  const dockerBytes = await wrap(data.access, dockerAccess, 'docker');
  const framing: [string, string, Record<string, unknown>, number, number, string][] = [
    ['multiLineStartPattern', 'feat-ml-pattern', { filePattern: data.stack, multiLineStartPattern: pattern }, entries, stack, 'stacktrace.log; one record per entry'],
    ['multiLine: java', 'feat-ml-java', { filePattern: data.stack, multiLine: 'java' }, entries + traces, stack, 'stacktrace.log; a trace apart from its log line'],
    ['multiLine: java + multiLineStartPattern', 'feat-ml-java-pattern', { filePattern: data.stack, multiLine: 'java', multiLineStartPattern: pattern }, entries, stack, 'stacktrace.log; one record per entry'],
    ['containerFormat: cri + multiLine: java + pattern', 'feat-cri-java', { filePattern: criStack, containerFormat: 'cri', multiLine: 'java', multiLineStartPattern: pattern }, entries, criBytes, 'stacktrace.log in CRI lines'],
    ['plain lines (reference)', 'feat-access', { filePattern: data.access }, n, access, 'access.log'],
    ['containerFormat: docker', 'feat-docker', { filePattern: dockerAccess, containerFormat: 'docker' }, n, dockerBytes, 'access.log in Docker JSON lines'],
  ];
  for (const [label, name, flow, expect, bytes, note] of framing) {
    r.framing.push({ run: await ctx.run(`agent, ${label}`, name, flow, expect, bytes), inputBytes: bytes, note });
  }
  return r;
}

const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const one = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '');

/** The BENCHMARKS.md section. */
export function featureReport(r: FeatureResults): string[] {
  const failed = (m: FeatureMeasured) => (m.ok ? '' : ` **(${m.problem ?? 'failed'})**`);
  const out = [
    '## Compression and framing options',
    '',
    'One run each on the data above (Kinesis Data Streams flows). *Sent per GB* is the request bodies the endpoint received (JSON, base64 data) per GB of input; *record data per GB* is the Data fields decoded (compressed bytes where compression is on; for KPL rows, the user records inside the aggregates).',
    '',
    '| Run | lines/s | CPU s/GB | Sent per GB (MB) | Record data per GB (MB) | Calls | Peak RSS (MB) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { run, inputBytes } of r.compression) {
    const perGB = 1e9 / inputBytes / 1e6;
    out.push(`| ${run.label}${failed(run)} | ${int(run.linesPerSec)} | ${one(run.cpuSecPerGB)} | ${one(run.stats.wireBytes * perGB)} | ${one(run.stats.bytes * perGB)} | ${int(run.requests)} | ${one(run.peakRssMB)} |`);
  }
  out.push('', '| Run | Input | records | records/s | CPU s/GB of input | Peak RSS (MB) |', '| --- | --- | ---: | ---: | ---: | ---: |');
  for (const { run, note } of r.framing) {
    out.push(`| ${run.label}${failed(run)} | ${note} | ${int(run.records)} | ${int(run.linesPerSec)} | ${one(run.cpuSecPerGB)} | ${one(run.peakRssMB)} |`);
  }
  out.push('');
  return out;
}
