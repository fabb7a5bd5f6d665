import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sleep, useProtocolServer } from '../hardening/support.ts';
import { AgentProcess } from '../support/agent-process.ts';

const suite = useProtocolServer('large');
const MIB = 1024 * 1024;

/** Four 4 MiB lines between short ones, each line recognisable by its first bytes. */
function largeLines(): string[] {
  const out: string[] = [];
  for (let i = 0; i < 4; i++) {
    out.push(`short ${i}\n`);
    out.push(`big ${i} ${String.fromCharCode(97 + i).repeat(4 * MIB - 8)}\n`);
  }
  return out;
}

async function until(check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !check()) await sleep(100);
}

function config(sub: string, stream: string, extra = ''): string {
  const path = join(sub, 'agent.yaml');
  writeFileSync(
    path,
    `kinesis.endpoint: ${suite.server.endpoint}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${join(sub, 'cp')}\n` +
      `flows:\n  - filePattern: ${join(sub, '*.log')}\n    kinesisStream: ${stream}\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n${extra}`,
  );
  return path;
}

describe('records larger than 1 MiB on a stream that takes them', () => {
  it('reads MaxRecordSizeInKiB from DescribeStreamSummary and sends 4 MiB lines whole, one per call within the 10 MiB call limit', async () => {
    const { server } = suite;
    const { stream, sub } = suite.newCase();
    server.streams.get(stream)!.maxRecordSizeKiB = 8192;
    const lines = largeLines();
    writeFileSync(join(sub, 'app.log'), lines.join(''));
    const agent = suite.track(AgentProcess.start(config(sub, stream)));
    const entries = () => server.streams.get(stream)!.entries;
    await until(() => entries().length >= lines.length);
    expect(entries().map((e) => e.data.toString()).sort()).toEqual([...lines].sort());
    expect(server.calls('DescribeStreamSummary').filter((c) => c.body.StreamName === stream).length).toBeGreaterThan(0);
    const puts = server.calls('PutRecords').filter((c) => c.body.StreamName === stream);
    expect(puts.every((c) => c.status === 200)).toBe(true);
    for (const c of puts) expect(c.entries.reduce((n, e) => n + e.data.length + (e.partitionKey?.length ?? 0), 0)).toBeLessThanOrEqual(10 * MIB);
    expect(agent.logLines().some((l) => l.msg === 'stream takes records larger than 1 MiB' && l.maxRecordSizeKiB === 8192)).toBe(true);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
  });

  it('on a stream at the default 1 MiB, the same lines are cut to fit and every call is accepted', async () => {
    const { server } = suite;
    const { stream, sub } = suite.newCase();
    const lines = largeLines();
    writeFileSync(join(sub, 'app.log'), lines.join(''));
    const agent = suite.track(AgentProcess.start(config(sub, stream)));
    const entries = () => server.streams.get(stream)!.entries;
    await until(() => entries().length >= lines.length);
    const big = entries().filter((e) => e.data.toString('latin1', 0, 3) === 'big');
    expect(big.length).toBe(4);
    for (const e of big) expect(e.data.length).toBe(MIB - 256);
    expect(server.calls('PutRecords').filter((c) => c.body.StreamName === stream).every((c) => c.status === 200)).toBe(true);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
  });

  it('without DescribeStreamSummary permission, maxRecordSizeKiB in the flow sets the limit', async () => {
    const { server } = suite;
    const { stream, sub } = suite.newCase();
    server.streams.get(stream)!.maxRecordSizeKiB = 5120;
    server.setFaults({ kind: 'userError', type: 'AccessDeniedException', operations: ['DescribeStreamSummary'] });
    const lines = largeLines();
    writeFileSync(join(sub, 'app.log'), lines.join(''));
    const agent = suite.track(AgentProcess.start(config(sub, stream, '    maxRecordSizeKiB: 5120\n')));
    const entries = () => server.streams.get(stream)!.entries;
    await until(() => entries().length >= lines.length);
    expect(entries().map((e) => e.data.toString()).sort()).toEqual([...lines].sort());
    expect(server.calls('DescribeStreamSummary').filter((c) => c.body.StreamName === stream).length).toBe(0);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
  });
});
