import type { FlowEvents } from '../events/flow-events.js';

/**
 * The per-flow metrics sent to CloudWatch. The first five are the Kinesis
 * Agent's own names, so its dashboards and alarms keep working; the rest
 * are ours. Counters are sent as the change over each sample, gauges as the
 * value sampled.
 */
export interface CloudWatchMetric {
  name: string;
  field: keyof FlowEvents;
  unit: 'Count' | 'Bytes';
  kind: 'counter' | 'gauge';
}

export const CLOUDWATCH_METRICS: readonly CloudWatchMetric[] = [
  { name: 'BytesSent', field: 'bytesSent', unit: 'Bytes', kind: 'counter' },
  { name: 'RecordSendAttempts', field: 'recordSendAttempts', unit: 'Count', kind: 'counter' },
  { name: 'RecordSendErrors', field: 'recordSendErrors', unit: 'Count', kind: 'counter' },
  { name: 'RecordsSent', field: 'recordsSent', unit: 'Count', kind: 'counter' },
  { name: 'ServiceErrors', field: 'serviceErrors', unit: 'Count', kind: 'counter' },
  { name: 'BytesBehind', field: 'bytesBehind', unit: 'Bytes', kind: 'gauge' },
  { name: 'FilesBehind', field: 'filesBehind', unit: 'Count', kind: 'gauge' },
  { name: 'RecordsSkipped', field: 'recordsSkipped', unit: 'Count', kind: 'counter' },
  { name: 'RecordsTruncated', field: 'recordsTruncated', unit: 'Count', kind: 'counter' },
  { name: 'ProcessingErrors', field: 'processingErrors', unit: 'Count', kind: 'counter' },
];
