import type { DestinationConfig } from '../config/types.js';
import type { FlowEvents } from '../events/flow-events.js';
import { destinationOf } from '../sink/destinations.js';

/**
 * Where a configured flow stands. `failed`: it could not be built or
 * started (at a reload), or was lost when a reload had to put it back; it
 * ships nothing until a reload that works.
 */
export type FlowState =
  | { kind: 'starting'; since: number }
  | { kind: 'running'; since: number }
  | { kind: 'stopping'; since: number }
  | { kind: 'stopped'; since: number }
  | { kind: 'failed'; since: number; reason: string };

/** What the reporters see of a configured flow. */
export interface ObservedFlow {
  id: string;
  destination: DestinationConfig;
  metrics: FlowEvents;
  /** Where the flow stands; a flow without one is taken as running since the epoch. */
  state?: FlowState;
  /**
   * One record per tailed file (FileSource.status()): at least path, size,
   * committed offset and bytes behind; anything else is passed through.
   */
  files: () => Array<Record<string, unknown>>;
  /** Files the flow deleted or renamed after shipping them (`afterShipping`), newest first. */
  finished?: () => Array<Record<string, unknown>>;
}

/** The Kinesis Agent's `Destination` dimension value. */
export function destinationLabel(d: ObservedFlow['destination']): string {
  return destinationOf(d.kind).label(d.streamName);
}

/** The shape of src/flow.ts's Flow that the reporters need. */
export interface FlowLike {
  config: { id: string; destination: ObservedFlow['destination'] };
  metrics: FlowEvents;
  state?: FlowState;
  status(): { files: readonly object[]; finished?: readonly object[] };
}

/** Adapts a Flow (src/flow.ts) for the reporters; its state is read live. */
export function observe(flow: FlowLike): ObservedFlow {
  return {
    id: flow.config.id,
    destination: flow.config.destination,
    metrics: flow.metrics,
    get state() {
      return flow.state;
    },
    files: () => flow.status().files as Array<Record<string, unknown>>,
    finished: () => (flow.status().finished ?? []) as Array<Record<string, unknown>>,
  };
}
