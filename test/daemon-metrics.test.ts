import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Observability } from '../src/observability/observability';
import { EXIT_CONFIG, EXIT_OK } from '../src/lib/errors';
import { makeBurst } from './support/burst';
import { waitFor } from './support/cli-process';
import { startHarness, WEBHOOK_PATH, type Harness } from './support/daemon-harness';
import { checkMetricsWithPromtool } from './support/promtool';

/**
 * The metrics, /readyz and the status board wired into the real daemon (runDaemon against the CloudTrail and
 * Slack simulators, manual clock): every count comes from where it happens, and promtool accepts the exposition.
 */

const BOUNDED = { timeout: 120_000 };
const MIN = 60_000;
const REGIONS = ['eu-west-1', 'us-east-1'];

/** `series` names no account: the daemon's own (whatever STS said, or `unknown` in a harness without STS). */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').map((l) => l.replace(/\{account="(\d{12}|unknown)",/, '{')).find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function startDaemon(h: Harness, file: Record<string, unknown> = {}) {
  let observed: Observability | undefined;
  const run = h.run(h.config({ regions: REGIONS, http: '127.0.0.1:0' }, {}, file), { observed: (o) => (observed = o) });
  const line = await waitFor('the http endpoint', () => run.logs.lines.find((l) => l.msg === 'http endpoint listening'));
  return { ...run, url: String(line.url), board: () => observed! };
}

test('/metrics of the running daemon counts lookups, events and Slack messages where they happen; promtool accepts it', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const burst = makeBurst(3, 'eu-west-1', h.clock.now() - 10 * MIN);
  h.cloudtrail.addRecords(burst.records, { region: 'eu-west-1' });
  const run = await startDaemon(h, { digest: { enabled: false } });
  // makeBurst(3) holds a StopLogging too: 4 events, 4 messages (digests off).
  assert.equal(burst.ids.length, 4);
  await waitFor('4 messages in Slack', () => h.slack.received.length >= 4);
  await waitFor('a successful scan of every region', async () => (await fetch(`${run.url}/readyz`)).status === 200);
  const res = await fetch(`${run.url}/metrics`);
  const text = await res.text();
  assert.equal(res.status, 200);
  assert.ok((valueOf(text, 'cloudtrail_slack_lookup_requests_total{region="eu-west-1",outcome="ok"}') ?? 0) >= 1);
  assert.ok((valueOf(text, 'cloudtrail_slack_lookup_requests_total{region="us-east-1",outcome="ok"}') ?? 0) >= 1);
  assert.equal(valueOf(text, 'cloudtrail_slack_lookup_requests_total{region="eu-west-1",outcome="throttled"}'), 0);
  assert.ok((valueOf(text, 'cloudtrail_slack_events_total{region="eu-west-1",outcome="read"}') ?? 0) >= 4);
  assert.equal(valueOf(text, 'cloudtrail_slack_events_total{region="eu-west-1",outcome="posted"}'), 4);
  assert.equal(valueOf(text, 'cloudtrail_slack_events_total{region="us-east-1",outcome="posted"}'), 0);
  assert.equal(valueOf(text, 'cloudtrail_slack_slack_messages_total{webhook="default",outcome="ok"}'), 4);
  assert.equal(valueOf(text, 'cloudtrail_slack_queue_length{webhook="default"}'), 0);
  const scanned = valueOf(text, 'cloudtrail_slack_last_successful_scan_timestamp_seconds{region="us-east-1"}') ?? 0;
  assert.ok(Math.abs(scanned - h.clock.now() / 1000) < 3600, `a Unix time in seconds: ${scanned}`);
  assert.ok((valueOf(text, 'cloudtrail_slack_lag_seconds{region="eu-west-1"}') ?? -1) >= 0);
  assert.match(text, /^cloudtrail_slack_build_info\{version="\d+\.\d+\.\d+"\} 1$/m);
  assert.match(text, /^nodejs_eventloop_lag_seconds /m);
  // Labels are bounded: no webhook URL (or its secret path), no event ID, anywhere in the exposition.
  assert.doesNotMatch(text, /SECRETTOKEN123|hooks\.slack|127\.0\.0\.1:\d+\/services/);
  assert.ok(!text.includes(WEBHOOK_PATH));
  for (const id of burst.ids) assert.ok(!text.includes(id), `event ID ${id} in the metrics`);
  await checkMetricsWithPromtool(text);
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
  await assert.rejects(fetch(`${run.url}/healthz`), 'the endpoint closed with the daemon');
});

test('/readyz answers 503 naming a failing region and why, then 200 once it scans; a 429 from Slack is counted', BOUNDED, async (t) => {
  const h = await startHarness(t);
  h.cloudtrail.setRegionFailure('us-east-1', { status: 503 });
  h.cloudtrail.addRecord(makeBurst(1, 'eu-west-1', h.clock.now() - 5 * MIN).records[0]!, { region: 'eu-west-1' });
  h.slack.respondNext({ status: 429, body: 'rate_limited', headers: { 'retry-after': '1' } });
  const run = await startDaemon(h);
  const failing = await waitFor('us-east-1 failing in /readyz', async () => {
    const res = await fetch(`${run.url}/readyz`);
    const body = (await res.json()) as { ready: boolean; notReady?: Array<{ region: string; reason: string }> };
    return res.status === 503 && body.notReady?.some((n) => n.region === 'us-east-1' && /503|InternalFailure|Unavailable/i.test(n.reason)) ? body : undefined;
  });
  assert.equal(failing.ready, false);
  const page = await (await fetch(`${run.url}/`)).text();
  // The first cell is the account: the daemon's own ("—" in this harness, which asks no STS).
  assert.match(page, /<tr class="state-failing"><td>[^<]*<\/td><td>us-east-1<\/td><td>failing<\/td>/);
  h.cloudtrail.setRegionFailure('us-east-1', undefined);
  await waitFor('/readyz 200', async () => (await fetch(`${run.url}/readyz`)).status === 200);
  await waitFor('the event posted after the 429', () => h.slack.received.length >= 1);
  const text = await (await fetch(`${run.url}/metrics`)).text();
  assert.equal(valueOf(text, 'cloudtrail_slack_slack_messages_total{webhook="default",outcome="rate_limited"}'), 1);
  assert.ok((valueOf(text, 'cloudtrail_slack_lookup_requests_total{region="us-east-1",outcome="error"}') ?? 0) >= 1);
  assert.equal(run.board().board.view().find((v) => v.region === 'us-east-1')?.state, 'ok');
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
});

test('an alert that is sent is counted by kind and listed on the status page, its text escaped', BOUNDED, async (t) => {
  const h = await startHarness(t);
  // An event Slack rejects twice is undeliverable: a notice alert (logged: email is off in this test).
  h.slack.setDefault({ status: 400, body: 'invalid_blocks' });
  const [record] = makeBurst(1, 'eu-west-1', h.clock.now() - 5 * MIN).records;
  h.cloudtrail.addRecord({ ...record!, eventName: 'CreateTags<script>x</script>' }, { region: 'eu-west-1' });
  const run = await startDaemon(h);
  await waitFor('the undeliverable alert', () => run.board().board.recentAlerts().some((a) => a.kind === 'undeliverable'));
  // The alert goes out as the event is recorded; the scan's counts once the scan is delivered.
  const text = await waitFor('the scan counted', async () => {
    const body = await (await fetch(`${run.url}/metrics`)).text();
    return valueOf(body, 'cloudtrail_slack_events_total{region="eu-west-1",outcome="undeliverable"}') === 1 ? body : undefined;
  });
  assert.equal(valueOf(text, 'cloudtrail_slack_alerts_total{kind="undeliverable"}'), 1);
  assert.equal(valueOf(text, 'cloudtrail_slack_slack_messages_total{webhook="default",outcome="refused"}'), 2);
  const page = await (await fetch(`${run.url}/`)).text();
  assert.match(page, /<table id="alerts">.*<td>undeliverable<\/td><td>eu-west-1<\/td>/s);
  assert.doesNotMatch(page, /<script/);
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
});

test('an HTTP address in use stops the start with one line and exit 78, before "ready"', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const first = await startDaemon(h);
  const port = new URL(first.url).port;
  const told: string[] = [];
  const second = h.run(h.config({ regions: REGIONS, http: `127.0.0.1:${port}`, pidFile: undefined }), { reportFailure: (line) => told.push(line) });
  assert.equal(await second.done, EXIT_CONFIG);
  assert.deepEqual(told, [`--http / http.listen / CLOUDTRAIL_SLACK_HTTP: cannot listen on http://127.0.0.1:${port}: the address is already in use (another process listens there: choose another port)`]);
  assert.ok(!second.logs.lines.some((l) => l.msg === 'ready'));
  first.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await first.done, EXIT_OK);
});
