import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { clearSecrets, createLogger, levelFromEnv, registerSecret, scrubSecrets } from '../../src/log.ts';
import { formatLineAsText } from '../../src/log-text.ts';
import { memoryLogger } from './memory-log.ts';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const TOKEN = 'FwoGZXIvYXdzEJr//////////wEaDO"quoted"token';
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

afterEach(() => {
  clearSecrets();
  delete process.env.KINESIS_AGENT_LOG_LEVEL;
});

describe('logger', () => {
  for (const pretty of [false, true]) {
    it(`keeps a configured secret out of every ${pretty ? 'text' : 'JSON'} line at every level, in fields, messages and errors`, () => {
      registerSecret(SECRET);
      registerSecret(TOKEN);
      const mem = memoryLogger('trace', pretty);
      for (const level of LEVELS) {
        mem.log[level]({ awsSecretAccessKey: SECRET, sessionToken: TOKEN }, 'keys as fields');
        mem.log[level]({ config: { credentials: { secretAccessKey: SECRET, accessKeyId: 'AKIAIOSFODNN7EXAMPLE' } } }, 'nested config');
        mem.log[level]({ deep: { a: { b: { c: { d: SECRET, e: TOKEN } } } } }, 'deeper than the key paths');
        mem.log[level](`message mentions ${SECRET} and ${TOKEN}`);
        mem.log[level]({ err: new Error(`signature mismatch for ${SECRET}`) }, 'an error');
        mem.log.child({ component: 'x', token: TOKEN })[level]({ other: SECRET }, 'from a child');
      }
      const text = mem.text();
      if (!pretty) expect(mem.lines().length).toBe(LEVELS.length * 6);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('wJalrXUtnFEMI');
      expect(text).not.toContain('FwoGZXIvYXdzEJr');
      expect(text).not.toContain('AKIAIOSFODNN7EXAMPLE');
      expect(text).toContain('[redacted]');
    });
  }

  it('censors secret keys by path even when no value was registered', () => {
    const mem = memoryLogger('info');
    mem.log.info({ awsSecretAccessKey: 'never-registered-1', flow: { credentials: { sessionToken: 'never-registered-2' } } }, 'x');
    expect(mem.text()).not.toContain('never-registered');
    expect(mem.lines()[0]!.awsSecretAccessKey).toBe('[redacted]');
  });

  it('writes one JSON object per line when not a terminal, and readable text when asked to', () => {
    const json = memoryLogger('info');
    json.log.info({ flow: 'web', bytes: 3 }, 'flow started');
    const line = json.lines()[0]!;
    expect(line).toMatchObject({ level: 'info', msg: 'flow started', flow: 'web', bytes: 3, name: 'kinesis-agent' });
    expect(typeof line.time).toBe('string');

    const text = memoryLogger('info', true);
    text.log.warn({ flow: 'web', path: '/var/log/a b.log' }, 'file unreadable');
    const out = text.text();
    expect(out.startsWith('{')).toBe(false);
    expect(out).toMatch(/WARN +file unreadable flow=web path="\/var\/log\/a b\.log"/);
  });

  it('formats an error with its stack in text mode', () => {
    const out = formatLineAsText(JSON.stringify({ level: 'error', time: '2026-01-01T10:00:00.000Z', msg: 'boom', err: { message: 'bad', stack: 'Error: bad\n    at x' } }), false);
    expect(out).toBe('10:00:00.000 ERROR boom err=\n  Error: bad\n      at x\n');
  });

  it('honors the level, with KINESIS_AGENT_LOG_LEVEL over the config', () => {
    const mem = memoryLogger('warn');
    mem.log.info('hidden');
    mem.log.warn('shown');
    expect(mem.lines().map((l) => l.msg)).toEqual(['shown']);
    expect(levelFromEnv('debug')).toBe('debug');
    process.env.KINESIS_AGENT_LOG_LEVEL = 'ERROR';
    expect(levelFromEnv('debug')).toBe('error');
  });

  it('writes a last line through to a file destination before flush() returns', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ka-log-'));
    try {
      registerSecret(SECRET);
      const dest = pino.destination({ dest: join(dir, 'out.log'), sync: true });
      const log = createLogger({ level: 'info', destination: dest as unknown as NodeJS.WritableStream });
      log.fatal({ err: `crash with ${SECRET}` }, 'unexpected failure; exiting');
      await new Promise<void>((resolve, reject) => log.flush((err) => (err ? reject(err) : resolve())));
      const text = await readFile(join(dir, 'out.log'), 'utf8');
      expect(JSON.parse(text)).toMatchObject({ level: 'fatal', msg: 'unexpected failure; exiting', err: 'crash with [redacted]' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('does not scrub values too short to be secrets', () => {
    registerSecret('abc');
    expect(scrubSecrets('abc abc')).toBe('abc abc');
  });
});

describe('secrets from a real configuration file', () => {
  it('appear in no log line at any level once the loaded config is registered, even when the config itself is logged', async () => {
    const { loadConfig } = await import('../../src/config/index.ts');
    const { registerConfigSecrets } = await import('../../src/log.ts');
    const dir = await mkdtemp(join(tmpdir(), 'ka-secret-'));
    try {
      const secret = 'Zx9/k2PqL+mN4vB7cR1sT5uW8yA3dF6gH0jK2lQ4';
      const token = 'IQoJb3JpZ2luX2VjEHwaCXVzLWVhc3QtMSJHMEUCIQ';
      const path = join(dir, 'agent.json');
      const { writeFile } = await import('node:fs/promises');
      await writeFile(
        path,
        JSON.stringify({
          checkpointFile: join(dir, 'cp'),
          awsAccessKeyId: 'AKIAZZZZZZZZZZZZZZZZ',
          awsSecretAccessKey: secret,
          awsSessionToken: token,
          proxy: 'http://user:pr0xy-pass@proxy.local:3128',
          flows: [{ filePattern: `${dir}/*.log`, kinesisStream: 's' }],
        }),
      );
      const config = await loadConfig(path);
      registerConfigSecrets(config);
      const mem = memoryLogger('trace');
      for (const level of LEVELS) {
        mem.log[level]({ config }, 'the whole config');
        mem.log[level]({ agent: { nested: { deeper: { config } } } }, 'nested deep');
        mem.log[level]({ err: new Error(`The request signature we calculated does not match (key ${secret}, token ${token})`) }, 'failure');
        mem.log[level](`proxy is ${config.proxy}`);
      }
      const text = mem.text();
      expect(mem.lines().length).toBe(LEVELS.length * 4);
      for (const s of [secret, token, 'AKIAZZZZZZZZZZZZZZZZ', 'pr0xy-pass']) expect(text).not.toContain(s);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
