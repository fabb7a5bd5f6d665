import { parseArgs } from 'node:util';
import { AgentError } from '../errors.js';

export type Command = 'run' | 'validate' | 'schema' | 'help' | 'version';

export interface CliArgs {
  command: Command;
  configPath: string | undefined;
  logLevel: string | undefined;
}

const COMMANDS: readonly Command[] = ['run', 'validate', 'schema', 'help', 'version'];

export class UsageError extends AgentError {
  constructor(message: string) {
    super('USAGE', message, 'run `kinesis-agent --help` for the commands and options');
  }
}

/** Parses argv (without node and script). Flags of the Kinesis Agent's CLI are accepted too. */
export function parseCliArgs(argv: string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        configuration: { type: 'string' },
        'log-level': { type: 'string', short: 'L' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const first = positionals[0];
  // `validate FILE` reads as naturally as `validate -c FILE`.
  const fileArg = first === 'validate' ? positionals[1] : undefined;
  const extra = positionals[fileArg === undefined ? 1 : 2];
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
  if (first !== undefined && !(COMMANDS as readonly string[]).includes(first)) {
    throw new UsageError(`unknown command '${first}'`);
  }
  let command = (first as Command | undefined) ?? 'run';
  if (values.help) command = 'help';
  else if (values.version) command = 'version';
  return {
    command,
    configPath: values.config ?? values.configuration ?? fileArg,
    logLevel: values['log-level'],
  };
}

export const HELP = `kinesis-agent: ships log files to Amazon Kinesis Data Streams and Firehose

Usage:
  kinesis-agent [run] [-c FILE]     run in the foreground until SIGTERM or SIGINT
  kinesis-agent validate [-c] FILE  check a configuration; print every problem
  kinesis-agent schema              print the configuration's JSON Schema (draft-07), for
                                    editor completion: kinesis-agent schema > agent.schema.json
  kinesis-agent status [-c FILE] [--url URL] [--json]
                                    tailed files and their progress, from the running
                                    agent's status server or else the checkpoint file
  kinesis-agent import-checkpoints FILE [-c FILE]
                                    take each flow's positions from the Kinesis Agent's
                                    checkpoint database FILE, once (stop both agents first)
  kinesis-agent --version
  kinesis-agent --help

Options:
  -c, --config FILE        configuration file, YAML or JSON (also --configuration)
                           default: /etc/kinesis-agent/agent.yaml, else
                           /etc/aws-kinesis/agent.json when that exists
  -L, --log-level LEVEL    trace, debug, info, warn, error (overrides log.level)

Exit codes: 0 clean stop or valid config, 1 runtime failure, 2 configuration error.
SIGHUP reloads the configuration; SIGTERM drains and stops.
`;
