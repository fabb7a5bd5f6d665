import { request } from 'node:http';
import { hostname } from 'node:os';

const DEFAULT_IMDS = 'http://169.254.169.254';
const TIMEOUT_MS = 1000;

/**
 * The `Instance` dimension: the EC2 instance id from the instance metadata
 * service (IMDSv2), or the host name when not on EC2. Honors the SDK's
 * AWS_EC2_METADATA_DISABLED and AWS_EC2_METADATA_SERVICE_ENDPOINT, and gives
 * up after a second so that a machine outside EC2 starts at once.
 */
export async function resolveInstanceId(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.AWS_EC2_METADATA_DISABLED?.toLowerCase() === 'true') return hostname();
  const base = (env.AWS_EC2_METADATA_SERVICE_ENDPOINT || DEFAULT_IMDS).replace(/\/+$/, '');
  try {
    const token = await call('PUT', `${base}/latest/api/token`, { 'x-aws-ec2-metadata-token-ttl-seconds': '60' });
    const id = await call('GET', `${base}/latest/meta-data/instance-id`, { 'x-aws-ec2-metadata-token': token });
    return /^i-[0-9a-f]+$/.test(id.trim()) ? id.trim() : hostname();
  } catch {
    return hostname();
  }
}

function call(method: string, url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, timeout: TIMEOUT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`IMDS ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('IMDS timeout')));
    req.on('error', reject);
    req.end();
  });
}
