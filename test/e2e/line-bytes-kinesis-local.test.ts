/**
 * The tricky lines of line-files.ts through the built CLI to kinesis-local,
 * over both bodies the agent writes: JSON 1.1 over HTTP/1.1 and CBOR over
 * its own HTTP/2 exchange (TLS), plain and KPL-aggregated; then a kill in
 * the middle of a burst, and a restart that loses nothing.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_CA_FILE } from '../servers/aws-protocol-server.ts';
import { deaggregate } from '../sink/deaggregate.ts';
import { AgentProcess } from '../support/agent-process.ts';
import { checkpointAtEndOf, linesByCheckpoint } from '../support/checkpoints.ts';
import { useKinesisLocal } from '../support/kinesis-local.ts';
import { expectSameRecords, trickyLines } from '../support/line-files.ts';

const env = useKinesisLocal('ka-lines-');
const KINESIS_MAX = 1024 * 1024 - 256;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

function writeConfig(sub: string, flows: string[]): { config: string; cp: string } {
  const cp = join(sub, 'cp');
  const config = join(sub, 'agent.yaml');
  writeFileSync(
    config,
    `kinesis.endpoint: ${env.local.endpoint}\ntls.caFile: ${TEST_CA_FILE}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${cp}\nflows:\n${flows.join('')}`,
  );
  return { config, cp };
}

const flow = (file: string, stream: string, extra: string[] = []) =>
  `  - filePattern: ${file}\n    kinesisStream: ${stream}\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n${extra.map((l) => `    ${l}\n`).join('')}`;

describe('line bytes to kinesis-local', () => {
  it('JSON and CBOR bodies, plain and KPL, carry CR, CRLF, multi-read, multi-byte and over-limit lines byte-exact', async () => {
    const sub = join(env.dir, 'bodies');
    mkdirSync(sub);
    const f = trickyLines(KINESIS_MAX);
    const file = join(sub, 'app.log');
    writeFileSync(file, f.bytes());
    for (const s of ['kl-json', 'kl-cbor', 'kl-kpl']) await env.local.createStream(s, 2);
    const { config, cp } = writeConfig(sub, [
      flow(file, 'kl-json'),
      flow(file, 'kl-cbor', [`kinesis.endpoint: ${env.local.tlsEndpoint}`]),
      flow(file, 'kl-kpl', [`kinesis.endpoint: ${env.local.tlsEndpoint}`, 'aggregation: true', 'partitionKeyOption: DETERMINISTIC']),
    ]);
    const agent = AgentProcess.start(config);
    await agent.waitForLog((l) => l.msg === 'agent started');
    try {
      const n = f.expected.length;
      const json = await env.local.waitFor('kl-json', (r) => r.length >= n, 90_000);
      const cbor = await env.local.waitFor('kl-cbor', (r) => r.length >= n, 60_000);
      const users = (await env.local.waitFor('kl-kpl', (r) => r.flatMap((e) => deaggregate(e.data, e.partitionKey)).length >= n, 60_000)).flatMap((e) =>
        deaggregate(e.data, e.partitionKey),
      );
      const ctx = () => agent.stderr + agent.stdout.slice(-3000);
      expectSameRecords(json.map((r) => r.data), f.expected, ctx);
      expectSameRecords(cbor.map((r) => r.data), f.expected, ctx);
      expectSameRecords(users.map((r) => r.data), f.expected, ctx);
      expect(users.filter((u) => u.partitionKey !== md5(u.data)).length).toBe(0);
      const deadline = Date.now() + 20_000;
      while (!checkpointAtEndOf(cp, file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(checkpointAtEndOf(cp, file)).toBe(true);
    } finally {
      expect((await agent.stop()).code, agent.stderr).toBe(0);
    }
  }, 180_000);

  it('killed in the middle of a burst of CRLF and multi-byte lines, a restart sends every line, again only what the checkpoint did not cover', async () => {
    const sub = join(env.dir, 'kill');
    mkdirSync(sub);
    await env.local.createStream('kl-kill', 2);
    const file = join(sub, 'app.log');
    writeFileSync(file, '');
    const { config, cp } = writeConfig(sub, [flow(file, 'kl-kill', ['maxBufferSizeRecords: 100'])]);
    const agent = AgentProcess.start(config);
    await agent.waitForLog((l) => l.msg === 'agent started');
    const want: string[] = [];
    for (let i = 0; i < 10_000; i += 100) {
      let chunk = '';
      for (let j = i; j < i + 100; j++) chunk += j % 3 === 0 ? `${j} é€😀 crlf\r\n` : `${j} ${'y'.repeat(j % 70)}\n`;
      appendFileSync(file, chunk);
      want.push(...chunk.split(/(?<=\n)/).map((l) => l.replace(/\r\n$/, '\n')));
      if (i === 5_000) {
        await env.local.waitFor('kl-kill', (r) => r.length >= 1500, 30_000);
        await agent.stop('SIGKILL');
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    const { covered } = linesByCheckpoint([file], cp);
    const before = new Map<string, number>();
    for (const r of await env.local.readAll('kl-kill')) before.set(r.data.toString(), (before.get(r.data.toString()) ?? 0) + 1);
    const again = AgentProcess.start(config);
    try {
      const got = await env.local.waitFor('kl-kill', (r) => r.length >= want.length, 90_000);
      await new Promise((r) => setTimeout(r, 1500));
      const all = await env.local.readAll('kl-kill');
      const counts = new Map<string, number>();
      for (const r of all) counts.set(r.data.toString(), (counts.get(r.data.toString()) ?? 0) + 1);
      expect(got.length).toBeGreaterThanOrEqual(want.length);
      expect(want.filter((l) => !counts.has(l)).slice(0, 5)).toEqual([]);
      const wanted = new Set(want);
      expect([...counts.keys()].filter((k) => !wanted.has(k)).slice(0, 5)).toEqual([]);
      // A line the checkpoint covered at the kill is not sent again by the restart.
      const resentCovered = [...covered].filter((l) => (counts.get(l.replace(/\r\n$/, '\n')) ?? 0) > (before.get(l.replace(/\r\n$/, '\n')) ?? 0));
      expect(resentCovered.slice(0, 5)).toEqual([]);
    } finally {
      expect((await again.stop()).code, again.stderr).toBe(0);
    }
  }, 180_000);
});
