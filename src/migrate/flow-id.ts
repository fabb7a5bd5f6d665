/**
 * The id the Kinesis Agent gives a flow, which keys its checkpoints:
 * `kinesis:<kinesisStream>:<source>` or `fh:<deliveryStream>:<source>`, the
 * stream as written in the config (an ARN stays an ARN) and `<source>` the filePattern as Java's
 * `SourceFile.toString()` prints it: `<parent directory>/<file name glob>`
 * of `Paths.get(filePattern)` (repeated slashes collapsed, no `.` or `..`
 * resolution). Source: awslabs/amazon-kinesis-agent,
 * src/com/amazon/kinesis/streaming/agent/tailing/KinesisFileFlow.java,
 * FirehoseFileFlow.java (the `id` field) and SourceFile.java.
 */
import type { FlowConfig } from '../config/types.js';

/** Java's `directory + "/" + fileName` for an absolute pattern; undefined without a directory. */
export function javaSourceFile(pattern: string): string | undefined {
  const path = pattern.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');
  const cut = path.lastIndexOf('/');
  if (cut < 0) return undefined;
  const dir = cut === 0 ? '/' : path.slice(0, cut);
  return `${dir}/${path.slice(cut + 1)}`;
}

/**
 * This flow's id in the Kinesis Agent, or undefined when it cannot have one
 * (a list of patterns: the Kinesis Agent takes one `filePattern` per flow).
 */
export function kinesisAgentFlowId(flow: FlowConfig): string | undefined {
  if (flow.filePatterns.length !== 1) return undefined;
  const source = javaSourceFile(flow.filePatterns[0]!);
  if (source === undefined) return undefined;
  const prefix = flow.destination.kind === 'kinesis' ? 'kinesis' : 'fh';
  return `${prefix}:${flow.destination.arn?.text ?? flow.destination.streamName}:${source}`;
}
