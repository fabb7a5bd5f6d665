import { describe, expect, it } from 'vitest';
import { ConditionBoard, OK } from '../../src/events/conditions.ts';
import { memoryLogger } from './memory-log.ts';

const notFound = { state: 'ResourceNotFound', message: 'stream missing', fields: { stream: 'web' } };
const denied = { state: 'AccessDenied', message: 'access denied', level: 'error' as const, clearedMessage: 'delivery resumed' };

describe('conditions: once per change of state', () => {
  it('logs a condition once per change of state, and its clearing once', () => {
    const mem = memoryLogger('trace');
    const c = new ConditionBoard().scope('flow web', mem.log);
    c.clear('delivery'); // fine from the start: silent
    for (let i = 0; i < 5; i++) c.raise('delivery', notFound);
    c.raise('delivery', denied);
    c.raise('delivery', denied);
    c.clear('delivery');
    c.clear('delivery');
    expect(mem.lines().map((l) => [l.level, l.msg, l.was])).toEqual([
      ['warn', 'stream missing', undefined],
      ['error', 'access denied', 'ResourceNotFound'],
      ['info', 'delivery resumed', 'AccessDenied'],
    ]);
    expect(mem.lines()[0]).toMatchObject({ stream: 'web' });
  });

  it('lists what lasts, by scope and key, on one board that every scope shares', () => {
    const mem = memoryLogger('trace');
    const board = new ConditionBoard();
    const a = board.scope('flow a', mem.log);
    const cp = board.scope('checkpoint', mem.log);
    a.raise('read:1:2', { state: 'EACCES', message: 'cannot read file; will retry', fields: { path: '/x' } });
    cp.raise('write', { state: 'ENOSPC', message: 'cannot write the checkpoint file' });
    expect(board.problems().map((p) => [p.scope, p.key, p.state])).toEqual([
      ['flow a', 'read:1:2', 'EACCES'],
      ['checkpoint', 'write', 'ENOSPC'],
    ]);
    expect(a.state('read:1:2')).toBe('EACCES');
    cp.clear('write');
    expect(board.problems().map((p) => p.key)).toEqual(['read:1:2']);
  });

  it('forgets without a word what is gone (a deleted file, a stopped flow)', () => {
    const mem = memoryLogger('trace');
    const board = new ConditionBoard();
    const a = board.scope('flow a', mem.log);
    a.raise('read:1', { state: 'EIO', message: 'm' });
    a.raise('read:2', { state: 'EIO', message: 'm' });
    a.forget('read:1');
    expect(a.state('read:1')).toBe(OK);
    a.forgetAll();
    expect(board.problems()).toEqual([]);
    expect(mem.lines().filter((l) => l.level === 'info')).toEqual([]);
  });

  it('keeps the first time through a change of state', () => {
    const board = new ConditionBoard();
    const a = board.scope('s', memoryLogger('trace').log);
    a.raise('k', notFound);
    const since = board.problems()[0]!.since;
    a.raise('k', denied);
    expect(board.problems()[0]!.since).toBe(since);
    expect(board.problems()[0]!.state).toBe('AccessDenied');
  });
});
