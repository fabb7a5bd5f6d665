/**
 * Container runtime log lines (`containerFormat: docker | cri`): the
 * application's line inside the runtime's wrapper.
 *
 * - docker: Docker's json-file driver writes one JSON object per line,
 *   `{"log":"text\n","stream":"stdout","time":"..."}`; a line longer than
 *   16 KiB is split over several objects, all but the last with a `log`
 *   that does not end in `\n` (moby daemon/logger: the 16 KiB buffer of the
 *   copier).
 * - cri: the Kubernetes CRI format (kubelet, containerd, CRI-O) writes
 *   `<RFC 3339 time> <stdout|stderr> <P|F>[:tags] <text>\n`; `P` marks a
 *   partial line continued by the next one, `F` the last part.
 */

import type { ContainerFormat } from '../config/flow-options.js';

export type { ContainerFormat } from '../config/flow-options.js';

export interface ContainerLine {
  stream: string;
  /** The application's bytes; a complete line ends with `\n`. */
  content: Buffer;
  /** More of the same line follows in the next entry. */
  partial: boolean;
}

const LF = 0x0a;
const SP = 0x20;

/**
 * One Docker json-file line (`\n` included or not) to its parts; undefined
 * when it is not such an object (the line is then sent as it is).
 */
export function parseDockerLine(line: Buffer): ContainerLine | undefined {
  // Every object the driver writes starts with `{`: anything else is not one, without a parse.
  let i = 0;
  while (i < line.length && (line[i] === SP || line[i] === 0x09)) i++;
  if (line[i] !== 0x7b) return undefined;
  let obj: unknown;
  try {
    obj = JSON.parse(line.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof obj !== 'object' || obj === null) return undefined;
  const { log, stream } = obj as { log?: unknown; stream?: unknown };
  if (typeof log !== 'string') return undefined;
  return {
    stream: typeof stream === 'string' ? stream : '',
    content: Buffer.from(log, 'utf8'),
    partial: !log.endsWith('\n'),
  };
}

/**
 * One CRI line to its parts; undefined when it does not have the shape
 * `time stream P|F[:tags] text`. The content keeps the line's `\n` when the
 * tag is `F`, and drops it when it is `P`.
 */
export function parseCriLine(line: Buffer): ContainerLine | undefined {
  const end = line.length > 0 && line[line.length - 1] === LF ? line.length - 1 : line.length;
  const s1 = line.indexOf(SP);
  if (s1 <= 0 || s1 >= end) return undefined;
  const s2 = line.indexOf(SP, s1 + 1);
  if (s2 < 0 || s2 >= end) return undefined;
  const stream = line.toString('latin1', s1 + 1, s2);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  let s3 = line.indexOf(SP, s2 + 1);
  if (s3 < 0 || s3 > end) s3 = end;
  const tags = line.toString('latin1', s2 + 1, s3);
  const flag = tags.split(':', 1)[0];
  if (flag !== 'P' && flag !== 'F') return undefined;
  const from = Math.min(s3 + 1, end);
  const partial = flag === 'P';
  let content: Buffer;
  if (partial) content = line.subarray(from, end);
  else if (end < line.length) content = line.subarray(from);
  else content = Buffer.concat([line.subarray(from, end), Buffer.from('\n')]);
  return { stream, content, partial };
}

export const CONTAINER_PARSERS: Record<ContainerFormat, (line: Buffer) => ContainerLine | undefined> = {
  docker: parseDockerLine,
  cri: parseCriLine,
};
