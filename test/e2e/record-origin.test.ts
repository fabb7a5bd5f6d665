import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.ts';
import { KinesisLocal } from '../support/kinesis-local.ts';

let local: KinesisLocal;
let dir: string;
beforeAll(async () => {
  local = await KinesisLocal.start();
  dir = mkdtempSync(join(tmpdir(), 'ka-origin-'));
});
afterAll(async () => {
  await local?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('ADDMETADATA templates through the running agent', () => {
  it('records carry their file path, the host name and the byte offset of their line, across two appends', async () => {
    await local.createStream('origin');
    // A name with a quote and non-ASCII text, to see it escaped on the way.
    const file = join(dir, 'app "é".log');
    const first = ['GET /a 200', 'héllo ✓ wörld'];
    const second = ['POST /b 201', 'last line'];
    writeFileSync(file, first.map((l) => `${l}\n`).join(''));
    const config = join(dir, 'agent.yaml');
    writeFileSync(
      config,
      `kinesis.endpoint: ${local.endpoint}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${join(dir, 'cp')}\nflows:\n` +
        `  - filePattern: '${join(dir, '*.log')}'\n    kinesisStream: origin\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n` +
        '    dataProcessingOptions:\n      - optionName: ADDMETADATA\n        metadata: {file: "{{path}}", host: "{{hostname}}", offset: "{{offset}}"}\n',
    );
    const agent = AgentProcess.start(config);
    await local.waitFor('origin', (r) => r.length >= 2);
    appendFileSync(file, second.map((l) => `${l}\n`).join(''));
    const records = (await local.waitFor('origin', (r) => r.length >= 4)).map((r) => JSON.parse(r.data.toString()) as unknown);
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
