import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfigText } from '../../src/config/index.js';
import { createAddMetadata } from '../../src/process/add-metadata.js';
import type { RecordOrigin } from '../../src/process/processor.js';

const at = (path: string, start: number): RecordOrigin => ({ start, file: { path } });
const text = (b: Buffer | null): string => b!.toString('utf8');

describe('ADDMETADATA templates: where a record came from', () => {
  it('fills {{path}}, {{hostname}} and {{offset}} (a number when alone) from the record’s file and first byte', () => {
    const p = createAddMetadata({ optionName: 'ADDMETADATA', metadata: { file: '{{path}}', host: '{{hostname}}', offset: '{{offset}}' }, timestamp: false, jsonFormat: 'COMPACT' });
    expect(text(p.process(Buffer.from('GET / 200\n'), at('/var/log/app.log', 4096)))).toBe(
      `{"metadata":{"file":"/var/log/app.log","host":${JSON.stringify(hostname())},"offset":4096},"data":"GET / 200"}\n`,
    );
    expect(text(p.process(Buffer.from('next\n'), at('/var/log/app.log.1', 4106)))).toBe(
      `{"metadata":{"file":"/var/log/app.log.1","host":${JSON.stringify(hostname())},"offset":4106},"data":"next"}\n`,
    );
  });

  it('escapes a path with quotes, backslashes, control characters and keeps unicode as text', () => {
    const p = createAddMetadata({ optionName: 'ADDMETADATA', metadata: { file: '{{path}}' }, timestamp: false, jsonFormat: 'COMPACT' });
    expect(text(p.process(Buffer.from('x\n'), at('/logs/"q"\\é✓\t.log', 0)))).toBe('{"metadata":{"file":"/logs/\\"q\\"\\\\é✓\\t.log"},"data":"x"}\n');
  });

  it('puts values into text around them, offset as decimal text, inside arrays and nested maps', () => {
    const p = createAddMetadata({
      optionName: 'ADDMETADATA',
      metadata: { env: 'prod', src: { where: 'at {{path}}:{{offset}} on {{ hostname }}', n: 3 }, list: ['{{offset}}', 'plain'] },
      timestamp: false,
      jsonFormat: 'COMPACT',
    });
    expect(text(p.process(Buffer.from('x\n'), at('/a.log', 12)))).toBe(
      `{"metadata":{"env":"prod","src":{"where":"at /a.log:12 on ${hostname()}","n":3},"list":[12,"plain"]},"data":"x"}\n`,
    );
  });

  it('lays templated values out like the rest under PRETTYPRINT, with ts first', () => {
    const p = createAddMetadata({ optionName: 'ADDMETADATA', metadata: { file: '{{path}}', offset: '{{offset}}' }, timestamp: true, jsonFormat: 'PRETTYPRINT' });
    const out = text(p.process(Buffer.from('hi\n'), at('/a.log', 7)));
    expect(out.replace(/"ts" : "[^"]+"/, '"ts" : "T"')).toBe('{\n  "ts" : "T",\n  "metadata" : {\n    "file" : "/a.log",\n    "offset" : 7\n  },\n  "data" : "hi"\n}\n');
  });

  it('keeps a metadata string that is a NUL apart from the templates', () => {
    const p = createAddMetadata({ optionName: 'ADDMETADATA', metadata: { a: '\u0000', b: '{{offset}}' }, timestamp: false, jsonFormat: 'COMPACT' });
    expect(text(p.process(Buffer.from('x\n'), at('/a.log', 5)))).toBe('{"metadata":{"a":"\\u0000","b":5},"data":"x"}\n');
  });

  it('rejects an unknown {{name}} at load, with the known ones in the hint', () => {
    const yaml = 'flows:\n  - filePattern: /a/*.log\n    kinesisStream: s\n    dataProcessingOptions:\n      - optionName: ADDMETADATA\n        metadata: {file: "{{path}}", f: "{{filename}}"}\n';
    let err: unknown;
    try {
      parseConfigText(yaml, 'agent.yaml', { env: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('`{{filename}}` is not a template');
    expect((err as Error).message).toContain('{{path}}, {{hostname}}, {{offset}}');
  });

  it('accepts the known templates at load and keeps them as written', () => {
    const yaml = 'flows:\n  - filePattern: /a/*.log\n    kinesisStream: s\n    dataProcessingOptions:\n      - optionName: ADDMETADATA\n        metadata: {file: "{{path}}", host: "{{hostname}}", offset: "{{offset}}"}\n';
    const c = parseConfigText(yaml, 'agent.yaml', { env: {} });
    expect(c.flows[0]!.dataProcessingOptions).toEqual([
      { optionName: 'ADDMETADATA', metadata: { file: '{{path}}', host: '{{hostname}}', offset: '{{offset}}' }, timestamp: false, jsonFormat: 'COMPACT' },
    ]);
  });
});
