/** What the store remembers about one file of one flow. */
export interface CheckpointEntry {
  flowId: string;
  /** The last path the file was seen at (for people; identity is dev+ino+fingerprint). */
  path: string;
  /** Device and inode as decimal strings: inode numbers can pass 2^53. */
  dev: string;
  ino: string;
  /** Hex hash of the file's first `fingerprintBytes` bytes; '' when the file was empty. */
  fingerprint: string;
  fingerprintBytes: number;
  /** Every byte below this offset was delivered or deliberately skipped. */
  offset: number;
  /** ms since epoch of the last change or sighting. */
  updatedAt: number;
  /**
   * Bytes below this offset were skipped by `initialPosition: END_OF_FILE`
   * and never sent (so `afterShipping` leaves the file alone); absent when
   * none were. Older agents drop it: the file then looks shipped to them.
   */
  skippedBelow?: number;
}

export function entryKey(flowId: string, dev: string, ino: string): string {
  return `${flowId}\u0000${dev}:${ino}`;
}

/** Parses one stored entry; undefined when it is not one. */
export function parseEntry(raw: unknown): CheckpointEntry | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const str = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : undefined);
  // Offsets and lengths are used as file positions: anything but a safe
  // non-negative integer would make every read of the file fail.
  const num = (k: string) =>
    typeof r[k] === 'number' && Number.isSafeInteger(r[k]) && (r[k] as number) >= 0 ? (r[k] as number) : undefined;
  const flowId = str('flowId');
  const path = str('path');
  const dev = str('dev');
  const ino = str('ino');
  const fingerprint = str('fingerprint');
  const fingerprintBytes = num('fingerprintBytes');
  const offset = num('offset');
  const updatedAt = typeof r.updatedAt === 'number' && Number.isFinite(r.updatedAt) ? r.updatedAt : undefined;
  if (
    flowId === undefined ||
    path === undefined ||
    dev === undefined ||
    ino === undefined ||
    fingerprint === undefined ||
    fingerprintBytes === undefined ||
    offset === undefined ||
    updatedAt === undefined
  ) {
    return undefined;
  }
  const skippedBelow = num('skippedBelow');
  return { flowId, path, dev, ino, fingerprint, fingerprintBytes, offset, updatedAt, ...(skippedBelow ? { skippedBelow } : {}) };
}
