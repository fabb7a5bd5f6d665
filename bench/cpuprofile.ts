/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time per
 * function and per area (the agent's folders, each npm package, Node's
 * internals), idle time left out of the percentages.
 *
 *   npx node bench/cpuprofile.ts <file.cpuprofile> [top] [last-seconds]
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Row {
  name: string;
  where: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  /** Sampled time, idle excluded (ms). */
  busyMs: number;
  idleMs: number;
  functions: Row[];
  areas: Row[];
}

/** Where a script belongs: `dist/sink`, `@aws-sdk/core`, `node:internal`, ... */
export function areaOf(url: string): string {
  if (!url) return '(native / V8)';
  if (url.startsWith('node:')) return 'node (built-in modules)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const dist = url.lastIndexOf('/dist/');
  if (dist >= 0) {
    const rest = url.slice(dist + '/dist/'.length).split('/');
    return rest.length > 1 ? `agent: ${rest[0]}/` : `agent: ${rest[0]}`;
  }
  return url.replace(/^file:\/\//, '');
}

function shortWhere(url: string, line: number): string {
  if (!url) return '';
  const nm = url.lastIndexOf('/node_modules/');
  let s = nm >= 0 ? url.slice(nm + '/node_modules/'.length) : url;
  const dist = s.lastIndexOf('/dist/');
  if (nm < 0 && dist >= 0) s = s.slice(dist + 1);
  s = s.replace(/^file:\/\//, '');
  return `${s}:${line + 1}`;
}

/** `lastMs`: only the samples of the profile's last this many ms (e.g. an idle phase at the end). */
export function summarize(profile: CpuProfile, top = 15, lastMs = Infinity): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const self = new Map<number, number>();
  const from = profile.endTime - lastMs * 1000;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (t < from) continue;
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const fns = new Map<string, Row>();
  const areas = new Map<string, Row>();
  let busy = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const cf = byId.get(id)!.callFrame;
    const ms = us / 1000;
    if (cf.functionName === '(idle)') {
      idle += ms;
      continue;
    }
    busy += ms;
    const name = cf.functionName || '(anonymous)';
    const where = shortWhere(cf.url, cf.lineNumber);
    const key = `${name}@${where}`;
    const row = fns.get(key) ?? { name, where, ms: 0, percent: 0 };
    row.ms += ms;
    fns.set(key, row);
    const area = name.startsWith('(') && !cf.url ? name : areaOf(cf.url);
    const a = areas.get(area) ?? { name: area, where: '', ms: 0, percent: 0 };
    a.ms += ms;
    areas.set(area, a);
  }
  const finish = (rows: Iterable<Row>, n: number) =>
    [...rows]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, n)
      .map((r) => ({ ...r, percent: busy > 0 ? (100 * r.ms) / busy : 0 }));
  return { busyMs: busy, idleMs: idle, functions: finish(fns.values(), top), areas: finish(areas.values(), 12) };
}

export function summarizeFile(path: string, top = 15, lastMs = Infinity): ProfileSummary {
  return summarize(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, top, lastMs);
}

export function markdown(s: ProfileSummary): string {
  const lines = [
    `Busy ${(s.busyMs / 1000).toFixed(2)} s sampled, idle ${(s.idleMs / 1000).toFixed(2)} s.`,
    '',
    '| self % | self ms | function | where |',
    '| ---: | ---: | --- | --- |',
    ...s.functions.map((r) => `| ${r.percent.toFixed(1)} | ${r.ms.toFixed(0)} | \`${r.name}\` | ${r.where} |`),
    '',
    '| self % | area |',
    '| ---: | --- |',
    ...s.areas.map((r) => `| ${r.percent.toFixed(1)} | ${r.name} |`),
  ];
  return lines.join('\n');
}

if (import.meta.main) {
  const [path, top, last] = process.argv.slice(2);
  if (!path) {
    console.error('usage: cpuprofile.ts <file.cpuprofile> [top] [last-seconds]');
    process.exit(2);
  }
  console.log(markdown(summarizeFile(path, Number(top ?? 20), last ? Number(last) * 1000 : Infinity)));
}
