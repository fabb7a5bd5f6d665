/**
 * The registry of destinations: one line per destination, each a folder
 * beside this file that owns its keys, limits, names and adapter
 * (descriptor.ts says what a descriptor holds). `DestinationKind` is derived
 * from it, so a new line makes the compiler point at every
 * `Record<DestinationKind, ...>` and exhaustive switch that must handle it.
 */
import type { DestinationConfig } from '../config/types.js';
import type { DestinationDescriptor, StreamArn } from './descriptor.js';
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

/** One value per destination, by kind: each one's endpoint settings, say. */
export function perDestination<T>(valueOf: (d: DestinationDescriptor<DestinationKind>) => T): Record<DestinationKind, T> {
  return Object.fromEntries(DESTINATION_LIST.map((d) => [d.kind, valueOf(d)])) as Record<DestinationKind, T>;
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

const ARN = /^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z0-9-]+):(\d{12}):([a-z]+)\/(.+)$/;

/** The ARN's parts when `text` is a stream ARN of that destination (service, resource and a valid name); undefined otherwise. */
export function parseStreamArn(text: string, kind: DestinationKind): StreamArn | undefined {
  const d = destinationOf(kind);
  const m = ARN.exec(text);
  if (!m || m[2] !== d.arn.service || m[5] !== d.arn.resource || !d.streamName.pattern.test(m[6]!)) return undefined;
  return { text, partition: m[1]!, region: m[3]!, account: m[4]!, name: m[6]! };
}

/** The hint for a value that starts like an ARN but is not one of this destination's. */
export function streamArnHint(kind: DestinationKind): string {
  const { service, resource } = destinationOf(kind).arn;
  return `write arn:aws:${service}:<region>:<account>:${resource}/<name>, or the name alone`;
}
