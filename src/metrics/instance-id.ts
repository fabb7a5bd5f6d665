import { hostname } from 'node:os';
import { imdsClientFor } from '../aws/imds.js';

/**
 * The `Instance` dimension: the EC2 instance id from the instance metadata
 * service (src/aws/imds.ts: IMDSv2, IMDSv1 fallback, IPv6 mode), or the host
 * name when not on EC2. Honors the SDK's AWS_EC2_METADATA_DISABLED and
 * AWS_EC2_METADATA_SERVICE_ENDPOINT(_MODE), and gives up after
 * `timeoutMs` a request (default a second, imds.ts) so that a machine
 * outside EC2 starts at once.
 */
export async function resolveInstanceId(env: NodeJS.ProcessEnv = process.env, timeoutMs?: number): Promise<string> {
  const id = await imdsClientFor(env, timeoutMs)?.metadata('instance-id');
  return id !== undefined && /^i-[0-9a-f]+$/.test(id) ? id : hostname();
}
