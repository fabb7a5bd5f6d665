/**
 * "Once per change of state", written once: a condition a person must fix
 * (a missing stream, access denied, an unreadable file, a full disk, a failed
 * reload) is logged when it starts, when it turns into another state, and
 * when it clears, never once per retry; and while it lasts it is listed, for
 * GET /status `problems` and `kinesis-agent status`. The log and the list
 * read the same map, so they cannot disagree.
 */
import { pino } from 'pino';
import type { Logger } from '../log.js';

/** What a stage reports about one key (a file, the destination, the checkpoint file). */
export interface Condition {
  /**
   * Short and stable (an error code: 'EACCES', 'ENOSPC',
   * 'DESTINATION_NOT_FOUND'): the same state again logs nothing, another
   * state logs again.
   */
  state: string;
  /** The sentence logged, and shown on /status while it lasts. */
  message: string;
  /** Default 'warn'. */
  level?: 'warn' | 'error';
  /** Fields of the log line (path, code, hint...). */
  fields?: Record<string, unknown>;
  /** Logged at info when the condition clears; default `resolved: <message>`. */
  clearedMessage?: string;
}

/** One condition that lasts, as /status lists it. */
export interface Problem {
  /** Who reports it: 'agent', 'checkpoint', 'flow web', 'cloudwatch'. */
  scope: string;
  /** What it is about, within the scope: 'delivery', 'file /var/log/a.log'. */
  key: string;
  state: string;
  message: string;
  /** ISO time it started (its state may have changed since). */
  since: string;
}

interface Open {
  scope: string;
  key: string;
  condition: Condition;
  since: number;
}

/**
 * Every condition of one agent, by scope and key. One board per Agent; each
 * stage gets a Conditions for its own scope.
 */
export class ConditionBoard {
  private readonly open = new Map<string, Open>();

  /** A reporter for one scope, logging through `log`. */
  scope(name: string, log: Logger): Conditions {
    return new Conditions(this, name, log);
  }

  /** Conditions that last now, oldest first. */
  problems(): Problem[] {
    return [...this.open.values()].map((o) => ({
      scope: o.scope,
      key: o.key,
      state: o.condition.state,
      message: o.condition.message,
      since: new Date(o.since).toISOString(),
    }));
  }

  /** @internal Conditions's store. */
  get(scope: string, key: string): Open | undefined {
    return this.open.get(id(scope, key));
  }

  /** @internal */
  set(o: Open): void {
    this.open.set(id(o.scope, o.key), o);
  }

  /** @internal */
  delete(scope: string, key?: string): void {
    if (key !== undefined) {
      this.open.delete(id(scope, key));
      return;
    }
    for (const [k, o] of this.open) if (o.scope === scope) this.open.delete(k);
  }
}

function id(scope: string, key: string): string {
  return `${scope}\u0000${key}`;
}

let silent: Logger | undefined;

/** The state every key is in until told otherwise. */
export const OK = 'ok';

/** The port a stage reports its conditions through. */
export class Conditions {
  constructor(
    private readonly board: ConditionBoard,
    readonly scope: string,
    private readonly log: Logger,
  ) {}

  /** Conditions that go nowhere but their own board (unit tests, tools). */
  static detached(log: Logger = (silent ??= pino({ level: 'silent' }))): Conditions {
    return new ConditionBoard().scope('detached', log);
  }

  /**
   * `key` is in `condition` now. Logs only when the key was fine or in
   * another state; returns whether it logged.
   */
  raise(key: string, condition: Condition): boolean {
    const was = this.board.get(this.scope, key);
    if (was && was.condition.state === condition.state) {
      // Same state: keep the first time, refresh the words (a count, a path).
      was.condition = condition;
      return false;
    }
    this.board.set({ scope: this.scope, key, condition, since: was?.since ?? Date.now() });
    const fields = { ...condition.fields, ...(was ? { was: was.condition.state } : {}) };
    if (condition.level === 'error') this.log.error(fields, condition.message);
    else this.log.warn(fields, condition.message);
    return true;
  }

  /** `key` is fine again. Logs (at info) only when it was not; returns whether it logged. */
  clear(key: string, fields: Record<string, unknown> = {}): boolean {
    const was = this.board.get(this.scope, key);
    if (!was) return false;
    this.board.delete(this.scope, key);
    this.log.info(
      { ...pickPath(was.condition.fields), ...fields, was: was.condition.state, lastedMs: Date.now() - was.since },
      was.condition.clearedMessage ?? `resolved: ${was.condition.message}`,
    );
    return true;
  }

  /** The key's state: OK when it is fine. */
  state(key: string): string {
    return this.board.get(this.scope, key)?.condition.state ?? OK;
  }

  /** Drops a key without a word: what it was about is gone (a deleted file). */
  forget(key: string): void {
    this.board.delete(this.scope, key);
  }

  /** Drops every key of this scope without a word (a flow stopped). */
  forgetAll(): void {
    this.board.delete(this.scope);
  }
}

function pickPath(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  return fields && 'path' in fields ? { path: fields.path } : {};
}
