import { formatProblem, type ConfigProblem } from './errors.js';

export interface Pos {
  line: number;
  column: number;
}

/**
 * Collects problems for one file so that validation can go on after the
 * first, and warnings: things the Kinesis Agent accepts that this agent
 * accepts too but the user should hear about (`run` logs them, `validate`
 * prints them).
 */
export class ProblemList {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
    readonly warnings: string[] = [],
  ) {}

  /** `agent.json:12:5 flows[0].foo: is not a known key and is ignored (hint: ...)` */
  warn(path: string, pos: Pos | undefined, message: string, hint?: string): void {
    this.warnings.push(formatProblem(this.problem(path, pos, message, hint)));
  }

  add(path: string, pos: Pos | undefined, message: string, hint?: string): void {
    this.problems.push(this.problem(path, pos, message, hint));
  }

  private problem(path: string, pos: Pos | undefined, message: string, hint: string | undefined): ConfigProblem {
    const p: ConfigProblem = { file: this.file, path, message };
    if (pos) {
      p.line = pos.line;
      p.column = pos.column;
    }
    if (hint) p.hint = hint;
    return p;
  }
}

export function joinKey(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

export function joinIndex(parent: string, index: number): string {
  return `${parent}[${index}]`;
}
