import { describe, expect, it } from 'vitest';
import { OK, StateLog } from '../../src/metrics/state-log.ts';

describe('state log', () => {
  it('logs a problem once per change of state, and its recovery once', () => {
    const s = new StateLog();
    const seen: string[] = [];
    const log = (state: string, previous: string) => seen.push(`${previous}->${state}`);
    s.report('stream:web', OK, log); // healthy from the start: silent
    for (let i = 0; i < 5; i++) s.report('stream:web', 'ResourceNotFound', log);
    s.report('stream:web', 'AccessDenied', log);
    s.report('stream:web', 'AccessDenied', log);
    s.report('stream:web', OK, log);
    s.report('stream:web', OK, log);
    expect(seen).toEqual(['ok->ResourceNotFound', 'ResourceNotFound->AccessDenied', 'AccessDenied->ok']);
  });

  it('keeps keys apart and lists current problems', () => {
    const s = new StateLog();
    const seen: string[] = [];
    s.report('file:/a', 'EACCES', (st) => seen.push(`a ${st}`));
    s.report('file:/b', 'EACCES', (st) => seen.push(`b ${st}`));
    expect(seen).toEqual(['a EACCES', 'b EACCES']);
    expect(s.problems()).toEqual([
      ['file:/a', 'EACCES'],
      ['file:/b', 'EACCES'],
    ]);
    s.forget('file:/a');
    expect(s.get('file:/a')).toBe(OK);
    expect(s.get('file:/b')).toBe('EACCES');
  });
});
