import type { DestinationConfig } from '../config/types.js';
import { destinationOf } from '../sink/destinations.js';
import type { FlowMetrics } from './flow-metrics.js';

/** What the reporters see of a running flow. */
export interface ObservedFlow {
  id: string;
  destination: DestinationConfig;
  metrics: FlowMetrics;
  /**
   * One record per tailed file (FileSource.status()): at least path, size,
   * committed offset and bytes behind; anything else is passed through.
   */
  files: () => Array<Record<string, unknown>>;
}

/** The Kinesis Agent's `Destination` dimension value. */
export function destinationLabel(d: ObservedFlow['destination']): string {
  return destinationOf(d.kind).label(d.streamName);
}

/** The shape of src/flow.ts's Flow that the reporters need. */
export interface FlowLike {
  config: { id: string; destination: ObservedFlow['destination'] };
  metrics: FlowMetrics;
  status(): { files: readonly object[] };
}

/** Adapts a running Flow: `flows: () => agent.flowList.map(observe)`. */
export function observe(flow: FlowLike): ObservedFlow {
  return {
    id: flow.config.id,
    destination: flow.config.destination,
    metrics: flow.metrics,
    files: () => flow.status().files as Array<Record<string, unknown>>,
  };
}
