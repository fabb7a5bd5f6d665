import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { javaGlobToPicomatch } from '../../src/config/java-glob.js';
import { PatternSet } from '../../src/source/patterns.js';
import { tempDir } from './support/helpers.js';

describe('javaGlobToPicomatch (filePattern as a Java glob, as the Kinesis Agent reads it)', () => {
  it.each([
    ['a plain path is unchanged', '/var/log/app.log', '/var/log/app.log'],
    ['*, **, ? and {a,b} are unchanged', '/var/**/x?/{a,b}*.log', '/var/**/x?/{a,b}*.log'],
    ['parentheses are literal', '/var/log/app(1)*.log', '/var/log/app\\(1\\)*.log'],
    ['+, @, ! and | are literal', '/l/a+b@c!d|e.log', '/l/a\\+b\\@c\\!d\\|e.log'],
    ['[!...] is a negated class', '/l/[!a]pp.log', '/l/[^a]pp.log'],
    ['inside a class nothing is escaped', '/l/[(+)].log', '/l/[(+)].log'],
    ['a backslash escape is kept', '/l/a\\*b.log', '/l/a\\*b.log'],
    ['a [ with no ] is literal text', '/l/a[(.log', '/l/a[\\(.log'],
  ])('%s', (_what, java, picomatch) => {
    expect(javaGlobToPicomatch(java)).toBe(picomatch);
  });
});

describe('PatternSet on real files, with Java glob meaning', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir('ka-jglob-')));
  afterEach(async () => cleanup());

  it('finds files whose names hold (, ), +, @ and !, and reads [!a] as a negation', async () => {
    mkdirSync(join(dir, 'web (prod)'));
    for (const name of ['app(1)-x.log', 'a+b.log', 'bpp.log', 'app.log', 'keep!.log']) writeFileSync(join(dir, 'web (prod)', name), 'x\n');
    const d = join(dir, 'web (prod)');
    expect(await new PatternSet([`${d}/app(1)*.log`], []).list()).toEqual([join(d, 'app(1)-x.log')]);
    expect(await new PatternSet([`${d}/a+b.log`], []).list()).toEqual([join(d, 'a+b.log')]);
    expect(await new PatternSet([`${d}/[!a]pp.log`], []).list()).toEqual([join(d, 'bpp.log')]);
    expect(await new PatternSet([`${d}/*.log`], [`${d}/keep!.log`]).list()).toEqual(
      ['a+b.log', 'app(1)-x.log', 'app.log', 'bpp.log'].map((n) => join(d, n)),
    );
    expect(new PatternSet([`${d}/app(1)*.log`], []).matches(join(d, 'app(1)-y.log'))).toBe(true);
  });
});
