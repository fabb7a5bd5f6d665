/**
 * An agent.json as the Kinesis Agent runs it, with the inputs it accepts
 * and this agent refused before: a file with classic Mac line endings (bare
 * CR), a drop-in in agent.d/ that is not named *.json, one that is not a
 * config at all, a flow naming both deliveryStream and kinesisStream
 * (FileFlowFactory sends it to Firehose). Run through the real CLI against
 * the protocol server. (A LOGTOJSON whose matchPattern groups do not fit
 * customFieldNames starts there and skips every line; here it stays a start
 * error, exit 2, found by `validate`: a flow that would drop every line is
 * refused rather than run.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useProtocolServer, sleep, until } from '../hardening/support.ts';
import { AgentProcess } from '../support/agent-process.ts';

const suite = useProtocolServer('kajson');

describe('a Kinesis Agent agent.json with what it accepts, run unchanged', () => {
  it('starts, sends a two-destination flow to Firehose, and reads agent.d/app.conf', async () => {
    const { server, dir } = suite;
    const sub = join(dir, 'java');
    mkdirSync(join(sub, 'agent.d'), { recursive: true });
    server.createStream('kj-kinesis');
    server.createStream('kj-dropin');
    server.createDeliveryStream('kj-firehose');
    const lines = Array.from({ length: 50 }, (_, i) => `order ${i} placed\n`);
    for (const name of ['both.log', 'dropin.log']) writeFileSync(join(sub, name), lines.join(''));
    const flow = (file: string, dest: string, extra = '') =>
      `{"filePattern": "${join(sub, file)}", ${dest}, "initialPosition": "START_OF_FILE", "maxBufferAgeMillis": 1000${extra}}`;
    const main = [
      '{',
      `  "kinesis.endpoint": "${server.endpoint}", "firehose.endpoint": "${server.endpoint}",`,
      `  "cloudwatch.emitMetrics": false, "checkpointFile": "${join(sub, 'cp')}",`,
      '  "flows": [',
      `    ${flow('both.log', '"kinesisStream": "kj-kinesis", "deliveryStream": "kj-firehose"')}`,
      '  ]',
      '}',
    ].join('\r');
    const config = join(sub, 'agent.json');
    writeFileSync(config, main);
    writeFileSync(join(sub, 'agent.d', 'app.conf'), `{"flows": [${flow('dropin.log', '"kinesisStream": "kj-dropin"')}]}`);
    writeFileSync(join(sub, 'agent.d', 'README'), 'flows for the shop go here\n');

    const agent = suite.track(AgentProcess.start(config, { AWS_REGION: 'us-east-1' }));
    const firehose = () => server.deliveryStreams.get('kj-firehose')!;
    const dropin = () => server.streams.get('kj-dropin')!.entries;
    await until(() => firehose().map((e) => e.data.toString()).join('').split('\n').length > 50 && dropin().length >= 50, 'the Firehose and drop-in flows to send every line', 30_000, () => agent.stderr);
    // The Kinesis side of the two-destination flow has had time to send what it would.
    await sleep(2000);

    expect(firehose().map((e) => e.data.toString()).join('')).toBe(lines.join(''));
    expect(server.streams.get('kj-kinesis')!.entries).toEqual([]);
    expect(dropin().map((e) => e.data.toString())).toEqual(lines);
    expect(agent.stderr + agent.stdout).toMatch(/kinesisStream: is ignored: `deliveryStream` is given too/);
    expect(agent.stderr + agent.stdout).toMatch(/README.* is not a config file and is skipped/);
    expect((await agent.stop()).code, agent.stderr).toBe(0);
  });
});
