/**
 * The wall clock stepping backwards (NTP, a VM resumed, an operator) must not
 * stall the agent. The system clock cannot be changed here, so these tests
 * use vitest's fake timers: vi.setSystemTime() moves Date (the wall clock)
 * while performance.now() (the monotonic clock) and timers go on, as a real
 * clock step does.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/index.ts';
import { silentLogger } from '../../src/log.ts';
import { FlowEvents } from '../../src/events/flow-events.ts';
import { LogSampler } from '../../src/process/sampler.ts';
import { DeliveryCore } from '../../src/sink/delivery.ts';
import type { DestinationAdapter, EntryFailure } from '../../src/sink/adapter.ts';
import { PlainPacker, type Entry } from '../../src/sink/entry.ts';
import { KinesisAdapter } from '../../src/sink/kinesis/adapter.ts';
import { PUT_RECORDS } from '../../src/sink/kinesis/limits.ts';
import { makeFlow, makeRecords, RecordingAcker } from '../sink/helpers.ts';
import { startSource, type Harness } from '../source/support/harness.ts';
import { tempDir, testFlow } from '../source/support/helpers.ts';

const HOUR = 3_600_000;

afterEach(() => {
  vi.useRealTimers();
});

function fakeClock(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'] });
}

const realSetTimeout = globalThis.setTimeout;

/** Lets promise callbacks and real I/O (file writes) run while fake time stands still. */
async function settle(): Promise<void> {
  await new Promise<void>((r) => realSetTimeout(r, 5));
}

/** A destination that answers from a script: 'fail' (the call fails), 'partial' (every entry fails), 'ok'. */
class ScriptedDestination implements DestinationAdapter {
  readonly context = { kind: 'kinesis' as const, streamName: 's', region: 'us-east-1', flowIndex: 0 };
  readonly limits = PUT_RECORDS;
  calls = 0;
  constructor(private readonly script: ('fail' | 'partial' | 'ok')[]) {}
  send(entries: Entry[]): Promise<EntryFailure[]> {
    const step = this.script[this.calls++] ?? 'ok';
    if (step === 'fail') return Promise.reject(Object.assign(new Error('injected 500'), { name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }));
    if (step === 'partial') return Promise.resolve(entries.map((_, index) => ({ index, code: 'InternalFailure', message: 'injected' })));
    return Promise.resolve([]);
  }
  close(): void {}
}

function delivery(destination: DestinationAdapter) {
  const flow = makeFlow({ retryInitialBackoffMillis: 100, retryMaxBackoffMillis: 1000, maxBufferAgeMillis: 1000, maxBufferSizeRecords: 10 });
  const core = new DeliveryCore({
    flow,
    destination,
    packer: new PlainPacker(true),
    keyOf: () => 'k',
    metrics: new FlowEvents(),
    log: silentLogger(),
    callTimeoutMs: 10_000,
  });
  core.start();
  return core;
}

describe('the wall clock stepping back an hour', () => {
  // Found here (the backoff pause and a failed batch's notBefore were wall-clock
  // times: after a step back delivery slept as long as the clock went back).
  it('does not stall a retry after a failed call', async () => {
    fakeClock();
    const dest = new ScriptedDestination(['fail']);
    const core = delivery(dest);
    const acker = new RecordingAcker();
    for (const r of makeRecords(10, acker)) core.push(r);
    await settle();
    expect(dest.calls).toBe(1);
    vi.setSystemTime(Date.now() - HOUR);
    for (let i = 0; i < 30 && dest.calls < 2; i++) {
      await vi.advanceTimersByTimeAsync(100);
      await settle();
    }
    expect(dest.calls).toBe(2);
    expect(acker.acked.length).toBe(10);
    await core.close(0);
  });

  it('does not stall the retry of entries that failed inside an answer', async () => {
    fakeClock();
    const dest = new ScriptedDestination(['partial']);
    const core = delivery(dest);
    const acker = new RecordingAcker();
    for (const r of makeRecords(10, acker)) core.push(r);
    await settle();
    expect(dest.calls).toBe(1);
    vi.setSystemTime(Date.now() - HOUR);
    for (let i = 0; i < 30 && dest.calls < 2; i++) {
      await vi.advanceTimersByTimeAsync(100);
      await settle();
    }
    expect(dest.calls).toBe(2);
    expect(acker.acked.length).toBe(10);
    await core.close(0);
  });

  // Found here (the last shard refresh was a wall-clock time: after a step
  // back a stale shard map waited an hour to be refreshed).
  it('still refreshes a stale shard map (KPL routing) within a second', async () => {
    fakeClock();
    let listed = 0;
    const client = {
      send: () => {
        listed++;
        return Promise.resolve({ Shards: [] });
      },
      destroy: () => {},
    };
    const dest = new KinesisAdapter({
      client: client as unknown as ConstructorParameters<typeof KinesisAdapter>[0]['client'],
      context: { kind: 'kinesis', streamName: 's', region: 'us-east-1', flowIndex: 0 },
      log: silentLogger(),
      routing: true,
      transport: { path: { kind: 'sdk', reason: 'plain-http' }, endpoint: 'http://127.0.0.1:1', connection: { connectionTimeoutMillis: 1000, socketTimeoutMillis: 1000, maxConnections: 1 }, cbor: true },
    });
    await dest.start();
    expect(listed).toBe(1);
    vi.setSystemTime(Date.now() - HOUR);
    dest.invalidate();
    await vi.advanceTimersByTimeAsync(1100);
    await settle();
    expect(listed).toBe(2);
    dest.close();
  });

  it('still sends a batch when it is maxBufferAgeMillis old (a timer, not a time comparison)', async () => {
    fakeClock();
    const dest = new ScriptedDestination([]);
    const core = delivery(dest);
    const acker = new RecordingAcker();
    for (const r of makeRecords(3, acker)) core.push(r);
    vi.setSystemTime(Date.now() - HOUR);
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(dest.calls).toBe(1);
    expect(acker.acked.length).toBe(3);
    await core.close(0);
  });

  // Found here (writes were spaced with Date.now(): after a step back the next
  // write waited an hour); fixed in 9aee506 with the monotonic clock.
  it('keeps writing checkpoints at the configured interval', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ka-clock-'));
    try {
      fakeClock();
      const path = join(dir, 'cp');
      const store = await CheckpointStore.open(path, { ttlDays: 7, log: silentLogger(), minWriteIntervalMillis: 200 });
      const entry = { flowId: 'f', path: '/x', dev: '1', ino: '2', fingerprint: 'abc', fingerprintBytes: 3 };
      const written = () => {
        try {
          return readFileSync(path, 'utf8');
        } catch {
          return '';
        }
      };
      store.set({ ...entry, offset: 10 });
      // Written and done (rename and directory sync included) before the step.
      await store.flush();
      expect(written()).toContain('"offset":10');
      vi.setSystemTime(Date.now() - HOUR);
      store.set({ ...entry, offset: 20 });
      for (let i = 0; i < 40 && !written().includes('"offset":20'); i++) {
        await vi.advanceTimersByTimeAsync(50);
        await settle();
      }
      expect(written()).toContain('"offset":20');
      vi.useRealTimers();
      await store.close();
    } finally {
      vi.useRealTimers();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the wall clock stepping back an hour, while tailing (poll mode)', () => {
  async function withSource(body: (h: Harness, log: string) => Promise<void>): Promise<void> {
    const { dir, cleanup } = await tempDir('ka-clock-src-');
    let h: Harness | undefined;
    try {
      fakeClock();
      const log = join(dir, 'app.log');
      writeFileSync(log, 'first\n');
      h = await startSource(dir, testFlow([log]), { source: { watchMode: 'poll', rotatedGraceMillis: 200 } });
      await advanceUntil(() => h!.sink.records.length >= 1);
      expect(h.sink.records.length).toBe(1);
      await body(h, log);
    } finally {
      if (h) {
        // Stopped under the fake clock: the sink's acks ride on its timers.
        let stopped = false;
        const stopping = h.stop().finally(() => (stopped = true));
        for (let i = 0; i < 200 && !stopped; i++) {
          await vi.advanceTimersByTimeAsync(50);
          await settle();
        }
        vi.useRealTimers();
        await stopping;
      }
      vi.useRealTimers();
      await cleanup();
    }
  }

  async function advanceUntil(done: () => boolean, steps = 60): Promise<void> {
    for (let i = 0; i < steps && !done(); i++) {
      await vi.advanceTimersByTimeAsync(50);
      await settle();
    }
  }

  // Found here (idle files were polled again by now - lastPollAt with
  // Date.now(): after a step back, in poll mode, nothing new was read for an
  // hour); fixed in 9aee506 with the monotonic clock.
  it('goes on reading an idle file that grows', async () => {
    await withSource(async (h, log) => {
      vi.setSystemTime(Date.now() - HOUR);
      appendFileSync(log, 'second\n');
      await advanceUntil(() => h.sink.records.length >= 2);
      expect(h.sink.records.length).toBe(2);
    });
  });

  // Found here (the grace period was now - eofSince with Date.now()); fixed in 9aee506.
  it('still flushes the last unterminated line of a deleted file after the grace period', async () => {
    await withSource(async (h, log) => {
      appendFileSync(log, 'last-without-newline');
      await advanceUntil(() => false, 10);
      vi.setSystemTime(Date.now() - HOUR);
      rmSync(log);
      await advanceUntil(() => h.sink.records.length >= 2);
      expect(h.sink.records).toEqual(['first\n', 'last-without-newline\n']);
    });
  });
});

describe('the wall clock stepping back an hour, for log sampling', () => {
  // Found here: the sampler spaced its lines with Date.now(), so after a step
  // back it held every processing warning back for an hour.
  it('lets a sampled warning through again after its interval', () => {
    fakeClock();
    const sampler = new LogSampler(10_000);
    expect(sampler.take()).toBe(0);
    expect(sampler.take()).toBe(-1);
    vi.setSystemTime(Date.now() - HOUR);
    vi.advanceTimersByTime(10_000);
    expect(sampler.take()).toBe(1);
  });
});
