import type { MallocInUse } from './malloc-switch.js';
import { Agent } from '../agent.js';
import { HELP, parseCliArgs, type CliArgs } from './args.js';
import { checkConfig, defaultConfigPath, formatProblem, loadConfig } from '../config/index.js';
import { AgentError, isAgentError } from '../errors.js';
import { createLogger, levelFromEnv, registerConfigSecrets, registerSecret, type LogLevel, type Logger } from '../log.js';
import { configSchema } from '../config/schema.js';
import type { AgentConfig } from '../config/types.js';
import { importCheckpointsCommand } from '../migrate/command.js';
import { statusCommand } from '../status/command.js';
import { VERSION } from '../version.js';
import { startMemoryRelease } from '../memory-release.js';
import { regionFromInstanceMetadata } from '../aws/region.js';

export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_CONFIG = 2;

class NoConfigError extends AgentError {
  constructor() {
    super(
      'CONFIG_NOT_FOUND',
      'no configuration file given and none found at /etc/kinesis-agent/agent.yaml or /etc/aws-kinesis/agent.json',
      'pass one with -c FILE',
    );
  }
}

function configPathOf(args: CliArgs): string {
  const path = args.configPath ?? defaultConfigPath();
  if (!path) throw new NoConfigError();
  return path;
}

async function validate(args: CliArgs): Promise<number> {
  const path = configPathOf(args);
  const { config, problems, warnings } = await checkConfig(path, { instanceRegion: regionFromInstanceMetadata });
  for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`${formatProblem(p)}\n`);
    process.stderr.write(`${path}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
    return EXIT_CONFIG;
  }
  process.stdout.write(`${path}: valid, ${config?.flows.length ?? 0} flow(s)\n`);
  return EXIT_OK;
}

/** Stop and reload signals that arrived before the agent could act on them (see src/cli.ts). */
export interface EarlySignals {
  pending: NodeJS.Signals[];
  handler: (signal: NodeJS.Signals) => void;
  /** The malloc `run` is on (src/cli/malloc-switch.ts), logged once at start. */
  malloc?: MallocInUse | undefined;
}

/** After the drain's deadline, this long for the checkpoint write and the last log lines; then the process ends regardless. */
export const STOP_MARGIN_MS = 2000;

async function run(args: CliArgs, early: EarlySignals): Promise<number> {
  const path = configPathOf(args);
  const config = await loadConfig(path, { instanceRegion: regionFromInstanceMetadata });
  // Before the first line is logged: secrets are scrubbed from every line.
  registerConfigSecrets(config);
  // -L wins over KINESIS_AGENT_LOG_LEVEL, which wins over log.level (applied again at each reload).
  const levelOf = (c: AgentConfig): LogLevel => (args.logLevel as LogLevel | undefined) ?? levelFromEnv(c.log.level);
  const log = createLogger({ level: levelOf(config) });
  installCrashHandlers(log);
  if (early.malloc) log.info({ malloc: early.malloc.allocator, why: early.malloc.why }, 'malloc');
  const agent = new Agent(config, log, { levelOf });
  // Stop signals act whatever the agent is doing (starting, reloading,
  // stuck on a file system): the first drains within shutdownTimeoutMillis,
  // and the process ends STOP_MARGIN_MS after that at the latest; a second
  // ends it at once.
  const stopped = new Promise<void>((resolve) => {
    let signals = 0;
    const onStop = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals > 1) {
        log.warn({ signal }, 'second stop signal: exiting without waiting for in-flight records');
        log.flush();
        process.exit(EXIT_RUNTIME);
      }
      log.info({ signal, state: agent.state }, 'stopping');
      const limit = agent.currentConfig.shutdownTimeoutMillis + STOP_MARGIN_MS;
      setTimeout(() => {
        log.error({ afterMs: limit }, 'the drain did not end in time; exiting without it');
        log.flush();
        process.exit(EXIT_RUNTIME);
      }, limit).unref();
      void agent.stop().then(resolve);
    };
    process.off('SIGTERM', early.handler);
    process.off('SIGINT', early.handler);
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    for (const signal of early.pending) if (signal !== 'SIGHUP') onStop(signal);
  });
  process.off('SIGHUP', early.handler);
  process.on('SIGHUP', () => {
    void agent.reload(path);
  });
  // A failed start ends the run with its error, unless a stop came first.
  const started = agent.start();
  // A SIGHUP while the modules or the config loaded may have come with a
  // config newer than the one read: reload once the start is done.
  if (early.pending.includes('SIGHUP')) void agent.reload(path);
  early.pending.length = 0;
  await Promise.race([started, stopped]);
  const stopReleasing = startMemoryRelease(log);
  await stopped;
  stopReleasing();
  // A stop that could not write the checkpoints is not clean: what they miss is sent again at the next start.
  return agent.stoppedCleanly ? EXIT_OK : EXIT_RUNTIME;
}

function describe(err: unknown): string {
  return isAgentError(err) ? err.toLine() : err instanceof Error ? err.message : String(err);
}

function installCrashHandlers(log: Logger): void {
  const crash = (err: unknown) => {
    log.fatal({ err: describe(err) }, 'unexpected failure; exiting');
    log.flush();
    process.exit(EXIT_RUNTIME);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}

export async function main(argv: string[], early: EarlySignals = { pending: [], handler: () => {} }): Promise<number> {
  // Secrets the SDK's default chain may take from the environment are
  // scrubbed from every line, like those in the config.
  registerSecret(process.env.AWS_SECRET_ACCESS_KEY);
  registerSecret(process.env.AWS_SESSION_TOKEN);
  try {
    // `status` parses its own options (--url, --json).
    if (argv[0] === 'status') return await statusCommand(argv.slice(1));
    if (argv[0] === 'import-checkpoints') return await importCheckpointsCommand(argv.slice(1));
    const args = parseCliArgs(argv);
    switch (args.command) {
      case 'help':
        process.stdout.write(HELP);
        return EXIT_OK;
      case 'version':
        process.stdout.write(`kinesis-agent ${VERSION}\n`);
        return EXIT_OK;
      case 'validate':
        return await validate(args);
      case 'schema':
        process.stdout.write(`${JSON.stringify(configSchema(), null, 2)}\n`);
        return EXIT_OK;
      case 'run':
        return await run(args, early);
    }
  } catch (err) {
    if (isAgentError(err)) {
      // A mistake a user can fix: one line and a hint, never a stack trace.
      process.stderr.write(`kinesis-agent: ${err.toLine()}\n`);
      return err.code.startsWith('CONFIG') || err.code === 'USAGE' ? EXIT_CONFIG : EXIT_RUNTIME;
    }
    process.stderr.write(`kinesis-agent: unexpected failure: ${describe(err)}\n`);
    if (err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return EXIT_RUNTIME;
  }
}

