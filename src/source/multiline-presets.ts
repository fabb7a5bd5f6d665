/**
 * Multi-line presets (`multiLine: java | python | go | ruby`): which lines of
 * a log belong to a stack trace, so that a trace travels as one record.
 *
 * Each runtime is a small state machine over lines: `step(state, line)` says
 * whether the line opens a trace (`header`), belongs to the trace before it
 * (`trace`) or is neither (`other`), and the state for the next line. The
 * shapes are those the runtimes print (Throwable.printStackTrace, CPython's
 * traceback module, the Go runtime's panic and goroutine dumps, Ruby's
 * Exception#full_message); the test fixtures hold traces the runtimes
 * printed.
 */

import { recordStartTest } from './line-match.js';

import type { MultiLinePreset } from '../config/flow-options.js';

export type { MultiLinePreset } from '../config/flow-options.js';

/** What one line is to the trace being read. */
export type LineKind = 'header' | 'trace' | 'other';

export interface Step<S extends string> {
  kind: LineKind;
  next: S;
}

export interface PresetMachine<S extends string> {
  initial: S;
  /** `line` is the line's text without its newline. */
  step(state: S, line: string): Step<S>;
}

// ---- Java: Throwable.printStackTrace (and logback/log4j, which print the same) ----

const JAVA_FRAME = /^\s+(at\s|\.\.\.\s\d+\s(more|common frames omitted))/;
const JAVA_CAUSE = /^\s*(Caused by|Suppressed):\s/;
const JAVA_HEADER = /^(Exception in thread "[^"]*" )?([A-Za-z_$][\w$]*[.$])+[\w$]*(Exception|Error|Throwable)(:.*)?$/;

export type JavaState = 'out' | 'in';
export const java: PresetMachine<JavaState> = {
  initial: 'out',
  step(state, line) {
    if (JAVA_FRAME.test(line)) return { kind: 'trace', next: 'in' };
    if (JAVA_CAUSE.test(line)) return { kind: state === 'in' ? 'trace' : 'header', next: 'in' };
    if (JAVA_HEADER.test(line)) return { kind: 'header', next: 'in' };
    return { kind: 'other', next: 'out' };
  },
};

// ---- Python: the traceback module, chained exceptions included ----

const PY_TRACEBACK = /^\s*(\+ )?(Exception Group )?Traceback \(most recent call last\):$/;
const PY_CHAIN = /^(During handling of the above exception, another exception occurred:|The above exception was the direct cause of the following exception:)$/;

/** `tb`: in the frames; `end`: after the exception line; `chain`: after a chaining sentence. */
export type PythonState = 'out' | 'tb' | 'end' | 'chain';
export const python: PresetMachine<PythonState> = {
  initial: 'out',
  step(state, line) {
    if (PY_TRACEBACK.test(line) && !(state === 'tb' && /^\s/.test(line))) {
      return { kind: state === 'chain' ? 'trace' : 'header', next: 'tb' };
    }
    switch (state) {
      case 'tb':
        // Frames and source lines are indented; the first line that is not is the exception.
        return { kind: 'trace', next: line.length > 0 && !/^\s/.test(line) ? 'end' : 'tb' };
      case 'end':
      case 'chain':
        if (line.trim() === '') return { kind: 'trace', next: state };
        if (PY_CHAIN.test(line)) return { kind: 'trace', next: 'chain' };
        return { kind: 'other', next: 'out' };
      case 'out':
        return { kind: 'other', next: 'out' };
    }
  },
};

// ---- Go: panics, fatal errors and goroutine dumps of the runtime ----

const GO_HEADER = /^(panic: |fatal error: |SIG[A-Z]+: )/;
const GO_GOROUTINE = /^goroutine \d+ .*\[.*\]:$/;
const GO_TRACE_LINE = [
  /^\t/, // file:line of a frame, a nested panic
  /^\[signal /,
  /^created by /,
  /^\S+\(.*\)$/, // a function: main.main(), main.(*T).m(0xc000010000, {0x4a, 0x5})
  /^\.\.\.\d* ?additional frames elided\.\.\.$/,
  /^PC=0x[0-9a-f]+/,
  /^(r[a-z0-9]+|rip|rflags|cs|fs|gs)\s+0x[0-9a-f]+$/,
  /^exit status \d+$/,
];

export type GoState = 'out' | 'in';
export const go: PresetMachine<GoState> = {
  initial: 'out',
  step(state, line) {
    if (GO_HEADER.test(line)) return { kind: 'header', next: 'in' };
    if (GO_GOROUTINE.test(line)) return { kind: state === 'in' ? 'trace' : 'header', next: 'in' };
    if (state === 'in' && (line.trim() === '' || GO_TRACE_LINE.some((re) => re.test(line)))) {
      return { kind: 'trace', next: 'in' };
    }
    return { kind: 'other', next: 'out' };
  },
};

// ---- Ruby: Exception#full_message (uncaught exceptions) and logged backtraces ----

const RUBY_HEADER = /^\S+:\d+:in [`'].*['`]: .* \([A-Z][\w:]*\)$/;
const RUBY_FROM = /^\s+from \S+:\d+(:in .*)?$/;
const RUBY_FRAME = /^\S+:\d+:in [`'][^`']*['`]$/;
const RUBY_LEVELS = /^\s+\.\.\. \d+ levels\.\.\.$/;

export type RubyState = 'out' | 'in';
export const ruby: PresetMachine<RubyState> = {
  initial: 'out',
  step(state, line) {
    // A header inside a trace is the cause that full_message prints after it.
    if (RUBY_HEADER.test(line)) return { kind: state === 'in' ? 'trace' : 'header', next: 'in' };
    if (RUBY_FROM.test(line) || RUBY_FRAME.test(line) || RUBY_LEVELS.test(line)) return { kind: 'trace', next: 'in' };
    return { kind: 'other', next: 'out' };
  },
};

const MACHINES: Record<MultiLinePreset, PresetMachine<string>> = { java, python, go, ruby } as Record<MultiLinePreset, PresetMachine<string>>;

/**
 * Decides, line by line, whether a line starts a new record. Stateful: give
 * it every line of a file, in order.
 */
export type StartRule = (line: string) => boolean;

/**
 * The start rule of a flow:
 * - pattern only (the Kinesis Agent's `multiLineStartPattern`): a line starts
 *   a record when the pattern matches at its start (line-match.ts);
 * - preset only: a trace (from its header line) is one record, every other
 *   line is a record of its own;
 * - both: a line starts a record when it matches the pattern and is not part
 *   of a trace; a trace, header included, continues the record before it (so
 *   the log line that reports an exception and its trace are one record).
 */
export function startRule(pattern: RegExp | undefined, preset: MultiLinePreset | undefined): StartRule {
  if (!preset) {
    if (!pattern) return () => true;
    return recordStartTest(pattern);
  }
  const machine = MACHINES[preset];
  const matches = pattern && recordStartTest(pattern);
  let state = machine.initial;
  return (line) => {
    const { kind, next } = machine.step(state, line);
    state = next;
    if (matches) return kind === 'other' && matches(line);
    return kind !== 'trace';
  };
}
