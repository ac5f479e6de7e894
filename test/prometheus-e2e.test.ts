import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { waitFor } from './support/cli-process';
import { requireBinary, runPromtool } from './support/promtool';
import { freePort, startRealDaemon } from './support/real-daemon';

/**
 * Real parts: Debian's `prometheus` scrapes the real daemon (runDaemon on the real clock against the simulators)
 * every second, loads contrib/prometheus/alerts.yml, and its query API returns the lag series of each region.
 * `promtool` checks and unit-tests the alerting rules the README quotes. Missing binaries FAIL these tests.
 */

const RULES = join(__dirname, '..', 'contrib', 'prometheus', 'alerts.yml');
const RULE_TESTS = join(__dirname, '..', 'contrib', 'prometheus', 'alerts.test.yml');
const REGIONS = ['eu-west-1', 'us-east-1'];


test('promtool accepts the alerting rules, and their unit tests pass (stalled region, no successful scan)', async () => {
  const checked = await runPromtool(['check', 'rules', RULES]);
  assert.equal(checked.code, 0, checked.out);
  assert.match(checked.out, /SUCCESS: 2 rules found/);
  const tested = await runPromtool(['test', 'rules', RULE_TESTS]);
  assert.equal(tested.code, 0, tested.out);
  assert.match(tested.out, /SUCCESS/);
});

test('the README quotes the alerting rules as the file has them (name, expression, for, labels)', () => {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Alerting rules'));
  const quoted = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(quoted !== undefined, 'a yaml block under "Alerting rules"');
  type Rules = { groups: Array<{ rules: Array<{ alert: string; expr: string; for: string; labels: unknown }> }> };
  const shape = (doc: Rules) => doc.groups.flatMap((g) => g.rules.map(({ alert, expr, for: wait, labels }) => ({ alert, expr, wait, labels })));
  assert.deepEqual(shape(parseYaml(quoted) as Rules), shape(parseYaml(readFileSync(RULES, 'utf8')) as Rules));
});

test('a real prometheus scrapes the running daemon and its query API returns the lag of each region', { timeout: 120_000 }, async (t) => {
  const prometheusBinary = requireBinary('prometheus');
  const daemon = await startRealDaemon(t, { regions: REGIONS });
  const daemonPort = Number(new URL(daemon.url).port);
  const dir = mkdtempSync(join(tmpdir(), 'cts-prom-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));

  const webPort = await freePort();
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    `  - ${RULES}`,
    'scrape_configs:',
    '  - job_name: cloudtrail-slack',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${daemonPort}']`,
    '',
  ].join('\n'));
  const server = spawn(prometheusBinary, [
    `--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${webPort}`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let serverLog = '';
  server.stderr.on('data', (chunk: Buffer) => (serverLog = (serverLog + chunk.toString('utf8')).slice(-4000)));
  const exited = new Promise<void>((resolve) => server.on('close', () => resolve()));
  t.after(async () => {
    server.kill('SIGKILL');
    await exited;
  });

  const query = async (expr: string) => {
    try {
      const res = await fetch(`http://127.0.0.1:${webPort}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
      return body.status === 'success' ? body.data.result : [];
    } catch {
      return []; // not listening yet
    }
  };
  const lag = await waitFor(`prometheus returning the lag of ${REGIONS.join(' and ')} (its log: ${serverLog})`, async () => {
    const result = await query('cloudtrail_slack_lag_seconds');
    return result.length === REGIONS.length ? result : undefined;
  }, 60_000);
  assert.deepEqual(lag.map((r) => r.metric.region).sort(), REGIONS);
  for (const series of lag) {
    assert.equal(series.metric.job, 'cloudtrail-slack');
    const seconds = Number(series.value[1]);
    // The first start looks back 20 minutes; once scanned, a region trails now by about the settle window.
    assert.ok(seconds >= 0 && seconds <= 25 * 60, `lag of ${series.metric.region}: ${seconds} s`);
  }
  const up = await query('up{job="cloudtrail-slack"}');
  assert.equal(up[0]?.value[1], '1', 'the scrape succeeds');
  const rules = (await (await fetch(`http://127.0.0.1:${webPort}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string }> }> } };
  const loaded = rules.data.groups.flatMap((g) => g.rules);
  assert.deepEqual(loaded.map((r) => r.name).sort(), ['CloudTrailSlackNoSuccessfulScan', 'CloudTrailSlackRegionStalled']);
  await daemon.stop();
});
