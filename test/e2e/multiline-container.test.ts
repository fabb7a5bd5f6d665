import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.ts';
import { useKinesisLocal } from '../support/kinesis-local.ts';

const env = useKinesisLocal('ka-ml-');

const traces = (name: string) => new URL(`../source/fixtures/traces/${name}`, import.meta.url);

/** The committed offsets of the checkpoint file, by path. */
function committed(file: string): Record<string, number> {
  const body = JSON.parse(readFileSync(file, 'utf8')) as { entries: { path: string; offset: number }[] };
  return Object.fromEntries(body.entries.map((e) => [e.path, e.offset]));
}

describe('multi-line presets and container formats through the running agent', () => {
  it('sends a Java trace as one record, and a CRI-wrapped Python trace split in P/F parts as the application printed it', async () => {
    await env.local.createStream('ml-java');
    await env.local.createStream('ml-cri');
    const javaLog = join(env.dir, 'java.log');
    copyFileSync(traces('java.log'), javaLog);

    // The Python program's output as the kubelet writes it, its long line in three parts.
    const app = readFileSync(traces('python.log'), 'utf8').split(/(?<=\n)/);
    const long = `2026-11-30 12:00:00 WARNING shop: ${'y'.repeat(3000)}\n`;
    const cri =
      app.map((l, i) => `2026-11-30T12:00:${String(i).padStart(2, '0')}.000000001Z ${i % 2 ? 'stderr' : 'stdout'} F ${l}`).join('') +
      `2026-11-30T12:01:00.0Z stdout P ${long.slice(0, 1000)}\n` +
      `2026-11-30T12:01:00.1Z stdout P ${long.slice(1000, 2000)}\n` +
      `2026-11-30T12:01:00.2Z stdout F ${long.slice(2000)}`;
    const criLog = join(env.dir, 'pod.log');
    writeFileSync(criLog, cri);

    const checkpoints = join(env.dir, 'cp');
    const config = join(env.dir, 'agent.yaml');
    const flow = (file: string, stream: string, extra: string) =>
      `  - filePattern: ${file}\n    kinesisStream: ${stream}\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n${extra}`;
    writeFileSync(
      config,
      `kinesis.endpoint: ${env.local.endpoint}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${checkpoints}\nflows:\n` +
        flow(javaLog, 'ml-java', '    multiLine: java\n') +
        flow(criLog, 'ml-cri', '    containerFormat: cri\n    multiLine: python\n    multiLineStartPattern: "^\\\\d{4}-"\n'),
    );
    const agent = AgentProcess.start(config);
    const read = async (s: string, n: number) => (await env.local.waitFor(s, (r) => r.length >= n)).map((r) => r.data.toString());

    const java = readFileSync(javaLog, 'utf8').split(/(?<=\n)/);
    expect(await read('ml-java', 6)).toEqual([
      java[0],
      java[1],
      java.slice(2, 11).join(''),
      java[11],
      java.slice(12, 17).join(''),
      java[17],
    ]);

    // Each traceback joins the log line that reports it; the P/F parts are one line again.
    expect(await read('ml-cri', 6)).toEqual([
      app[0],
      app.slice(1, 18).join(''),
      app[18],
      app.slice(19, 33).join(''),
      app[33],
      long,
    ]);

    // Every byte of both files, the wrappers included, is acknowledged and committed.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const c = (() => {
        try {
          return committed(checkpoints);
        } catch {
          return {};
        }
      })();
      if (c[javaLog] === statSync(javaLog).size && c[criLog] === statSync(criLog).size) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(committed(checkpoints)).toMatchObject({ [javaLog]: statSync(javaLog).size, [criLog]: statSync(criLog).size });
    expect((await agent.stop()).code, agent.stderr).toBe(0);
  });

  it('refuses a preset it does not know, naming the key and the presets', async () => {
    const config = join(env.dir, 'bad.yaml');
    writeFileSync(config, `flows:\n  - filePattern: /tmp/x.log\n    kinesisStream: s\n    multiLine: jav\n    containerFormat: podman\n`);
    const { runCli } = await import('../support/agent-process.ts');
    const r = await runCli(['validate', '-c', config]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('flows[0].multiLine');
    expect(r.stderr).toContain('did you mean `java`');
    expect(r.stderr).toContain('flows[0].containerFormat');
  });
});
