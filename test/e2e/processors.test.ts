import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentProcess } from '../support/agent-process.ts';
import { useKinesisLocal } from '../support/kinesis-local.ts';

const env = useKinesisLocal('ka-proc-');

const APACHE = [
  '203.0.113.7 - - [25/Nov/2026:17:40:38 +0000] "GET /api/v1/items?id=42 HTTP/2.0" 304 - "-" "curl/8.5.0"',
  'this line is not an access log line',
  '198.51.100.2 - alice [25/Nov/2026:17:40:39 +0000] "POST /login HTTP/1.1" 200 512 "https://example.com/" "Mozilla/5.0"',
];

describe('processing options through the running agent', () => {
  it('delivers each option’s records as documented, skipping lines LOGTOJSON cannot match', async () => {
    const streams = ['p-apache', 'p-csv', 'p-multiline', 'p-syslog'];
    for (const s of streams) await env.local.createStream(s);
    writeFileSync(join(env.dir, 'access.log'), APACHE.map((l) => `${l}\n`).join(''));
    writeFileSync(join(env.dir, 'data.csv'), 'v1, v2\n1,2\n1,2,3,4\n');
    writeFileSync(
      join(env.dir, 'app.log'),
      '2026-11-25 ERROR boom\n    at a.b(C.java:1)\n    at d.e(F.java:2)\n2026-11-25 INFO ok\n2026-11-25 INFO next\n',
    );
    writeFileSync(join(env.dir, 'syslog'), 'Nov 25 17:40:38 web-1 sshd[2817]: Accepted publickey for ec2-user\nNov 25 17:40:39 web-1 cron: job done\n');

    const flow = (file: string, stream: string, extra: string) =>
      `  - filePattern: ${join(env.dir, file)}\n    kinesisStream: ${stream}\n    initialPosition: START_OF_FILE\n    maxBufferAgeMillis: 1000\n${extra}`;
    const config = join(env.dir, 'agent.yaml');
    writeFileSync(
      config,
      `kinesis.endpoint: ${env.local.endpoint}\ncloudwatch.emitMetrics: false\ncheckpointFile: ${join(env.dir, 'cp')}\nflows:\n` +
        flow(
          'access.log',
          'p-apache',
          '    dataProcessingOptions:\n      - optionName: LOGTOJSON\n        logFormat: COMBINEDAPACHELOG\n      - optionName: ADDMETADATA\n        metadata: {env: test}\n',
        ) +
        flow('data.csv', 'p-csv', '    dataProcessingOptions:\n      - optionName: CSVTOJSON\n        customFieldNames: [a, b, c]\n') +
        flow(
          'app.log',
          'p-multiline',
          '    multiLineStartPattern: "^\\\\d{4}-"\n    dataProcessingOptions:\n      - optionName: SINGLELINE\n',
        ) +
        flow('syslog', 'p-syslog', '    dataProcessingOptions:\n      - optionName: LOGTOJSON\n        logFormat: SYSLOG\n'),
    );
    const agent = AgentProcess.start(config);
    const read = async (s: string, n: number) =>
      (await env.local.waitFor(s, (r) => r.length >= n)).map((r) => r.data.toString());

    const apache = await read('p-apache', 2);
    expect(apache.map((r) => JSON.parse(r))).toEqual([
      {
        metadata: { env: 'test' },
        data:
          '{"host":"203.0.113.7","ident":null,"authuser":null,"datetime":"25/Nov/2026:17:40:38 +0000","request":"GET /api/v1/items?id=42 HTTP/2.0","response":"304","bytes":null,"referer":null,"agent":"curl/8.5.0"}',
      },
      {
        metadata: { env: 'test' },
        data:
          '{"host":"198.51.100.2","ident":null,"authuser":"alice","datetime":"25/Nov/2026:17:40:39 +0000","request":"POST /login HTTP/1.1","response":"200","bytes":"512","referer":"https://example.com/","agent":"Mozilla/5.0"}',
      },
    ]);
    expect(apache.every((r) => r.endsWith('}\n'))).toBe(true);

    expect(await read('p-csv', 3)).toEqual([
      '{"a":"v1","b":" v2","c":null}\n',
      '{"a":"1","b":"2","c":null}\n',
      '{"a":"1","b":"2","c":"3"}\n',
    ]);

    // The last entry waits for a quiet period before it is flushed.
    expect(await read('p-multiline', 3)).toEqual([
      '2026-11-25 ERROR boomat a.b(C.java:1)at d.e(F.java:2)\n',
      '2026-11-25 INFO ok\n',
      '2026-11-25 INFO next\n',
    ]);

    expect(await read('p-syslog', 2)).toEqual([
      '{"timestamp":"Nov 25 17:40:38","hostname":"web-1","program":"sshd","processid":"2817","message":"Accepted publickey for ec2-user"}\n',
      '{"timestamp":"Nov 25 17:40:39","hostname":"web-1","program":"cron","processid":null,"message":"job done"}\n',
    ]);

    expect((await agent.stop()).code, agent.stderr).toBe(0);

    // The skipped line counted as done: a restart sends nothing again.
    const again = AgentProcess.start(config);
    await again.waitForLog((l) => l.msg === 'agent started');
    await new Promise((r) => setTimeout(r, 2000));
    expect((await again.stop()).code).toBe(0);
    expect((await env.local.readAll('p-apache')).length).toBe(2);
    expect((await env.local.readAll('p-multiline')).length).toBe(3);
  });
});
