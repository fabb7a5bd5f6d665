/**
 * The checkpoint file is read at every start, whatever a disk error, an
 * editor or another program left in it: opening the store never throws, and
 * what it keeps is usable as file offsets.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../../src/checkpoint/index.ts';
import { silentLogger } from '../../src/log.ts';

const dir = mkdtempSync(join(tmpdir(), 'ka-hard-cp-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 0.5, 1e300, Number.MAX_SAFE_INTEGER + 2));
const stringish = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('f', '1', '2', ''));
const entry = fc.record(
  {
    flowId: fc.oneof(stringish, number),
    path: fc.oneof(stringish, fc.constant(null)),
    dev: fc.oneof(stringish, number),
    ino: fc.oneof(stringish, number),
    fingerprint: fc.oneof(stringish, fc.boolean()),
    fingerprintBytes: fc.oneof(number, stringish),
    offset: fc.oneof(number, stringish, fc.constant(null)),
    updatedAt: fc.oneof(number, fc.constant(Date.now())),
  },
  { requiredKeys: [] },
);
/** Well-formed but for its numbers: the entries a careless edit or another writer leaves. */
const numericallyOdd = fc.record({
  flowId: fc.constant('f'),
  path: fc.constant('/x.log'),
  dev: fc.constant('1'),
  ino: fc.integer({ min: 1, max: 5 }).map(String),
  fingerprint: fc.constant('abc'),
  fingerprintBytes: number,
  offset: number,
  updatedAt: fc.constant(Date.now()),
});
const content = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.json().map((s) => Buffer.from(s)),
  fc.array(fc.oneof(entry, fc.anything()), { maxLength: 6 }).map((entries) => Buffer.from(JSON.stringify({ version: 1, entries }))),
);

async function openWith(bytes: Buffer): Promise<{ store: CheckpointStore; path: string }> {
  const sub = join(dir, String(++n));
  const path = join(sub, 'cp');
  rmSync(sub, { recursive: true, force: true });
  const store0 = await CheckpointStore.open(path, { ttlDays: 36500, log: silentLogger() });
  await store0.close();
  writeFileSync(path, bytes);
  const store = await CheckpointStore.open(path, { ttlDays: 36500, log: silentLogger() });
  return { store, path };
}

describe('the checkpoint loader on any file content', () => {
  it('opens without throwing, moving unreadable content aside', async () => {
    await fc.assert(
      fc.asyncProperty(content, async (bytes) => {
        const { store, path } = await openWith(bytes);
        await store.close();
        const files = readdirSync(join(path, '..'));
        expect(files.filter((f) => f === 'cp' || f.startsWith('cp.corrupt-')).length).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
  });

  // Found here; fixed in a4ee65a.
  it('keeps only entries whose offsets and fingerprint lengths are safe non-negative integers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(entry, numericallyOdd), { minLength: 1, maxLength: 6 }), async (entries) => {
        const { store } = await openWith(Buffer.from(JSON.stringify({ version: 1, entries })));
        const kept = [...new Set(entries.map((e) => String(e.flowId)))].flatMap((f) => store.entries(f));
        await store.close();
        for (const e of kept) {
          expect(Number.isSafeInteger(e.offset) && e.offset >= 0, `offset ${e.offset}`).toBe(true);
          expect(Number.isSafeInteger(e.fingerprintBytes) && e.fingerprintBytes >= 0, `fingerprintBytes ${e.fingerprintBytes}`).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });
});
