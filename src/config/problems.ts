import type { ConfigProblem } from './errors.js';

export interface Pos {
  line: number;
  column: number;
}

/** Collects problems for one file so that validation can go on after the first. */
export class ProblemList {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {}

  add(path: string, pos: Pos | undefined, message: string, hint?: string): void {
    const p: ConfigProblem = { file: this.file, path, message };
    if (pos) {
      p.line = pos.line;
      p.column = pos.column;
    }
    if (hint) p.hint = hint;
    this.problems.push(p);
  }
}

export function joinKey(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}

export function joinIndex(parent: string, index: number): string {
  return `${parent}[${index}]`;
}
