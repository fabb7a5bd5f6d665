import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.ts';
import { useKinesisLocal } from '../support/kinesis-local.ts';

const env = useKinesisLocal('ka-origin-');

describe('ADDMETADATA templates through the running agent', () => {
  it('records carry their file path, the host name and the byte offset of their line, across two appends', async () => {
    await env.local.createStream('origin');
    // A name with a quote and non-ASCII text, to see it escaped on the way.
    const file = join(env.dir, 'app "é".log');
    const first = ['GET /a 200', 'héllo ✓ wörld'];
    const second = ['POST /b 201', 'last line'];
    writeFileSync(file, first.map((l) => `${l}\n`).join(''));
    const config = join(env.dir, 'agent.yaml');
    writeFileSync(
      config,
      `kinesis.endpoint: ${env.local.endpoint}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${join(env.dir, 'cp')}\nflows:\n` +
        `  - filePattern: '${join(env.dir, '*.log')}'\n    kinesisStream: origin\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n` +
        '    dataProcessingOptions:\n      - optionName: ADDMETADATA\n        metadata: {file: "{{path}}", host: "{{hostname}}", offset: "{{offset}}"}\n',
    );
    const agent = AgentProcess.start(config);
    await env.local.waitFor('origin', (r) => r.length >= 2);
    appendFileSync(file, second.map((l) => `${l}\n`).join(''));
    const records = (await env.local.waitFor('origin', (r) => r.length >= 4)).map((r) => JSON.parse(r.data.toString()) as unknown);
    expect((await agent.stop()).code, agent.stderr).toBe(0);

    // Byte positions of each line in the file, counted in UTF-8 bytes.
    const lines = [...first, ...second];
    const offsets = lines.map((_, i) => Buffer.byteLength(lines.slice(0, i).map((l) => `${l}\n`).join('')));
    expect(offsets).toEqual([0, 11, 29, 41]);
    const bytes = readFileSync(file);
    expect(lines.map((l) => bytes.indexOf(Buffer.from(`${l}\n`)))).toEqual(offsets);
    expect(records).toEqual(lines.map((data, i) => ({ metadata: { file, host: hostname(), offset: offsets[i] }, data })));
  });
});
