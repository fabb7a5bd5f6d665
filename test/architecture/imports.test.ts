import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { areaOf, cycles, importGraph, type ImportEdge } from './import-graph.ts';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * What each area of src/ may import besides itself. Data goes one way
 * (source -> process -> sink), each stage knowing the next only through
 * pipeline/ (RecordSink); checkpoint and observability (metrics, status)
 * stand beside the stages, which write to them and never read back; config
 * is the edge every stage reads its typed settings from, and which reads the
 * key tables the stages own. Only the wiring (agent, flow, cli) sees every
 * stage. A new folder fails here until it is given its place.
 */
// buffer-release.ts: frees a Buffer's memory at once (read chunks, answers); knows no stage.
const BASE = ['errors.ts', 'log.ts', 'log-text.ts', 'version.ts', 'buffer-release.ts'];
const ALLOWED: Record<string, readonly string[]> = {
  'errors.ts': [],
  'log-text.ts': [],
  'log.ts': ['log-text.ts'],
  'version.ts': [],
  'buffer-release.ts': [],
  pipeline: [...BASE],
  // The one port every stage reports through (counters, conditions that last); it imports no stage.
  events: [...BASE],
  config: [...BASE, 'process', 'sink'],
  aws: [...BASE, 'config'],
  checkpoint: [...BASE, 'config', 'pipeline', 'events'],
  source: [...BASE, 'config', 'pipeline', 'checkpoint', 'events'],
  process: [...BASE, 'config', 'pipeline', 'events', 'aws'],
  sink: [...BASE, 'config', 'pipeline', 'events', 'aws'],
  metrics: [...BASE, 'config', 'aws', 'events', 'sink'],
  status: [...BASE, 'config', 'metrics', 'events', 'checkpoint', 'sink'],
  // Importing the Kinesis Agent's checkpoints: writes ours, knowing files as the source does.
  migrate: [...BASE, 'config', 'checkpoint', 'source'],
  // Wiring: the reload decision (pure) and the observability start-up (metrics + status).
  'reload-plan.ts': [...BASE, 'config'],
  // Process-wide: gives memory back after a burst; knows no stage.
  'memory-release.ts': [...BASE],
  // Process-wide: which malloc the run command starts on; knows no stage.
  'allocator.ts': [...BASE],
  'observability.ts': ['*'],
  'flow.ts': ['*'],
  'agent.ts': ['*'],
  cli: ['*'],
  'cli.ts': ['*'],
};

/**
 * Where an area may reach into another only for that one's published facts:
 * config reads the destination registry (keys, readers, limits) and
 * observability its names and labels, never the delivery machinery.
 * (Config reads processors' own key tables and readers, wherever they are.)
 */
const ONLY_THROUGH: Record<string, Record<string, readonly string[]>> = {
  config: { sink: ['sink/destinations.ts', 'sink/descriptor.ts'] },
  metrics: { sink: ['sink/destinations.ts'] },
  status: { sink: ['sink/destinations.ts'] },
};

function violations(edges: readonly ImportEdge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const from = areaOf(e.from);
    const to = areaOf(e.to);
    if (from === to) continue;
    const allowed = ALLOWED[from];
    if (!allowed) {
      out.push(`${e.from}: area \`${from}\` has no place in the pipeline's import rules (test/architecture/imports.test.ts)`);
      continue;
    }
    if (!allowed.includes('*') && !allowed.includes(to)) out.push(`${e.from} -> ${e.to}: \`${from}\` may not import \`${to}\``);
    const only = ONLY_THROUGH[from]?.[to];
    if (only && !only.includes(e.to)) out.push(`${e.from} -> ${e.to}: \`${from}\` reaches \`${to}\` only through ${only.join(', ')}`);
  }
  return out;
}

describe('imports follow the pipeline', () => {
  const edges = importGraph(SRC);

  it('reads the graph: every stage is there, with the wiring importing all of them', () => {
    expect(edges.length).toBeGreaterThan(100);
    const fromFlow = new Set(edges.filter((e) => e.from === 'flow.ts').map((e) => areaOf(e.to)));
    for (const stage of ['source', 'process', 'sink', 'pipeline']) expect(fromFlow).toContain(stage);
  });

  it('no import runs against source -> process -> sink, and checkpoint, metrics and status never import a stage', () => {
    expect(violations(edges)).toEqual([]);
  });

  it('the rules catch an import against the pipeline', () => {
    const backwards: ImportEdge[] = [
      { from: 'sink/delivery.ts', to: 'source/tailer.ts', typeOnly: false },
      { from: 'process/chain.ts', to: 'sink/index.ts', typeOnly: true },
      { from: 'checkpoint/store.ts', to: 'source/file-source.ts', typeOnly: false },
      { from: 'metrics/sampler.ts', to: 'sink/delivery.ts', typeOnly: false },
      { from: 'newstage/x.ts', to: 'errors.ts', typeOnly: false },
    ];
    expect(violations(backwards)).toHaveLength(5);
  });

  it('no module imports itself back through others at run time (type-only imports are erased)', () => {
    expect(cycles(edges.filter((e) => !e.typeOnly))).toEqual([]);
  });
});
