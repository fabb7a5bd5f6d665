import { describe, expect, it } from 'vitest';
import { checkConfig } from '../../src/config/index.js';
import { find, problemsOf, tempConfigDir, warningsOf } from './helpers.js';

const flow = (extra: string, pattern = '/var/log/app/*.log') => `flows:\n  - filePattern: ${pattern}\n    kinesisStream: s\n${extra}`;

describe('afterShipping config', () => {
  /** The afterShipping a flow with these extra lines loads with. */
  async function afterShippingOf(extra: string) {
    const t = await tempConfigDir({ 'agent.yaml': flow(extra) });
    try {
      return (await checkConfig(t.path('agent.yaml'), { env: { AWS_REGION: 'us-east-1' } })).config?.flows[0]?.afterShipping;
    } finally {
      await t.cleanup();
    }
  }

  it('reads delete with the defaults', async () => {
    expect(await afterShippingOf('    afterShipping: delete\n')).toEqual({ action: 'delete', files: 'rotated', quietMillis: 60_000, suffix: '.shipped' });
  });

  it('reads rename with a suffix, quiet files and a period', async () => {
    const extra = '    afterShipping: rename\n    afterShippingSuffix: .done\n    afterShippingFiles: quiet\n    afterShippingQuietMillis: 5000\n';
    expect(await afterShippingOf(extra)).toEqual({ action: 'rename', files: 'quiet', quietMillis: 5000, suffix: '.done' });
  });

  it('refuses an unknown action, with the values in the hint', async () => {
    const p = find(await problemsOf(flow('    afterShipping: remove\n')), 'flows[0].afterShipping');
    expect(p.message).toContain('is not one of delete, rename');
    expect(p.hint).toBeDefined();
  });

  it('refuses a suffix the patterns would match again (app.log* renamed to app.log.shipped)', async () => {
    const p = find(await problemsOf(flow('    afterShipping: rename\n', '/var/log/app/app.log*')), 'flows[0].afterShippingSuffix');
    expect(p.message).toContain('would still match filePattern `/var/log/app/app.log*`');
    expect(p.hint).toContain("excludePatterns: ['/var/log/app/*.shipped']");
  });

  it('accepts that suffix once excludePatterns leaves renamed files out', async () => {
    const problems = await problemsOf(flow("    afterShipping: rename\n    excludePatterns: ['/var/log/app/*.shipped']\n", '/var/log/app/app.log*'));
    expect(problems).toEqual([]);
  });

  it('refuses a suffix with a slash and a period under a second', async () => {
    const ps = await problemsOf(flow('    afterShipping: rename\n    afterShippingSuffix: /archive\n    afterShippingQuietMillis: 10\n'));
    expect(find(ps, 'flows[0].afterShippingSuffix').message).toContain('contains a /');
    expect(find(ps, 'flows[0].afterShippingQuietMillis').message).toContain('under the minimum');
  });

  it('warns when the pattern names one file: its rotated files leave the pattern', () => {
    const w = warningsOf(flow('    afterShipping: delete\n', '/var/log/app/app.log'));
    expect(w.join('\n')).toContain('its rotated files leave the pattern and are never deleted (hint: match the rotated names too: /var/log/app/app.log*)');
  });

  it('warns about its keys without afterShipping', () => {
    const w = warningsOf(flow('    afterShippingQuietMillis: 5000\n'));
    expect(w.join('\n')).toContain('afterShippingQuietMillis: has no effect without `afterShipping`');
  });
});
