import { AgentError } from '../errors.js';

/** One thing wrong with a configuration, precise enough to fix without guessing. */
export interface ConfigProblem {
  /** The file as the user named it (main config or an agent.d/ file). */
  file: string;
  /** Key path such as `flows[1].maxBufferSizeRecords`; empty for the file as a whole. */
  path: string;
  /** 1-based position of the offending key or value, when the text has one. */
  line?: number;
  column?: number;
  message: string;
  hint?: string;
}

/** `agent.yaml:12:5 flows[1].maxBufferSizeRecords: 900 is over the maximum 500 (hint: ...)` */
export function formatProblem(p: ConfigProblem): string {
  const where = p.line !== undefined ? `${p.file}:${p.line}:${p.column ?? 1}` : p.file;
  const key = p.path ? ` ${p.path}:` : '';
  const hint = p.hint ? ` (hint: ${p.hint})` : '';
  return `${where}${key} ${p.message}${hint}`;
}

/** Every problem found in a configuration, thrown once after validation looked at all of it. */
export class ConfigError extends AgentError {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(
      'CONFIG_INVALID',
      problems.map(formatProblem).join('\n'),
      'fix each line above; `kinesis-agent validate <file>` checks a config without starting the agent',
    );
    this.problems = problems;
  }
}
