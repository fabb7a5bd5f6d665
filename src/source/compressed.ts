/**
 * Rotated logs are often compressed (logrotate `compress`). Their bytes are
 * not text, and their content was already read from the file before it was
 * compressed, so they are never tailed, even when a pattern matches them.
 */
const COMPRESSED = /\.(gz|bz2|zip|xz|zst|lz4|lzma|z|tgz|tbz2|txz)$/i;

export function isCompressedName(path: string): boolean {
  return COMPRESSED.test(path);
}
