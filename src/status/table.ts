import type { CheckpointRow } from './checkpoint-reader.js';
import type { StatusReport } from './snapshot.js';

/** Columns padded to their widest cell; the last one left ragged. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return String(iso);
  return `${duration(Math.max(0, ms))} ago`;
}

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
}

const num = (v: unknown) => (typeof v === 'number' ? String(v) : '-');

/** The running agent's /status answer, as two tables: flows, then files. */
export function formatReport(r: StatusReport, url: string, now = Date.now()): string {
  const head = `kinesis-agent ${r.version}, pid ${r.pid}, up ${duration(r.uptimeSeconds * 1000)} (${url})\n\n`;
  const flows = table(
    ['FLOW', 'DESTINATION', 'SENT', 'ERRORS', 'BEHIND', 'FILES', 'LAST SEND', 'HEALTH'],
    r.flows.map((f) => [
      f.id,
      f.destination.label,
      num(f.counters.recordsSent),
      num((f.counters.recordSendErrors ?? 0) + (f.counters.serviceErrors ?? 0)),
      num(f.counters.bytesBehind),
      num(f.counters.filesTracked),
      ago(f.lastSendAt, now),
      f.state && f.state !== 'running' ? f.state : f.failingSince ? `failing for ${duration(now - Date.parse(f.failingSince))}` : 'ok',
    ]),
  );
  // With afterShipping on a flow: where each file stands (`live: ...`, `waiting: ...`).
  const after = r.flows.some((f) => f.files.some((file) => file.afterShipping !== undefined));
  const fileRows = r.flows.flatMap((f) =>
    f.files.map((file) => [
      f.id,
      String(file.path),
      num(file.size),
      num(file.committedOffset),
      num(file.bytesBehind),
      ago(file.lastSendAt as string | null, now),
      ...(after ? [afterShipping(file.afterShipping)] : []),
    ]),
  );
  const header = ['FLOW', 'FILE', 'SIZE', 'COMMITTED', 'BEHIND', 'LAST SEND', ...(after ? ['AFTER SHIPPING'] : [])];
  const files = fileRows.length ? `\n${table(header, fileRows)}` : '\nno files tailed\n';
  const doneRows = r.flows.flatMap((f) =>
    (f.finished ?? []).map((d) => [f.id, String(d.path), d.action === 'renamed' ? `renamed to ${String(d.to)}` : String(d.action), num(d.bytes), ago(d.at as string | null, now)]),
  );
  const finished = doneRows.length ? `\n${table(['FLOW', 'FINISHED FILE', 'DONE', 'BYTES', 'WHEN'], doneRows)}` : '';
  const problems = (r.problems ?? []).length
    ? `\n${table(['SCOPE', 'PROBLEM', 'STATE', 'SINCE', 'MESSAGE'], r.problems.map((p) => [p.scope ?? '', p.key, p.state, ago(p.since, now), p.message ?? '']))}`
    : '';
  return head + flows + files + finished + problems;
}

function afterShipping(v: unknown): string {
  if (typeof v !== 'object' || v === null) return '-';
  const { state, why } = v as { state?: unknown; why?: unknown };
  return typeof why === 'string' ? `${String(state)}: ${why}` : String(state);
}

/** A stopped agent: what its checkpoint file says, against the files as they are now. */
export function formatCheckpointTable(rows: CheckpointRow[], now = Date.now()): string {
  if (rows.length === 0) return 'no checkpoints recorded\n';
  return table(
    ['FLOW', 'FILE', 'SIZE', 'COMMITTED', 'BEHIND', 'CHECKPOINTED'],
    rows.map((r) => [
      r.flowId,
      r.path,
      r.file === 'current' ? num(r.size) : r.file,
      num(r.offset),
      r.file === 'current' ? num(r.bytesBehind) : '-',
      r.updatedAt > 0 ? ago(new Date(r.updatedAt).toISOString(), now) : '-',
    ]),
  );
}
