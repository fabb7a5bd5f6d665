/** One tailed file, as /status and the progress log show it. */
export interface TailedFileStatus {
  path: string;
  identity: { dev: string; ino: string; fingerprint: string; fingerprintBytes: number };
  size: number;
  /** Every byte below this is delivered or deliberately skipped. */
  committedOffset: number;
  /** Bytes below this have been read from the file. */
  readOffset: number;
  /** size - committedOffset: not yet delivered. */
  bytesBehind: number;
  /** ms since epoch; 0 when never. */
  lastReadAt: number;
  /** ms since epoch when this file's records were last acknowledged (its checkpoint moved); 0 when never. */
  lastSendAt: number;
  /** active; rotated (renamed, still read); gone (deleted or moved away, read to its end); waiting (no whole first line yet, or held as a possible copytruncate copy). */
  state: 'active' | 'rotated' | 'gone' | 'waiting';
}
