import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainOf } from './helpers.js';

const text = (chars: string, min = 1, max = 20) => fc.string({ unit: fc.constantFrom(...chars.split('')), minLength: min, maxLength: max });
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

describe('round trips', () => {
  it('LOGTOJSON COMBINEDAPACHELOG gives back every part of any well-formed line', () => {
    const run = chainOf([{ optionName: 'LOGTOJSON', logFormat: 'COMBINEDAPACHELOG', jsonFormat: 'COMPACT' }]);
    const part = fc.record({
      host: fc.oneof(fc.ipV4(), fc.domain()),
      user: fc.oneof(fc.constant('-'), text(ALNUM + '._-')),
      day: fc.integer({ min: 1, max: 28 }),
      month: fc.constantFrom('Jan', 'Feb', 'Mar', 'Oct', 'Dec'),
      time: fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 })),
      request: fc.string({ unit: fc.constantFrom(...'GET /a?b=c&d HTTP/1.1 é✓\\<>'.split('')), minLength: 1, maxLength: 60 }).filter((s) => s !== '-'),
      status: fc.integer({ min: 100, max: 599 }),
      bytes: fc.oneof(fc.constant('-'), fc.nat().map(String)),
      referer: fc.oneof(fc.constant('-'), fc.webUrl()),
      agent: fc.string({ unit: fc.constantFrom(...'Mozilla/5.0 (X11; Linux) 日本 \\'.split('')), minLength: 1, maxLength: 60 }).filter((s) => s !== '-'),
    });
    fc.assert(
      fc.property(part, (p) => {
        const pad = (n: number) => String(n).padStart(2, '0');
        const datetime = `${pad(p.day)}/${p.month}/2026:${pad(p.time[0])}:${pad(p.time[1])}:${pad(p.time[2])} +0000`;
        const line = `${p.host} - ${p.user} [${datetime}] "${p.request}" ${p.status} ${p.bytes} "${p.referer}" "${p.agent}"\n`;
        const out = run.text(line);
        expect(out).not.toBeNull();
        expect(out!.endsWith('}\n')).toBe(true);
        expect(JSON.parse(out!)).toEqual({
          host: p.host,
          ident: null,
          authuser: p.user === '-' ? null : p.user,
          datetime,
          request: p.request,
          response: String(p.status),
          bytes: p.bytes === '-' ? null : p.bytes,
          referer: p.referer === '-' ? null : p.referer,
          agent: p.agent,
        });
      }),
    );
  });

  it('CSVTOJSON quoted reads back any RFC 4180 row', () => {
    const run = chainOf([{ optionName: 'CSVTOJSON', customFieldNames: ['a', 'b', 'c', 'd'], delimiter: ',', quoted: true, jsonFormat: 'COMPACT' }]);
    const field = fc.string({ unit: fc.constantFrom('x', 'é', ',', '"', ' ', '\n', '\\'), maxLength: 10 });
    fc.assert(
      fc.property(fc.array(field, { minLength: 4, maxLength: 4 }), (fields) => {
        const row = fields.map((f) => (/[",\n]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f)).join(',');
        expect(JSON.parse(run.text(row + '\n')!)).toEqual({ a: fields[0], b: fields[1], c: fields[2], d: fields[3] });
      }),
    );
  });

  it('CSVTOJSON gives back the columns of any row, trailing empty ones as null', () => {
    const run = chainOf([{ optionName: 'CSVTOJSON', customFieldNames: ['a', 'b', 'c'], delimiter: '\t', quoted: false, jsonFormat: 'COMPACT' }]);
    fc.assert(
      fc.property(fc.array(text('xy "é,\\', 0, 5), { minLength: 3, maxLength: 3 }), (cols) => {
        const last = cols.findLastIndex((c) => c !== '');
        const expected = Object.fromEntries(['a', 'b', 'c'].map((k, i) => [k, i <= last ? cols[i] : null]));
        expect(JSON.parse(run.text(cols.join('\t') + '\n')!)).toEqual(expected);
      }),
    );
  });

  it('JSON keeps any object\'s content, on one line', () => {
    const run = chainOf([{ optionName: 'JSON', jsonFormat: 'COMPACT' }]);
    const pretty = chainOf([{ optionName: 'JSON', jsonFormat: 'PRETTYPRINT' }]);
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const input = JSON.stringify(obj, null, 3) + '\n';
        const out = run.text(input)!;
        expect(out.indexOf('\n')).toBe(out.length - 1);
        expect(JSON.parse(out)).toEqual(JSON.parse(input));
        expect(JSON.parse(pretty.text(input)!)).toEqual(JSON.parse(input));
      }),
    );
    expect(run.metrics.processingErrors).toBe(0);
  });
});
