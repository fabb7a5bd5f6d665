import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExactlyOnce, until } from '../hardening/support.ts';
import { AwsProtocolServer } from '../servers/aws-protocol-server.ts';
import { AgentProcess } from '../support/agent-process.ts';

let server: AwsProtocolServer;
let dir: string;
beforeAll(async () => {
  server = await AwsProtocolServer.start();
  dir = mkdtempSync(join(tmpdir(), 'ka-outage-'));
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const MB = 1024 * 1024;

describe('a long outage', () => {
  it('loses nothing and stays under 250 MB while 100 MB are written to a destination down for 20 s', async () => {
    const stream = 'outage';
    server.createStream(stream, 2);
    server.setFaults({ kind: 'status', status: 503, type: 'ServiceUnavailable' });
    const log = join(dir, 'app.log');
    writeFileSync(log, '');
    const config = join(dir, 'agent.yaml');
    // Default queue (16 MiB) and batch sizes: what a user would run.
    writeFileSync(
      config,
      `kinesis.endpoint: ${server.endpoint}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${join(dir, 'cp')}\n` +
        `flows:\n  - filePattern: ${log}\n    kinesisStream: ${stream}\n    initialPosition: START_OF_FILE\n` +
        `    maxBufferAgeMillis: 1000\n    retryMaxBackoffMillis: 2000\n`,
    );
    const agent = AgentProcess.start(config, { KINESIS_AGENT_LOG_LEVEL: 'warn' });
    const pid = agent.child.pid!;
    let peakRss = 0;
    const sampler = setInterval(() => {
      try {
        const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
        peakRss = Math.max(peakRss, kb * 1024);
      } catch {
        // the process is gone
      }
    }, 100);
    try {
      const outageStart = Date.now();
      const pad = 'x'.repeat(1000);
      const expected: string[] = [];
      for (let mb = 0; mb < 100; mb++) {
        let text = '';
        for (let i = 0; i < 1024; i++) {
          const line = `${String(mb).padStart(3, '0')}-${String(i).padStart(4, '0')} ${pad}\n`;
          text += line;
          expected.push(line);
        }
        appendFileSync(log, text);
      }
      await until(() => Date.now() - outageStart > 20_000, 'twenty seconds of outage', 30_000);
      expect(agent.child.exitCode).toBeNull();
      expect(server.streams.get(stream)!.entries.length).toBe(0);
      const outagePeak = peakRss;

      server.clearFaults();
      await until(() => server.streams.get(stream)!.entries.length >= expected.length, 'every line after the outage', 120_000, () => agent.stdout.slice(-3000));
      expect((await agent.stop()).code, agent.stderr).toBe(0);
      expectExactlyOnce(server.streams.get(stream)!.entries, expected);
      console.log(
        `outage: 100 MB written, ${expected.length} lines delivered once, peak RSS ${(outagePeak / MB).toFixed(0)} MB ` +
          `during the outage, ${(peakRss / MB).toFixed(0)} MB while catching up`,
      );
      // The bound the issue sets, through the outage itself. Catching up at
      // full speed afterwards peaks higher (V8 keeps garbage while memory is
      // plentiful; measured around 240 MB here): tracked with the
      // performance work, bounded loosely so a leak still fails.
      expect(outagePeak).toBeLessThan(250 * MB);
      expect(peakRss).toBeLessThan(400 * MB);
    } finally {
      clearInterval(sampler);
      await agent.stop('SIGKILL');
    }
  }, 180_000);
});
