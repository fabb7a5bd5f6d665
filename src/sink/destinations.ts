/**
 * The registry of destinations: one line per destination, each a folder
 * beside this file that owns its keys, limits, names and adapter
 * (descriptor.ts says what a descriptor holds). `DestinationKind` is derived
 * from it, so a new line makes the compiler point at every
 * `Record<DestinationKind, ...>` and exhaustive switch that must handle it.
 */
import type { DestinationConfig } from '../config/types.js';
import type { DestinationDescriptor } from './descriptor.js';
import { FIREHOSE } from './firehose/index.js';
import { KINESIS } from './kinesis/index.js';
import { MAX_PARTITION_KEY_CHARS } from './limits.js';

const REGISTRY = {
  kinesis: KINESIS,
  firehose: FIREHOSE,
} as const;

export type DestinationKind = keyof typeof REGISTRY;

/** Every descriptor, keyed by its own kind. */
export const DESTINATIONS: { readonly [K in DestinationKind]: DestinationDescriptor<K> } = REGISTRY;

/** In registry order: the order keys are listed in and messages name them. */
export const DESTINATION_LIST: readonly DestinationDescriptor<DestinationKind>[] = Object.values(DESTINATIONS);

export function destinationOf(kind: DestinationKind): DestinationDescriptor<DestinationKind> {
  return DESTINATIONS[kind];
}

/**
 * The largest record data the destination takes, which the tailer uses to
 * cut over-long lines. Where partition keys count (Streams), room for the
 * longest key is kept unless the caller knows better.
 */
export function maxRecordBytes(destination: DestinationConfig | DestinationKind, partitionKeyAllowance = MAX_PARTITION_KEY_CHARS): number {
  const limits = destinationOf(typeof destination === 'string' ? destination : destination.kind).limits;
  return limits.countsPartitionKey ? limits.bytesPerRecord - partitionKeyAllowance : limits.bytesPerRecord;
}
