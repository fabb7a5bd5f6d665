/** Partition keys for Kinesis Data Streams records, per `flow.partitionKey`. */
import { hash } from 'node:crypto';
import type { PartitionKeySpec } from '../config/types.js';
import { MAX_PARTITION_KEY_CHARS } from './limits.js';

export type PartitionKeyFn = (data: Buffer) => string;

/** The character codes of the hex digits. */
const HEX = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/**
 * Always 16 hex characters, so size estimates made before the key exists
 * hold. Random keys only need to spread evenly over the MD5 key space, which
 * any distinct strings do: Math.random and a digit table are far cheaper than
 * crypto randomness or Number#toString(16) on the hot path. Made in one
 * piece: a key built by `+` is a tree of partial strings (V8 joins strings
 * of 13 characters or more lazily), three times the memory for as long as
 * its record waits in the queue. The draw is writeRandomPartitionKey's.
 */
export function randomPartitionKey(): string {
  writeRandomPartitionKey(scratch, 0);
  return scratch.toString('latin1', 0, RANDOM_KEY_CHARS);
}

/** Characters of every random key (randomPartitionKey, writeRandomPartitionKey). */
export const RANDOM_KEY_CHARS = 16;

/** Where randomPartitionKey draws its key before making it one string. */
const scratch = Buffer.alloc(RANDOM_KEY_CHARS);

/**
 * Writes a random key of RANDOM_KEY_CHARS hex characters into `out` at `at`
 * and returns the offset after it. A plain record whose flow has RANDOM keys
 * carries the key '' until its request body is written (request-body.ts):
 * no string per record, which would live as long as the record waits in the
 * queue (about a second at full speed: long enough for V8 to copy it twice).
 * A retried record draws a new key, as good as the first: a random key only
 * spreads records over shards.
 */
export function writeRandomPartitionKey(out: Uint8Array, at: number): number {
  const x = (Math.random() * 0x1_0000_0000) >>> 0;
  const y = (Math.random() * 0x1_0000_0000) >>> 0;
  for (let i = 0; i < 32; i += 4) out[at++] = HEX[(x >>> i) & 15]!;
  for (let i = 0; i < 32; i += 4) out[at++] = HEX[(y >>> i) & 15]!;
  return at;
}

/**
 * The Kinesis Agent's DETERMINISTIC key: the MD5 of the record's bytes as
 * sent (after dataProcessingOptions), as 32 lower-case hex characters, so a
 * fleet half on the Java agent and half on this one puts equal records on
 * the same shard. Source: awslabs/amazon-kinesis-agent,
 * src/com/amazon/kinesis/streaming/agent/tailing/KinesisRecord.java,
 * generatePartitionKey (Guava `Hashing.md5()` over `data.array()`, printed
 * by `HashCode.toString()`, lower-case hex).
 *
 * One departure: without dataProcessingOptions the Java agent's record is a
 * slice of its 1 MiB read buffer, and `data.array()` is that whole buffer, so
 * its key there depends on the neighbouring lines, not on the record. That
 * is not reproducible (nor useful); the record's own bytes are hashed here,
 * which is what the Java agent does whenever a processor is configured.
 */
export function deterministicPartitionKey(data: Buffer): string {
  return hash('md5', data, 'hex');
}

export function clampPartitionKey(key: string): string {
  if (key.length <= MAX_PARTITION_KEY_CHARS) return key;
  return Array.from(key).slice(0, MAX_PARTITION_KEY_CHARS).join('');
}

/** A top-level field of a JSON object record; undefined when absent, empty or not JSON. */
export function fieldPartitionKey(data: Buffer, field: string): string | undefined {
  let i = 0;
  while (i < data.length && (data[i] === 0x20 || data[i] === 0x09)) i++;
  // Only objects have fields; skip the parse for everything else.
  if (data[i] !== 0x7b) return undefined;
  let value: unknown;
  try {
    const parsed: unknown = JSON.parse(data.toString('utf8'));
    value = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>)[field] : undefined;
  } catch {
    return undefined;
  }
  if (typeof value === 'string') return value.length > 0 ? clampPartitionKey(value) : undefined;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

export function partitionKeyFn(spec: PartitionKeySpec): PartitionKeyFn {
  switch (spec.kind) {
    case 'RANDOM':
      // Drawn when the request body is written (writeRandomPartitionKey).
      return () => '';
    case 'DETERMINISTIC':
      return deterministicPartitionKey;
    case 'CONSTANT': {
      // Kinesis rejects empty keys; an empty constant would stall the flow forever.
      if (spec.value === '') return randomPartitionKey;
      const key = clampPartitionKey(spec.value);
      return () => key;
    }
    case 'FIELD': {
      const field = spec.field;
      return (data) => fieldPartitionKey(data, field) ?? randomPartitionKey();
    }
  }
}
