/** Shared by the request-body tests: a body written from Lines must be the one written from Buffers of the same bytes. */
import fc from 'fast-check';
import { expect } from 'vitest';
import { Line } from '../../src/pipeline/line.ts';
import type { Entry } from '../../src/sink/entry.ts';

/**
 * Property: for any lines (up to 600 bytes, past the native base64 cut-over)
 * lying one after another in one chunk after a few bytes of something else,
 * `write` gives the same bytes from the Lines as from Buffer entries of the
 * same data and keys.
 */
export function expectLinesWriteLikeBuffers(write: (entries: Entry[]) => Buffer): void {
  fc.assert(
    fc.property(
      fc.array(fc.record({ data: fc.uint8Array({ maxLength: 600 }), key: fc.string({ minLength: 1, maxLength: 20 }) }), { minLength: 1, maxLength: 20 }),
      fc.nat(7),
      (items, lead) => {
        const chunk = Buffer.concat([Buffer.alloc(lead, 0x78), ...items.map((i) => i.data)]);
        let at = lead;
        const lines = items.map((i) => {
          const l = new Line(chunk, at, i.data.length, { ack: () => {} }, at, (at += i.data.length), { path: 'f' });
          l.partitionKey = i.key;
          return l;
        });
        const buffers: Entry[] = items.map((i) => ({ data: Buffer.from(i.data), partitionKey: i.key, records: [], userBytes: i.data.length }));
        expect(write(lines).equals(write(buffers))).toBe(true);
      },
    ),
    { numRuns: 200 },
  );
}
