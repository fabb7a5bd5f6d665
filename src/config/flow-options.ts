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

/** `afterShipping`: what is done with a file once it is finished (shipped, acknowledged, no longer written). */
export type AfterShippingAction = 'delete' | 'rename';
export const AFTER_SHIPPING_ACTIONS: readonly AfterShippingAction[] = ['delete', 'rename'];

/**
 * `afterShippingFiles`: which files may be finished. `rotated`: only files
 * rotated away from the name they were written under; `quiet`: also files
 * still at their name, quiet for the period, that are not the newest
 * matching file of their directory (files written once, never appended).
 */
export type AfterShippingFiles = 'rotated' | 'quiet';
export const AFTER_SHIPPING_FILES: readonly AfterShippingFiles[] = ['rotated', 'quiet'];

export const AFTER_SHIPPING_DEFAULTS = {
  /** No growth for this long (ms) before a file is deleted or renamed: a writer that reopens late has had its chance. */
  quietMillis: 60_000,
  /** What `rename` appends to the file's name (in its own directory: rename(2) never crosses a file system). */
  suffix: '.shipped',
  files: 'rotated' as AfterShippingFiles,
};

/**
 * A name that `glob` (one path pattern) matches, made by taking each glob
 * construct's simplest member: for checking whether that name with a suffix
 * would still match. `*`, `**` and `?` become `x`, a class its first
 * member, a brace list its first alternative.
 */
export function sampleMatch(glob: string): string {
  return glob
    .replace(/\{([^,}]*)[^}]*\}/g, '$1')
    .replace(/\[!?\^?([^\]])[^\]]*\]/g, (_m: string, c: string) => (_m.startsWith('[!') || _m.startsWith('[^') ? 'x' : c))
    .replace(/\*\*\/?/g, 'x/')
    .replace(/[*?]/g, 'x');
}
