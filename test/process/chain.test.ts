import { describe, expect, it } from 'vitest';
import { chainOf, capturingLogger } from './helpers.js';

const COMBINED =
  '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"\n';

describe('processor chain', () => {
  it('returns its input unchanged, the same Buffer, when there are no options', () => {
    const run = chainOf([]);
    const input = Buffer.from('anything at all\n');
    expect(run.chain.process(input)).toBe(input);
  });

  it('runs options in the order listed: LOGTOJSON then ADDMETADATA', () => {
    const run = chainOf([
      { optionName: 'LOGTOJSON', logFormat: 'COMBINEDAPACHELOG', jsonFormat: 'COMPACT' },
      { optionName: 'ADDMETADATA', metadata: { app: 'web' }, timestamp: false, jsonFormat: 'COMPACT' },
    ]);
    const out = JSON.parse(run.text(COMBINED)!) as { metadata: unknown; data: string };
    expect(out.metadata).toEqual({ app: 'web' });
    expect(JSON.parse(out.data)).toMatchObject({ host: '127.0.0.1', authuser: 'frank', response: '200' });
  });

  it('runs SINGLELINE before LOGTOJSON so a folded line still parses', () => {
    const run = chainOf([{ optionName: 'SINGLELINE' }, { optionName: 'LOGTOJSON', logFormat: 'SYSLOG', jsonFormat: 'COMPACT' }]);
    expect(JSON.parse(run.text('Nov 25 17:40:38 host app[7]: first part \n   and the rest\n')!)).toMatchObject({ message: 'first partand the rest' });
  });

  it('stops at a skipping processor and counts the record once', () => {
    const run = chainOf([
      { optionName: 'LOGTOJSON', logFormat: 'SYSLOG', jsonFormat: 'COMPACT' },
      { optionName: 'ADDBRACKETS' },
    ]);
    expect(run.text('not syslog\n')).toBeNull();
    expect(run.metrics.recordsSkipped).toBe(1);
  });

  it('sends the record as it came when a later processor fails, and counts the error', () => {
    const cap = capturingLogger('warn');
    const run = chainOf(
      [
        { optionName: 'ADDBRACKETS' },
        { optionName: 'JSON', jsonFormat: 'COMPACT' },
      ],
      cap.log,
    );
    expect(run.text('plain text\n')).toBe('plain text\n');
    expect(run.text('more text\n')).toBe('more text\n');
    expect(run.metrics.processingErrors).toBe(2);
    const warnings = cap.lines().filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ option: 'JSON' });
  });

  it('resolves ready() at once when no processor waits for anything', async () => {
    const run = chainOf([{ optionName: 'SINGLELINE' }]);
    await expect(run.chain.ready()).resolves.toBeUndefined();
    run.chain.close();
  });
});
