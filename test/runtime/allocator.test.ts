import { describe, expect, it } from 'vitest';
import { JEMALLOC_CONF, JEMALLOC_PATHS, MallocSettingError, parseMallocSetting, planAllocator, restartArgs, type AllocatorFacts } from '../../src/allocator.ts';

const LIB = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
const base: AllocatorFacts = { setting: undefined, preload: undefined, library: LIB, canExec: true, signalled: false, conf: undefined };

describe('which malloc the run command uses: the plan', () => {
  const cases: { name: string; facts: Partial<AllocatorFacts>; plan: ReturnType<typeof planAllocator> }[] = [
    { name: 'jemalloc installed, nothing set: re-execute with it preloaded', facts: {}, plan: { kind: 'reexec', library: LIB, env: { LD_PRELOAD: LIB, MALLOC_CONF: JEMALLOC_CONF } } },
    { name: 'auto said outright: the same', facts: { setting: 'auto' }, plan: { kind: 'reexec', library: LIB, env: { LD_PRELOAD: LIB, MALLOC_CONF: JEMALLOC_CONF } } },
    { name: 'jemalloc asked for and installed: re-execute', facts: { setting: 'JEMALLOC' }, plan: { kind: 'reexec', library: LIB, env: { LD_PRELOAD: LIB, MALLOC_CONF: JEMALLOC_CONF } } },
    { name: "a user's own MALLOC_CONF is kept", facts: { conf: 'narenas:2' }, plan: { kind: 'reexec', library: LIB, env: { LD_PRELOAD: LIB, MALLOC_CONF: 'narenas:2' } } },
    { name: "a user's own LD_PRELOAD is kept, after jemalloc", facts: { preload: '/opt/x/libtrace.so' }, plan: { kind: 'reexec', library: LIB, env: { LD_PRELOAD: `${LIB}:/opt/x/libtrace.so`, MALLOC_CONF: JEMALLOC_CONF } } },
    { name: 'already on jemalloc (the second image): run', facts: { preload: LIB }, plan: { kind: 'run', allocator: 'jemalloc', why: `LD_PRELOAD=${LIB}`, unmet: false } },
    { name: 'a user preloading another jemalloc: run on it, whatever the setting', facts: { preload: '/opt/je/lib/libjemalloc.so', setting: 'glibc' }, plan: { kind: 'run', allocator: 'jemalloc', why: 'LD_PRELOAD=/opt/je/lib/libjemalloc.so', unmet: false } },
    { name: 'glibc asked for: run on glibc', facts: { setting: 'glibc' }, plan: { kind: 'run', allocator: 'glibc', why: 'KINESIS_AGENT_MALLOC=glibc', unmet: false } },
    { name: 'not installed: glibc, and it says where it looked', facts: { library: undefined }, plan: { kind: 'run', allocator: 'glibc', why: `no libjemalloc.so.2 in ${JEMALLOC_PATHS.join(', ')}`, unmet: false } },
    { name: 'asked for but not installed: glibc, flagged unmet', facts: { library: undefined, setting: 'jemalloc' }, plan: { kind: 'run', allocator: 'glibc', why: `no libjemalloc.so.2 in ${JEMALLOC_PATHS.join(', ')}`, unmet: true } },
    { name: 'a Node without process.execve (before 22.15): glibc', facts: { canExec: false }, plan: { kind: 'run', allocator: 'glibc', why: 'this Node.js cannot re-execute itself (process.execve: Node.js 22.15 or later)', unmet: false } },
    { name: 'LD_PRELOAD names jemalloc but it is not mapped (missing, unreadable): glibc, no re-exec (it would loop)', facts: { preload: LIB, mapped: false }, plan: { kind: 'run', allocator: 'glibc', why: `LD_PRELOAD=${LIB}, but the dynamic linker did not load it (see its message on stderr)`, unmet: false } },
    { name: 'the same with jemalloc asked for: flagged unmet', facts: { preload: LIB, mapped: false, setting: 'jemalloc' }, plan: { kind: 'run', allocator: 'glibc', why: `LD_PRELOAD=${LIB}, but the dynamic linker did not load it (see its message on stderr)`, unmet: true } },
    { name: 'LD_PRELOAD names jemalloc and it is mapped: jemalloc', facts: { preload: LIB, mapped: true }, plan: { kind: 'run', allocator: 'jemalloc', why: `LD_PRELOAD=${LIB}`, unmet: false } },
    { name: 'an environment that is not all UTF-8: glibc, a re-exec would change it', facts: { envUtf8: false }, plan: { kind: 'run', allocator: 'glibc', why: 'the environment holds bytes that are not UTF-8, which re-executing would change', unmet: false } },
    { name: 'a stop signal already taken: no re-exec, it would be lost', facts: { signalled: true }, plan: { kind: 'run', allocator: 'glibc', why: 'a stop signal arrived before the switch', unmet: false } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(planAllocator({ ...base, ...c.facts })).toEqual(c.plan);
    });
  }

  it('refuses a setting it does not know, with the values it takes in the hint', () => {
    expect(() => planAllocator({ ...base, setting: 'tcmalloc' })).toThrow(MallocSettingError);
    expect(() => parseMallocSetting('tcmalloc')).toThrow(/KINESIS_AGENT_MALLOC=tcmalloc/);
    try {
      parseMallocSetting('x');
    } catch (err) {
      expect((err as MallocSettingError).toLine()).toContain('auto, jemalloc or glibc');
    }
    expect(parseMallocSetting('')).toBe('auto');
    expect(parseMallocSetting(' Glibc ')).toBe('glibc');
  });
});

describe('the arguments that start the same program again', () => {
  it('a single executable: its path and the user arguments (it adds its own flags and argv[1])', () => {
    expect(restartArgs({ sea: true, execPath: '/usr/bin/kinesis-agent', execArgv: ['--max-semi-space-size=8'], argv: ['/usr/bin/kinesis-agent', '/usr/bin/kinesis-agent', '-c', '/etc/a.yaml'] })).toEqual([
      '/usr/bin/kinesis-agent',
      '-c',
      '/etc/a.yaml',
    ]);
  });
  it('node and a script: node, its flags, the script and the user arguments', () => {
    expect(restartArgs({ sea: false, execPath: '/usr/bin/node', execArgv: ['--max-semi-space-size=8'], argv: ['/usr/bin/node', '/app/dist/cli.js', '-c', 'a.yaml'] })).toEqual([
      '/usr/bin/node',
      '--max-semi-space-size=8',
      '/app/dist/cli.js',
      '-c',
      'a.yaml',
    ]);
  });
});
