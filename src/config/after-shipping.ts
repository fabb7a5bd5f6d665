/**
 * The `afterShipping` keys of a flow (delete or rename a file once it is
 * finished; docs/tailing.md, "Done with a file"), read into an
 * AfterShippingConfig. The source acts on it (source/after-shipping.ts,
 * source/finish-action.ts).
 */
import { dirname } from 'node:path';
import picomatch from 'picomatch';
import { FLOW } from './flow-keys.js';
import { sampleMatch } from './flow-options.js';
import { javaGlobToPicomatch } from './java-glob.js';
import type { Reader } from './reader.js';
import type { AfterShippingConfig } from './types.js';

/**
 * `afterShipping` and its keys. With `rename`, refuses a suffix that keeps a
 * renamed file matched by the flow's patterns (it would be read, and
 * renamed, again): checked on a name each pattern matches.
 */
export function readAfterShipping(r: Reader, filePatterns: string[], excludePatterns: string[]): AfterShippingConfig | undefined {
  const action = r.read(FLOW.afterShipping);
  const files = r.read(FLOW.afterShippingFiles);
  const quietMillis = r.read(FLOW.afterShippingQuietMillis);
  const suffix = r.read(FLOW.afterShippingSuffix);
  if (!action) {
    for (const k of ['afterShippingFiles', 'afterShippingQuietMillis', 'afterShippingSuffix']) {
      if (r.has(k)) r.warn(k, 'has no effect without `afterShipping`', 'add afterShipping: delete (or rename), or remove it');
    }
    return undefined;
  }
  if (r.has('afterShippingSuffix') && action !== 'rename') r.warn('afterShippingSuffix', 'has no effect unless `afterShipping` is rename');
  // A plain path: a rotated file leaves the pattern (nothing left to act on), the live one is never finished.
  const plain = filePatterns.find((p) => !picomatch.scan(javaGlobToPicomatch(p)).isGlob);
  if (plain !== undefined && files === 'rotated') {
    r.warn('afterShipping', `filePattern \`${plain}\` names one file: its rotated files leave the pattern and are never ${action === 'delete' ? 'deleted' : 'renamed'}`, `match the rotated names too: ${plain}*`);
  }
  if (action === 'rename') {
    if (suffix.includes('/') || suffix.includes('\0')) {
      r.fail('afterShippingSuffix', `\`${suffix}\` contains a / or a NUL`, 'a suffix is appended to the file name, in its own directory: write e.g. .shipped');
    } else {
      const include = picomatch(filePatterns.map(javaGlobToPicomatch), { dot: true });
      const exclude = excludePatterns.length > 0 ? picomatch(excludePatterns.map(javaGlobToPicomatch), { dot: true }) : () => false;
      const clash = filePatterns.find((p) => {
        const renamed = `${sampleMatch(p)}${suffix}`;
        return include(renamed) && !exclude(renamed);
      });
      if (clash !== undefined) {
        r.fail('afterShippingSuffix', `a file renamed with \`${suffix}\` would still match filePattern \`${clash}\` and be read again`, `pick a suffix the patterns do not match, or exclude renamed files: excludePatterns: ['${dirname(clash)}/*${suffix}']`);
      }
    }
  }
  return { action, files, quietMillis, suffix };
}
