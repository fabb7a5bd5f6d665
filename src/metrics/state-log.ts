/**
 * "Once per change of state": a problem a user must fix (bad credentials, a
 * missing stream, an unreadable file) is logged when it starts, when it turns
 * into another problem, and when it clears, never once per retry.
 */

/** The state every key is in until told otherwise; reporting it first logs nothing. */
export const OK = 'ok';

export type StateLogFn = (state: string, previous: string) => void;

export class StateLog {
  private readonly states = new Map<string, string>();

  /**
   * Records `state` for `key` and calls `logFn(state, previous)` only when it
   * differs from the last state recorded (OK at first). Returns whether it
   * logged. Recovery is `report(key, OK, ...)`.
   */
  report(key: string, state: string, logFn: StateLogFn): boolean {
    const previous = this.states.get(key) ?? OK;
    if (previous === state) return false;
    if (state === OK) this.states.delete(key);
    else this.states.set(key, state);
    logFn(state, previous);
    return true;
  }

  /** The current state of a key (OK when never reported or cleared). */
  get(key: string): string {
    return this.states.get(key) ?? OK;
  }

  /** Forgets a key (a file that is gone, a flow that stopped). */
  forget(key: string): void {
    this.states.delete(key);
  }

  /** Keys not OK now, with their state. */
  problems(): Array<[string, string]> {
    return [...this.states];
  }
}

const shared = new StateLog();

/** The process-wide StateLog; see StateLog.report. */
export function reportState(key: string, state: string, logFn: StateLogFn): boolean {
  return shared.report(key, state, logFn);
}

export function forgetState(key: string): void {
  shared.forget(key);
}

/** Problems reported through reportState() and not cleared yet (shown on /status). */
export function currentProblems(): Array<{ key: string; state: string }> {
  return shared.problems().map(([key, state]) => ({ key, state }));
}
