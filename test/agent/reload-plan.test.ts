import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/index.ts';
import { observabilitySettingsChanged, planReload, settingsReadAtStartChanged } from '../../src/reload-plan.ts';

const web = '  - name: web\n    filePattern: /var/log/web/*.log\n    kinesisStream: web\n';
const app = '  - name: app\n    filePattern: /var/log/app.log\n    kinesisStream: app\n';
const appSlower = '  - name: app\n    filePattern: /var/log/app.log\n    kinesisStream: app\n    maxBufferAgeMillis: 5000\n';
const config = (flows: string, top = '') => parseConfigText(`${top}flows:\n${flows}`, 'agent.yaml');
const runningOf = (c: ReturnType<typeof config>, ids = c.flows.map((f) => f.id)) => new Map(c.flows.filter((f) => ids.includes(f.id)).map((f) => [f.id, f]));

describe('reload plan: which flows a SIGHUP keeps, stops and starts', () => {
  const cases: Array<[string, ReturnType<typeof config>, string[] | undefined, ReturnType<typeof config>, { keep: string[]; stop: string[]; start: string[] }]> = [
    ['nothing changed: every flow keeps its place', config(web + app), undefined, config(web + app), { keep: ['web', 'app'], stop: [], start: [] }],
    ['a flow added: it starts, the other is kept', config(web), undefined, config(web + app), { keep: ['web'], stop: [], start: ['app'] }],
    ['a flow removed: it stops', config(web + app), undefined, config(web), { keep: ['web'], stop: ['app'], start: [] }],
    ['a flow changed: it stops and starts again', config(web + app), undefined, config(web + appSlower), { keep: ['web'], stop: ['app'], start: ['app'] }],
    ['flows reordered: position is not a change', config(web + app), undefined, config(app + web), { keep: ['web', 'app'], stop: [], start: [] }],
    ['an agent-wide setting changed: every flow restarts', config(web + app), undefined, config(web + app, 'shutdownTimeoutMillis: 5000\n'), { keep: [], stop: ['web', 'app'], start: ['web', 'app'] }],
    ['only log.level changed: every flow keeps its place', config(web + app), undefined, config(web + app, 'log.level: debug\n'), { keep: ['web', 'app'], stop: [], start: [] }],
    ['only the status server changed: every flow keeps its place', config(web + app), undefined, config(web + app, 'http.listen: 127.0.0.1:9090\n'), { keep: ['web', 'app'], stop: [], start: [] }],
    ['only cloudwatch changed: every flow keeps its place', config(web + app), undefined, config(web + app, 'cloudwatch.emitMetrics: false\n'), { keep: ['web', 'app'], stop: [], start: [] }],
    ['a flow that is not running (failed before) starts again though unchanged', config(web + app), ['web'], config(web + app), { keep: ['web'], stop: [], start: ['app'] }],
  ];
  it.each(cases)('%s', (_name, current, runningIds, next, want) => {
    const plan = planReload(current, runningOf(current, runningIds), next);
    expect({ keep: plan.keep, stop: plan.stop, start: plan.start.map((f) => f.id) }).toEqual(want);
  });
});

describe('reload plan: settings a reload cannot apply (read once at start)', () => {
  const cases: Array<[string, string, string, string[]]> = [
    ['nothing changed', '', '', []],
    ['another agent-wide setting changed: the reload applies it', '', 'shutdownTimeoutMillis: 5000\n', []],
    ['checkpointFile moved: refused', 'checkpointFile: /var/lib/a/cp\n', 'checkpointFile: /var/lib/b/cp\n', ['checkpointFile']],
    ['checkpointTimeToLiveDays changed: refused', '', 'checkpointTimeToLiveDays: 3\n', ['checkpointTimeToLiveDays']],
  ];
  it.each(cases)('%s', (_name, before, after, want) => {
    expect(settingsReadAtStartChanged(config(app, before), config(app, after)).map((c) => c.key)).toEqual(want);
  });
});

describe('reload plan: when the metrics, the status server and the progress log start again', () => {
  const cases: Array<[string, string, boolean]> = [
    ['nothing changed', '', false],
    ['log.level', 'log.level: debug\n', true],
    ['http.listen', 'http.listen: 127.0.0.1:9090\n', true],
    ['cloudwatch.emitMetrics', 'cloudwatch.emitMetrics: false\n', true],
    ['credentials CloudWatch uses too', 'awsAccessKeyId: AKIAEXAMPLE\nawsSecretAccessKey: secret\n', true],
  ];
  it.each(cases)('%s', (_name, after, want) => {
    expect(observabilitySettingsChanged(config(app), config(app, after))).toBe(want);
  });
});
