/**
 * The config stage: read the main file and agent.d/ drop-ins, parse once,
 * validate everything, and hand out AgentConfig or every problem at once.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import type { AgentConfig, FlowConfig } from './types.js';
import { readTop } from './agent.js';
import { ConfigError, type ConfigProblem } from './errors.js';
import { flatten } from './flatten.js';
import { readFlow } from './flow.js';
import { joinIndex, ProblemList } from './problems.js';
import { parseTree, type RawNode } from './tree.js';
import { describe } from './reader.js';
import { LAST_RESORT_REGION, regionFromEnvOrProfile, withResolvedTargets, type DefaultRegion } from './region.js';

export interface ConfigOptions {
  /** Source of `${VAR}` values; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /**
   * The default region chain's answer; by default AWS_REGION,
   * AWS_DEFAULT_REGION and the AWS profile (checkConfig adds
   * `instanceRegion` when those name none), else us-east-1.
   */
  defaultRegion?: DefaultRegion;
  /**
   * The chain's last link before us-east-1, which needs the network (the
   * agent passes src/aws/region.ts regionFromInstanceMetadata); asked only
   * when nothing nearer names a region. Without it the chain ends at us-east-1.
   */
  instanceRegion?: (env: NodeJS.ProcessEnv) => Promise<DefaultRegion | undefined>;
}

export interface ConfigSource {
  /** The name shown in problems (as the user gave it). */
  file: string;
  text: string;
}

export interface CheckResult {
  config?: AgentConfig;
  problems: ConfigProblem[];
  /** What was accepted but should be heard about (also in config.warnings when it loads); `validate` prints them either way. */
  warnings: string[];
  /** A destination's region fell through the whole chain to us-east-1. */
  usedLastResortRegion?: boolean;
}

export const DROP_IN_DIR = 'agent.d';

/** Loads and validates a config file (and agent.d/ beside it); throws ConfigError listing every problem. */
export async function loadConfig(path: string, options: ConfigOptions = {}): Promise<AgentConfig> {
  const { config, problems } = await checkConfig(path, options);
  if (!config) throw new ConfigError(problems);
  return config;
}

/** Like loadConfig, but returns the problems instead of throwing (`kinesis-agent validate`). */
export async function checkConfig(path: string, options: ConfigOptions = {}): Promise<CheckResult> {
  const result = await checkFiles(path, options);
  // The last link of the region chain needs the network: asked only when nothing nearer named a region.
  if (result.usedLastResortRegion && options.defaultRegion === undefined && options.instanceRegion) {
    const fromImds = await options.instanceRegion(options.env ?? process.env);
    if (fromImds) return checkFiles(path, { ...options, defaultRegion: fromImds });
  }
  return result;
}

async function checkFiles(path: string, options: ConfigOptions): Promise<CheckResult> {
  const problems: ConfigProblem[] = [];
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    problems.push(readProblem(path, err, 'the config file'));
    return { problems, warnings: [] };
  }
  const dropIns: ConfigSource[] = [];
  const dir = join(dirname(path), DROP_IN_DIR);
  let names: string[] = [];
  try {
    // Every file, whatever its name, as the Kinesis Agent's Agent.readConfigurationDirectory
    // reads `configDir.listFiles()`; one that is not a config is skipped with a warning there and here.
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((d) => d.isFile() || d.isSymbolicLink())
      .map((d) => d.name)
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') {
      problems.push(readProblem(dir, err, 'the drop-in directory'));
    }
  }
  for (const name of names) {
    const file = join(dir, name);
    try {
      dropIns.push({ file, text: await readFile(file, 'utf8') });
    } catch (err) {
      // A symlink to a directory or to nothing is not a file the Kinesis Agent reads either.
      if (['EISDIR', 'ENOENT'].includes((err as NodeJS.ErrnoException).code ?? '')) continue;
      problems.push(readProblem(file, err, 'a drop-in file'));
    }
  }
  const result = checkSources({ file: path, text }, dropIns, options);
  result.problems.unshift(...problems);
  if (problems.length > 0) delete result.config;
  return result;
}

/** Parses config text (and optional drop-in texts) without touching the disk; throws ConfigError. */
export function parseConfigText(text: string, fileName: string, options: ConfigOptions & { dropIns?: ConfigSource[] } = {}): AgentConfig {
  const { config, problems } = checkSources({ file: fileName, text }, options.dropIns ?? [], options);
  if (!config) throw new ConfigError(problems);
  return config;
}

export function checkSources(main: ConfigSource, dropIns: ConfigSource[], options: ConfigOptions = {}): CheckResult {
  const env = options.env ?? process.env;
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const mainList = new ProblemList(main.file, problems, warnings);
  const mainAbs = resolvePath(main.file);
  const tree = parseTree(main.text, env, mainList);

  const flows: FlowConfig[] = [];
  let top: ReturnType<typeof readTop> | undefined;
  let declaredFlows = 0;

  if (tree) {
    if (tree.kind === 'scalar' && tree.value === null) {
      mainList.add('', undefined, 'is empty', 'a config needs at least flows: [{filePattern: ..., kinesisStream: ...}]');
    } else if (tree.kind !== 'map') {
      mainList.add('', tree.pos, `expects a map of settings at the top, got ${describe(tree)}`);
    } else {
      const flat = flatten(tree, '', mainList, ['flows']);
      top = readTop(flat, mainList, mainAbs, env, tree.pos);
      const flowsEntry = flat.get('flows');
      declaredFlows += readFlowList(flowsEntry?.value, mainList, mainAbs, flows, warnings);
    }
  }

  const dropInFiles: string[] = [];
  for (const src of dropIns) {
    const list = new ProblemList(src.file, problems, warnings);
    const abs = resolvePath(src.file);
    const t = readDropIn(src, env, list);
    if (!t) continue;
    dropInFiles.push(abs);
    const flat = flatten(t, '', list, ['flows']);
    for (const [key, e] of flat) {
      if (key !== 'flows') list.warn(key, e.keyPos, 'is ignored in a drop-in file', 'agent.d/ files add `flows`; agent-wide settings belong in the main config');
    }
    const e = flat.get('flows');
    if (!e) {
      list.warn('', t.pos, 'has no `flows` and adds none', 'a drop-in file holds flows: [...]');
      continue;
    }
    declaredFlows += readFlowList(e.value, list, abs, flows, warnings);
  }

  if (tree && top && declaredFlows === 0 && !problems.some((p) => p.path.startsWith('flows'))) {
    const hasFlowsKey = tree.kind === 'map' && tree.entries.some((e) => e.key === 'flows');
    mainList.add(
      hasFlowsKey ? 'flows' : '',
      hasFlowsKey ? tree.entries.find((e) => e.key === 'flows')?.keyPos : undefined,
      hasFlowsKey ? 'is empty and no agent.d/ file adds a flow' : 'has no `flows`',
      `add flows: [{filePattern: /var/log/app/*.log, kinesisStream: my-stream}], or drop files into ${DROP_IN_DIR}/ beside the config`,
    );
  }

  // Ids key checkpoints and reloads: two flows may not share one.
  const seen = new Map<string, FlowConfig>();
  for (const f of flows) {
    const prior = seen.get(f.id);
    if (prior) {
      problems.push({
        file: f.definedIn === mainAbs ? main.file : (dropIns.find((d) => resolvePath(d.file) === f.definedIn)?.file ?? f.definedIn),
        path: `flows[${f.index}]`,
        message: `has the same id \`${f.id}\` as flow ${prior.index} (in ${basename(prior.definedIn)})`,
        hint: 'give one of them a distinct `name`',
      });
    } else {
      seen.set(f.id, f);
    }
  }

  const allWarnings = [...(top?.warnings ?? []), ...warnings];
  if (problems.length > 0 || !top) return { problems: inReadingOrder(problems, [main.file, ...dropIns.map((d) => d.file)]), warnings: allWarnings };
  const { warnings: _topWarnings, ...rest } = top;
  const defaultRegion = options.defaultRegion ?? regionFromEnvOrProfile(env) ?? LAST_RESORT_REGION;
  const { config, usedDefault } = withResolvedTargets({ configFile: mainAbs, dropInFiles, ...rest, flows, warnings: allWarnings }, defaultRegion);
  const lastResort = usedDefault && defaultRegion.source === 'default';
  if (lastResort) {
    config.warnings.push(
      `no region is configured, in the environment (AWS_REGION), in the AWS profile or in instance metadata: using ${defaultRegion.region}, as the Kinesis Agent does; set kinesis.region / firehose.region / cloudwatch.region or AWS_REGION`,
    );
  }
  return { problems, warnings: config.warnings, config, ...(lastResort ? { usedLastResortRegion: true } : {}) };
}

/**
 * Parses one agent.d/ file to its top map, or says why it is skipped: the
 * Kinesis Agent (Agent.readConfigurationDirectory) logs "Error reading
 * configuration file, ignoring" for a file it cannot parse or whose `flows`
 * is not a list, and starts with the others, so such a file is a warning
 * here, not a refusal. A file that parses but holds a wrong flow still stops
 * the load, as it stops the Kinesis Agent.
 */
function readDropIn(src: ConfigSource, env: NodeJS.ProcessEnv, list: ProblemList): Extract<RawNode, { kind: 'map' }> | undefined {
  const parseProblems: ConfigProblem[] = [];
  const t = parseTree(src.text, env, new ProblemList(src.file, parseProblems, list.warnings));
  const skip = (pos: RawNode['pos'], why: string) =>
    list.warn('', pos, `is not a config file and is skipped: ${why}`, 'every file in agent.d/ is read, as by the Kinesis Agent; move other files elsewhere');
  if (!t) {
    const first = parseProblems[0];
    skip(first?.line === undefined ? undefined : { line: first.line, column: first.column ?? 1 }, first?.message ?? 'it cannot be parsed');
    return undefined;
  }
  if (t.kind === 'scalar' && t.value === null) {
    list.warn('', undefined, 'is empty and adds no flows');
    return undefined;
  }
  if (t.kind !== 'map') {
    skip(t.pos, `expects a map with \`flows\`, got ${describe(t)}`);
    return undefined;
  }
  const flows = t.entries.findLast((e) => e.key === 'flows');
  if (flows && flows.value.kind !== 'seq' && !(flows.value.kind === 'scalar' && flows.value.value === null)) {
    skip(flows.value.pos, `\`flows\` expects a list of flows, got ${describe(flows.value)}`);
    return undefined;
  }
  return t;
}

/** Reads one file's flows list; returns how many entries it declared. */
function readFlowList(node: RawNode | undefined, list: ProblemList, abs: string, flows: FlowConfig[], warnings: string[]): number {
  if (!node || (node.kind === 'scalar' && node.value === null)) return 0;
  if (node.kind !== 'seq') {
    list.add('flows', node.pos, `expects a list of flows, got ${describe(node)}`, 'write flows: [{filePattern: ..., kinesisStream: ...}]');
    return 0;
  }
  node.items.forEach((item, i) => {
    const flow = readFlow(item, { problems: list, path: joinIndex('flows', i), index: flows.length, definedIn: abs, warnings });
    if (flow) flows.push(flow);
  });
  return node.items.length;
}

/** Main file first, then drop-ins in name order; within a file, top to bottom. */
function inReadingOrder(problems: ConfigProblem[], files: string[]): ConfigProblem[] {
  const rank = (p: ConfigProblem) => {
    const i = files.indexOf(p.file);
    return i === -1 ? files.length : i;
  };
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => rank(a.p) - rank(b.p) || (a.p.line ?? 0) - (b.p.line ?? 0) || (a.p.column ?? 0) - (b.p.column ?? 0) || a.i - b.i)
    .map(({ p }) => p);
}

function readProblem(file: string, err: unknown, what: string): ConfigProblem {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    return { file, path: '', message: `${what} does not exist`, hint: 'pass the path with --config, or create /etc/kinesis-agent/agent.yaml' };
  }
  if (code === 'EACCES') {
    return { file, path: '', message: `${what} cannot be read (permission denied)`, hint: 'the agent\'s user needs read access to it' };
  }
  if (code === 'EISDIR') {
    return { file, path: '', message: `${what} is a directory`, hint: 'name the config file itself' };
  }
  return { file, path: '', message: `${what} cannot be read: ${(err as Error).message}` };
}

export const NEW_CONFIG_PATH = '/etc/kinesis-agent/agent.yaml';
export const LEGACY_CONFIG_PATH = '/etc/aws-kinesis/agent.json';

/** `/etc/kinesis-agent/agent.yaml`, else the Kinesis Agent's `/etc/aws-kinesis/agent.json` if that exists. */
export function defaultConfigPath(exists: (path: string) => boolean = existsSync): string {
  if (exists(NEW_CONFIG_PATH)) return NEW_CONFIG_PATH;
  if (exists(LEGACY_CONFIG_PATH)) return LEGACY_CONFIG_PATH;
  return NEW_CONFIG_PATH;
}
