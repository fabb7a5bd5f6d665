/**
 * Turns the framer's lines into records when a record is more than one
 * line: the container runtime's wrapper taken off and its partial lines
 * joined (`containerFormat`), then the lines of one entry gathered
 * (`multiLineStartPattern`, `multiLine`). A record covers the file bytes of
 * every line it was made of, [first start, last end), so it is acknowledged
 * only when all of them are; records come out in file order and tile the
 * lines taken in.
 */
import { CONTAINER_PARSERS, type ContainerFormat, type ContainerLine } from './container-format.js';
import { startRule, type MultiLinePreset, type StartRule } from './multiline-presets.js';

export interface AssemblyOptions {
  /** Largest record, newline or terminator included: more is kept as `max + 1` bytes, marked truncated. */
  maxRecordBytes: number;
  multiLineStartPattern?: RegExp | undefined;
  multiLine?: MultiLinePreset | undefined;
  containerFormat?: ContainerFormat | undefined;
}

/**
 * Receives a record: file bytes [start, end). `data` is at most `max + 1`
 * bytes; a record longer than `max` (or `truncated`) is to be cut to it.
 */
export type Emit = (data: Buffer, start: number, end: number, truncated: boolean) => void;

const LF = 0x0a;
const NEWLINE = Buffer.from('\n');

/** Whether lines need assembling: any of the three keys is set. */
export function needsAssembly(opts: AssemblyOptions): boolean {
  return opts.multiLineStartPattern !== undefined || opts.multiLine !== undefined || opts.containerFormat !== undefined;
}

/** Pieces of one record being gathered, holding at most `cap` bytes of them. */
class Gathering {
  start = -1;
  end = 0;
  private parts: Buffer[] = [];
  private len = 0;
  private truncated = false;
  private readonly cap: number;

  constructor(cap: number) {
    this.cap = cap;
  }

  get active(): boolean {
    return this.start >= 0;
  }

  add(data: Buffer, start: number, end: number, truncated: boolean): void {
    if (this.start < 0) this.start = start;
    this.end = end;
    if (truncated) this.truncated = true;
    const room = this.cap - this.len;
    if (room <= 0) {
      if (data.length > 0) this.truncated = true;
      return;
    }
    const kept = data.length > room ? data.subarray(0, room) : data;
    this.parts.push(kept);
    this.len += kept.length;
    if (this.len >= this.cap) this.truncated = true;
  }

  take(emit: Emit, terminate = false): void {
    let data = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.len);
    if (terminate && (data.length === 0 || data[data.length - 1] !== LF)) data = Buffer.concat([data, NEWLINE]);
    const { start, end, truncated } = this;
    this.parts = [];
    this.len = 0;
    this.start = -1;
    this.truncated = false;
    emit(data, start, end, truncated);
  }
}

/** Joins a container runtime's partial lines and hands on the application's lines. */
class ContainerJoiner {
  private readonly parse: (line: Buffer) => ContainerLine | undefined;
  private readonly partial: Gathering;
  private stream = '';
  private readonly next: Emit;

  constructor(format: ContainerFormat, cap: number, next: Emit) {
    this.parse = CONTAINER_PARSERS[format];
    this.partial = new Gathering(cap);
    this.next = next;
  }

  get pendingBytes(): number {
    return this.partial.active ? this.partial.end - this.partial.start : 0;
  }

  line(data: Buffer, start: number, end: number, truncated: boolean): void {
    const parsed = this.parse(data);
    // Not the runtime's format: sent as it is, after whatever was waiting for its end.
    if (!parsed) {
      this.flush();
      this.next(data, start, end, truncated);
      return;
    }
    // Parts of one line come from one stream: another stream's line ends the wait.
    if (this.partial.active && parsed.stream !== this.stream) this.flush();
    if (parsed.partial) {
      this.stream = parsed.stream;
      this.partial.add(parsed.content, start, end, truncated);
      return;
    }
    if (this.partial.active) {
      this.partial.add(parsed.content, start, end, truncated);
      this.partial.take(this.next, true);
      return;
    }
    this.next(parsed.content, start, end, truncated);
  }

  /** A partial line whose end never came goes out as it is, with a newline. */
  flush(): void {
    if (this.partial.active) this.partial.take(this.next, true);
  }
}

/** Gathers the lines of one entry by the flow's start rule. */
class EntryGrouper {
  private readonly starts: StartRule;
  private readonly group: Gathering;
  private readonly emit: Emit;

  constructor(starts: StartRule, cap: number, emit: Emit) {
    this.starts = starts;
    this.group = new Gathering(cap);
    this.emit = emit;
  }

  get pendingBytes(): number {
    return this.group.active ? this.group.end - this.group.start : 0;
  }

  line(data: Buffer, start: number, end: number, truncated: boolean): void {
    const textEnd = data.length > 0 && data[data.length - 1] === LF ? data.length - 1 : data.length;
    // The rule sees every line, in order: a preset's state depends on the line before.
    const starts = this.starts(data.toString('utf8', 0, textEnd));
    if (this.group.active && starts) this.group.take(this.emit);
    this.group.add(data, start, end, truncated);
  }

  flush(): void {
    if (this.group.active) this.group.take(this.emit);
  }
}

/**
 * The stage between the framer's lines and its records. `line()` takes one
 * complete line (data ending in `\n`, or `max + 1` bytes of a longer one);
 * `flush()` sends whatever is gathered (quiet period, end of input, footer).
 */
export class LineAssembler {
  private readonly joiner: ContainerJoiner | undefined;
  private readonly grouper: EntryGrouper | undefined;

  constructor(opts: AssemblyOptions, emit: Emit) {
    const cap = Math.max(1, opts.maxRecordBytes) + 1;
    const grouped = opts.multiLineStartPattern !== undefined || opts.multiLine !== undefined;
    this.grouper = grouped ? new EntryGrouper(startRule(opts.multiLineStartPattern, opts.multiLine), cap, emit) : undefined;
    const afterJoin: Emit = this.grouper ? (d, s, e, t) => this.grouper!.line(d, s, e, t) : emit;
    this.joiner = opts.containerFormat ? new ContainerJoiner(opts.containerFormat, cap, afterJoin) : undefined;
  }

  /** Lines taken in whose record has not gone out yet. */
  get pending(): boolean {
    return this.pendingBytes > 0;
  }

  /** File bytes of the lines taken in whose record has not gone out yet. */
  get pendingBytes(): number {
    return (this.joiner?.pendingBytes ?? 0) + (this.grouper?.pendingBytes ?? 0);
  }

  line(data: Buffer, start: number, end: number, truncated: boolean): void {
    if (this.joiner) this.joiner.line(data, start, end, truncated);
    else this.grouper!.line(data, start, end, truncated);
  }

  flush(): void {
    this.joiner?.flush();
    this.grouper?.flush();
  }
}
