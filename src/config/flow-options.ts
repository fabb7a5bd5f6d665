/**
 * The values of the flow keys this agent adds for framing, compression and
 * record size, as the configuration reads them. The stages that act on them
 * (source/multiline-presets.ts, source/container-format.ts,
 * sink/compression.ts, sink/kinesis/record-size.ts) take them from here.
 */
import * as zlib from 'node:zlib';

/** `multiLine`: the runtime whose stack traces travel as one record. */
export type MultiLinePreset = 'java' | 'python' | 'go' | 'ruby';
export const MULTILINE_PRESETS: readonly MultiLinePreset[] = ['java', 'python', 'go', 'ruby'];

/** `containerFormat`: the container runtime that wrote the lines. */
export type ContainerFormat = 'docker' | 'cri';
export const CONTAINER_FORMATS: readonly ContainerFormat[] = ['docker', 'cri'];

/** `compression`: the codec of each API record. */
export type CompressionKind = 'gzip' | 'zstd';
export const COMPRESSION_KINDS: readonly CompressionKind[] = ['gzip', 'zstd'];

/** `maxRecordSizeKiB`: UpdateMaxRecordSize's range, KiB (AWS Kinesis API reference). */
export const MIN_RECORD_KIB = 1024;
export const MAX_RECORD_KIB = 10_240;

/**
 * Why `kind` cannot be used on this Node, or undefined when it can. zstd
 * came into node:zlib in Node 23.8 and 22.15.
 */
export function compressionUnavailable(kind: CompressionKind, z: { zstdCompressSync?: unknown } = zlib, version = process.version): string | undefined {
  if (kind === 'zstd' && typeof z.zstdCompressSync !== 'function') {
    return `zstd needs Node 22.15, 23.8 or later; this is Node ${version}`;
  }
  return undefined;
}
