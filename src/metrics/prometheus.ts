/**
 * The Prometheus text exposition format (version 0.0.4), written by hand:
 * every value already lives in a FlowEvents object, so a scrape is one pass
 * over a few numbers per flow. prom-client would keep a second copy of each
 * in its own registry and add its start-up cost and memory to a daemon that
 * is meant to be small.
 */
import type { FlowEvents } from '../events/flow-events.js';
import { destinationLabel, type ObservedFlow } from './observed-flow.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Family {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  /** undefined leaves the sample out (a time that never happened). */
  value: (m: FlowEvents, now: number) => number | undefined;
}

const seconds = (ms: number) => ms / 1000;

/** Per-flow families, labelled {flow, destination}. */
export const FLOW_FAMILIES: readonly Family[] = [
  { name: 'kinesis_agent_records_parsed_total', type: 'counter', help: 'Lines (or multi-line entries) read from files.', value: (m) => m.recordsParsed },
  { name: 'kinesis_agent_bytes_parsed_total', type: 'counter', help: 'Bytes of the records read from files.', value: (m) => m.bytesParsed },
  { name: 'kinesis_agent_records_sent_total', type: 'counter', help: 'Records acknowledged by the destination.', value: (m) => m.recordsSent },
  { name: 'kinesis_agent_bytes_sent_total', type: 'counter', help: 'Bytes of the records acknowledged by the destination.', value: (m) => m.bytesSent },
  { name: 'kinesis_agent_record_send_attempts_total', type: 'counter', help: 'Records included in a send attempt, first tries and retries.', value: (m) => m.recordSendAttempts },
  { name: 'kinesis_agent_record_send_errors_total', type: 'counter', help: 'Records the destination reported as failed (they are retried).', value: (m) => m.recordSendErrors },
  { name: 'kinesis_agent_service_errors_total', type: 'counter', help: 'Calls that failed as a whole: throttled, 5xx, network, denied.', value: (m) => m.serviceErrors },
  { name: 'kinesis_agent_processing_errors_total', type: 'counter', help: 'Records a processor failed on; they were sent unconverted.', value: (m) => m.processingErrors },
  { name: 'kinesis_agent_records_skipped_total', type: 'counter', help: 'Records a processor dropped on purpose.', value: (m) => m.recordsSkipped },
  { name: 'kinesis_agent_records_truncated_total', type: 'counter', help: "Records cut to the destination's size limit.", value: (m) => m.recordsTruncated },
  { name: 'kinesis_agent_files_finished_total', type: 'counter', help: 'Finished files deleted or renamed (afterShipping).', value: (m) => m.filesFinished },
  { name: 'kinesis_agent_file_finish_errors_total', type: 'counter', help: 'Attempts to delete or rename a finished file that failed (retried).', value: (m) => m.fileFinishErrors },
  { name: 'kinesis_agent_requests_total', type: 'counter', help: 'PutRecords / PutRecordBatch calls made.', value: (m) => m.requests },
  { name: 'kinesis_agent_retries_total', type: 'counter', help: 'Calls that were retries.', value: (m) => m.retries },
  { name: 'kinesis_agent_bytes_behind', type: 'gauge', help: 'Bytes in tailed files not yet delivered.', value: (m) => m.bytesBehind },
  { name: 'kinesis_agent_files_behind', type: 'gauge', help: 'Tailed files with bytes not yet delivered.', value: (m) => m.filesBehind },
  { name: 'kinesis_agent_files_tracked', type: 'gauge', help: 'Files being tailed.', value: (m) => m.filesTracked },
  { name: 'kinesis_agent_queue_bytes', type: 'gauge', help: 'Bytes of records held in memory between reading and sending.', value: (m) => m.queueBytes },
  { name: 'kinesis_agent_queue_capacity_bytes', type: 'gauge', help: 'Bytes the queue holds before reading pauses (maxQueueBytes).', value: (m) => m.queueCapacityBytes },
  { name: 'kinesis_agent_in_flight_requests', type: 'gauge', help: 'Calls to the destination awaiting an answer.', value: (m) => m.inFlightRequests },
  { name: 'kinesis_agent_last_send_timestamp_seconds', type: 'gauge', help: 'When the destination last acknowledged records (Unix time).', value: (m) => (m.lastSendAt > 0 ? seconds(m.lastSendAt) : undefined) },
  { name: 'kinesis_agent_checkpoint_age_seconds', type: 'gauge', help: "Time since the flow's checkpoint last moved.", value: (m, now) => (m.lastCheckpointAt > 0 ? seconds(Math.max(0, now - m.lastCheckpointAt)) : undefined) },
  { name: 'kinesis_agent_failing_seconds', type: 'gauge', help: 'How long delivery has been failing without a success; 0 when healthy.', value: (m, now) => (m.failingSince > 0 ? seconds(Math.max(0, now - m.failingSince)) : 0) },
];

export interface AgentSamples {
  version: string;
  startedAt: number;
  /** Extra agent-wide samples (CloudWatch reporter state and the like). */
  extra?: Array<{ name: string; type: 'counter' | 'gauge'; help: string; value: number }>;
}

export function renderPrometheus(flows: ObservedFlow[], agent: AgentSamples, now = Date.now()): string {
  const out: string[] = [];
  const labels = flows.map((f) => `{flow="${escapeLabel(f.id)}",destination="${escapeLabel(destinationLabel(f.destination))}"}`);
  for (const fam of FLOW_FAMILIES) {
    out.push(`# HELP ${fam.name} ${fam.help}`, `# TYPE ${fam.name} ${fam.type}`);
    flows.forEach((f, i) => {
      const v = fam.value(f.metrics, now);
      if (v !== undefined) out.push(`${fam.name}${labels[i]} ${formatNumber(v)}`);
    });
  }
  const single = (name: string, type: string, help: string, value: number, lbl = '') =>
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${lbl} ${formatNumber(value)}`);
  single('kinesis_agent_info', 'gauge', 'The running agent; its version as a label.', 1, `{version="${escapeLabel(agent.version)}"}`);
  single('kinesis_agent_start_time_seconds', 'gauge', 'When the agent started (Unix time).', seconds(agent.startedAt));
  single('kinesis_agent_flows', 'gauge', 'Flows running.', flows.length);
  single('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', process.memoryUsage.rss());
  for (const e of agent.extra ?? []) single(e.name, e.type, e.help, e.value);
  return `${out.join('\n')}\n`;
}

function escapeLabel(v: string): string {
  return v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}
