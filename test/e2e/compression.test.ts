import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { useProtocolServer, sleep } from '../hardening/support.ts';
import { AgentProcess, CLI, runCli } from '../support/agent-process.ts';
import { deaggregate } from '../sink/deaggregate.ts';

const suite = useProtocolServer('compress');
const zstdDecompress = (zlib as unknown as { zstdDecompressSync: (b: Buffer) => Buffer }).zstdDecompressSync;
const MIB = 1024 * 1024;

async function until(check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !check()) await sleep(100);
}

describe('compression through the running agent', () => {
  it('gzip per record, zstd per KPL aggregate, gzip per packed Firehose record: consumers decompress to exactly the lines', async () => {
    const { server, dir } = suite;
    const sub = join(dir, 'mixed');
    mkdirSync(sub);
    server.createStream('c-gzip');
    server.createStream('c-kpl', 2);
    server.createDeliveryStream('c-fh');
    const lines = Array.from({ length: 3000 }, (_, i) => `2026-11-30T12:00:00Z INFO order ${i} placed by customer ${i % 97}\n`);
    // Lines of random bytes: nearly incompressible, cut at the record limit; the compressed record must still fit.
    const noise = Array.from({ length: 3 }, () => `${randomBytes(2 * MIB).toString('latin1').replaceAll('\n', ' ')}\n`);
    writeFileSync(join(sub, 'app.log'), lines.join(''));
    writeFileSync(join(sub, 'noise.log'), noise.join(''));
    const config = join(sub, 'agent.yaml');
    const flow = (file: string, dest: string, extra: string) =>
      `  - filePattern: ${join(sub, file)}\n    ${dest}\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n${extra}`;
    writeFileSync(
      config,
      `kinesis.endpoint: ${server.endpoint}\nfirehose.endpoint: ${server.endpoint}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${join(sub, 'cp')}\nflows:\n` +
        flow('app.log', 'kinesisStream: c-gzip', '    name: gzip\n    compression: gzip\n') +
        flow('app.log', 'kinesisStream: c-kpl', '    name: kpl\n    compression: zstd\n    aggregation: true\n') +
        flow('app.log', 'deliveryStream: c-fh', '    name: fh\n    compression: gzip\n    aggregatedRecordSizeBytes: 8192\n') +
        flow('noise.log', 'kinesisStream: c-gzip', '    name: noise\n    compression: gzip\n'),
    );
    const agent = suite.track(AgentProcess.start(config));
    const gz = () => server.streams.get('c-gzip')!.entries;
    const kpl = () => server.streams.get('c-kpl')!.entries;
    const fh = () => server.deliveryStreams.get('c-fh')!;
    const kplUsers = () => kpl().flatMap((e) => deaggregate(zstdDecompress(e.data), e.partitionKey!).map((u) => u.data.toString()));
    const fhLines = () => fh().flatMap((e) => zlib.gunzipSync(e.data).toString().split(/(?<=\n)/));
    await until(() => gz().length >= 3003 && kplUsers().length >= 3000 && fhLines().length >= 3000);

    const plain = gz().map((e) => zlib.gunzipSync(e.data).toString('latin1'));
    expect(plain.filter((t) => t.startsWith('2026-')).sort()).toEqual([...lines].sort());
    expect(kplUsers().sort()).toEqual([...lines].sort());
    expect(fhLines().sort()).toEqual([...lines].sort());
    // Aggregates and packs hold many lines each, and shrink.
    expect(kpl().length).toBeLessThan(20);
    expect(fh().length).toBeLessThan(100);
    expect(fh().every((e) => e.data.length < 8192)).toBe(true);

    // The noise lines were cut so that, compressed, they still fit a Kinesis record with its key.
    const big = gz().filter((e) => e.data.length > 100_000);
    expect(big.length).toBe(3);
    for (const e of big) {
      expect(e.data.length + Buffer.byteLength(e.partitionKey!)).toBeLessThanOrEqual(MIB);
      expect(zlib.gunzipSync(e.data).length).toBeGreaterThan(MIB - 2048);
    }
    // And no call went over PutRecords' 5 MiB.
    for (const call of server.calls('PutRecords')) {
      expect(call.entries.reduce((n, e) => n + e.data.length + Buffer.byteLength(e.partitionKey ?? ''), 0)).toBeLessThanOrEqual(5 * MIB);
    }
    expect((await agent.stop()).code, agent.stderr).toBe(0);
  });

  it('refuses zstd with a clear error on a Node whose zlib has no zstd', async (ctx) => {
    // The machine's system Node (20) predates zstd in node:zlib; skip where there is none.
    const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => existsSync(p) && !hasZstd(p));
    if (!oldNode) ctx.skip();
    const config = join(suite.dir, 'zstd.yaml');
    writeFileSync(config, 'flows:\n  - filePattern: /tmp/x.log\n    kinesisStream: s\n    compression: zstd\n');
    const r = spawnSync(oldNode!, [CLI, 'validate', '-c', config], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/flows\[0\]\.compression.*zstd needs Node 22\.15, 23\.8 or later; this is Node v2/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // And this Node takes it.
    expect((await runCli(['validate', '-c', config])).code).toBe(0);
  });
});

function hasZstd(node: string): boolean {
  return spawnSync(node, ['-e', 'process.exit(typeof require("zlib").zstdCompressSync === "function" ? 0 : 1)']).status === 0;
}
