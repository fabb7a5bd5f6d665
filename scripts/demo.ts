/**
 * `npm run demo`: the whole path on this machine, no AWS account. Starts
 * kinesis-local, creates a stream, writes a sample access log, runs the
 * built agent on it, prints the records that arrived, and stops.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KinesisLocal, LOCAL_AWS_ENV } from '../test/support/kinesis-local.ts';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const STREAM = 'demo-access-log';

function accessLine(i: number): string {
  const paths = ['/', '/index.html', '/api/orders', '/img/logo.png', '/login'];
  const codes = [200, 200, 200, 304, 404, 500];
  const t = new Date(Date.UTC(2026, 10, 25, 12, 0, i));
  const stamp = t.toUTCString().replace(/^\w+, (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1/$2/$3:$4 +0000');
  return `192.0.2.${(i % 250) + 1} - - [${stamp}] "GET ${paths[i % paths.length]} HTTP/1.1" ${codes[i % codes.length]} ${512 + i} "-" "curl/8.5.0"\n`;
}

const started = Date.now();
const dir = mkdtempSync(join(tmpdir(), 'kinesis-agent-demo-'));
const log = join(dir, 'access.log');
const local = await KinesisLocal.start();
console.log(`kinesis-local listening on ${local.endpoint}`);
try {
  await local.createStream(STREAM, 2);
  writeFileSync(log, Array.from({ length: 10 }, (_, i) => accessLine(i)).join(''));
  const config = join(dir, 'agent.yaml');
  writeFileSync(
    config,
    [
      `kinesis.endpoint: ${local.endpoint}`,
      `cloudwatch.emitMetrics: false`,
      `checkpointFile: ${join(dir, 'checkpoints')}`,
      `flows:`,
      `  - filePattern: ${join(dir, '*.log')}`,
      `    kinesisStream: ${STREAM}`,
      `    initialPosition: START_OF_FILE`,
      `    maxBufferAgeMillis: 1000`,
      '',
    ].join('\n'),
  );
  console.log(`wrote 10 lines to ${log}; starting the agent on ${config}`);
  const agent = spawn(process.execPath, [cli, '-c', config], {
    env: { ...process.env, ...LOCAL_AWS_ENV, KINESIS_AGENT_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => agent.on('exit', (code) => resolve(code)));

  await local.waitFor(STREAM, (r) => r.length >= 10);
  appendFileSync(log, Array.from({ length: 5 }, (_, i) => accessLine(10 + i)).join(''));
  console.log('appended 5 more lines while the agent runs');
  const records = await local.waitFor(STREAM, (r) => r.length >= 15);

  agent.kill('SIGTERM');
  const code = await exited;
  console.log(`\n${records.length} records arrived in ${STREAM}:`);
  for (const r of records) console.log(`  [${r.shardId} key=${r.partitionKey.slice(0, 8)}] ${r.data.toString().trimEnd()}`);
  console.log(`\nagent exited with code ${code} after SIGTERM; demo took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (records.length !== 15 || code !== 0) process.exitCode = 1;
} finally {
  await local.stop();
  rmSync(dir, { recursive: true, force: true });
}
