import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.ts';
import { linesByCheckpoint } from '../support/checkpoints.ts';
import { useKinesisLocal } from '../support/kinesis-local.ts';

const env = useKinesisLocal('ka-crash-');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('crashes', () => {
  it('loses nothing when SIGKILLed repeatedly while shipping a growing file', async () => {
    const stream = 'crash-loop';
    await env.local.createStream(stream, 2);
    const log = join(env.dir, 'app.log');
    const config = join(env.dir, 'agent.yaml');
    writeFileSync(log, '');
    // Small batches and little concurrency bound what can be in flight at a kill.
    const maxBufferSizeRecords = 200;
    const maxInFlightRequests = 2;
    writeFileSync(
      config,
      `kinesis.endpoint: ${env.local.endpoint}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${join(env.dir, 'cp')}\n` +
        `flows:\n  - filePattern: ${log}\n    kinesisStream: ${stream}\n    initialPosition: START_OF_FILE\n` +
        `    maxBufferAgeMillis: 1000\n    maxBufferSizeRecords: ${maxBufferSizeRecords}\n    maxInFlightRequests: ${maxInFlightRequests}\n`,
    );

    let written = 0;
    let writing = true;
    // Held while a killed agent's checkpoint and file are read, so the file matches the moment of the kill.
    let hold: Promise<void> | undefined;
    const writer = (async () => {
      while (writing) {
        if (hold) await hold;
        if (!writing) break;
        let chunk = '';
        for (let i = 0; i < 20; i++) chunk += `line ${String(written++).padStart(7, '0')}\n`;
        appendFileSync(log, chunk);
        await sleep(50);
      }
    })();

    const kills = 6;
    const cp = join(env.dir, 'cp');
    // How often each line may arrive: once, plus once per kill whose checkpoint on disk left it uncovered.
    const mayRepeat = new Map<string, number>();
    try {
      for (let k = 0; k < kills; k++) {
        const agent = AgentProcess.start(config, { KINESIS_AGENT_LOG_LEVEL: 'warn' });
        await sleep(1000 + Math.floor(Math.random() * 1000));
        let release!: () => void;
        hold = new Promise<void>((r) => (release = r));
        const exit = await agent.stop('SIGKILL');
        expect(exit, agent.stderr + agent.stdout).toEqual({ code: null, signal: 'SIGKILL' });
        for (const line of linesByCheckpoint([log], cp).uncovered) mayRepeat.set(line, (mayRepeat.get(line) ?? 0) + 1);
        hold = undefined;
        release();
      }
    } finally {
      writing = false;
      await writer;
    }

    const agent = AgentProcess.start(config, { KINESIS_AGENT_LOG_LEVEL: 'warn' });
    // Every line may already have arrived from a killed agent; this one must
    // still send again what the last kill's checkpoint left uncovered before
    // it is stopped, or that is left for a next start. So wait for its own
    // checkpoint to cover the file too.
    const records = await env.local.waitFor(
      stream,
      (r) => new Set(r.map((x) => x.data.toString())).size >= written && linesByCheckpoint([log], cp).uncovered.size === 0,
      60_000,
    );
    expect((await agent.stop('SIGTERM')).code, agent.stderr).toBe(0);

    const seen = new Map<string, number>();
    for (const r of records) seen.set(r.data.toString(), (seen.get(r.data.toString()) ?? 0) + 1);
    let missing = 0;
    for (let i = 0; i < written; i++) if (!seen.has(`line ${String(i).padStart(7, '0')}\n`)) missing++;
    const duplicates = records.length - seen.size;
    // Re-sent after a kill: the calls in flight, plus what was acknowledged
    // since the last checkpoint write, all beyond the checkpoint on disk at
    // the kill. Counted per line rather than guessed from the writer's rate:
    // a restarted agent catches up a backlog far faster than the writer adds
    // lines, and a loaded machine stretches the 200 ms between checkpoint
    // writes.
    const beyond = [...seen].filter(([line, n]) => n > 1 + (mayRepeat.get(line) ?? 0));
    console.log(`crash loop: ${written} lines written, ${kills} kills, ${missing} missing, ${duplicates} duplicates`);
    expect(missing).toBe(0);
    expect(beyond.slice(0, 5), `${beyond.length} lines repeated more often than the kills left them uncovered`).toEqual([]);
    // A stop writes the checkpoint: nothing is left for a next start to send again.
    expect(linesByCheckpoint([log], cp).uncovered.size).toBe(0);
  }, 120_000);
});
