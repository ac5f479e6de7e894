import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrometheusTelemetry } from '../src/observability/prometheus';
import { StatusBoard } from '../src/observability/status-board';
import { fanOut } from '../src/observability/telemetry';

const T0 = Date.UTC(2026, 10, 30, 8, 0, 0);

function setup(options: { regions?: string[]; webhooks?: string[] } = {}) {
  let now = T0;
  const board = new StatusBoard(() => now);
  const prometheus = createPrometheusTelemetry({
    regions: options.regions ?? ['us-east-1', 'eu-west-1'],
    webhooks: options.webhooks ?? ['default', 'security'],
    version: '9.8.7',
    board,
    now: () => now,
  });
  return { board, prometheus, telemetry: fanOut(board, prometheus), advance: (ms: number) => (now += ms) };
}

/** The value of one series, e.g. `cloudtrail_slack_events_total{region="us-east-1",outcome="read"}`. */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('every known label combination starts at 0, before anything happened', async () => {
  const { prometheus } = setup();
  const text = await prometheus.metrics();
  for (const region of ['us-east-1', 'eu-west-1']) {
    for (const outcome of ['ok', 'throttled', 'denied', 'error']) {
      assert.equal(valueOf(text, `cloudtrail_slack_lookup_requests_total{region="${region}",outcome="${outcome}"}`), 0);
    }
    for (const outcome of ['read', 'posted', 'digested', 'muted', 'duplicate', 'undeliverable']) {
      assert.equal(valueOf(text, `cloudtrail_slack_events_total{region="${region}",outcome="${outcome}"}`), 0);
    }
  }
  for (const webhook of ['default', 'security']) {
    for (const outcome of ['ok', 'rate_limited', 'refused', 'error']) {
      assert.equal(valueOf(text, `cloudtrail_slack_slack_messages_total{webhook="${webhook}",outcome="${outcome}"}`), 0);
    }
    assert.equal(valueOf(text, `cloudtrail_slack_queue_length{webhook="${webhook}"}`), 0);
  }
  assert.equal(valueOf(text, 'cloudtrail_slack_alerts_total{kind="region-failing"}'), 0);
  assert.equal(valueOf(text, 'cloudtrail_slack_build_info{version="9.8.7"}'), 1);
});

test('counts what the port reports, by region, webhook, outcome and kind', async () => {
  const { telemetry, prometheus } = setup();
  telemetry.lookupRequest('us-east-1', 'ok');
  telemetry.lookupRequest('us-east-1', 'ok');
  telemetry.lookupRequest('eu-west-1', 'throttled');
  telemetry.events('us-east-1', 'read', 7);
  telemetry.events('us-east-1', 'posted', 5);
  telemetry.events('us-east-1', 'digested', 0);
  telemetry.slackMessage('security', 'rate_limited');
  telemetry.slackMessage('default', 'ok');
  telemetry.queueDepth('default', 12);
  telemetry.alertSent('throttled', 'LookupEvents throttled', 'eu-west-1');
  const text = await prometheus.metrics();
  assert.equal(valueOf(text, 'cloudtrail_slack_lookup_requests_total{region="us-east-1",outcome="ok"}'), 2);
  assert.equal(valueOf(text, 'cloudtrail_slack_lookup_requests_total{region="eu-west-1",outcome="throttled"}'), 1);
  assert.equal(valueOf(text, 'cloudtrail_slack_events_total{region="us-east-1",outcome="read"}'), 7);
  assert.equal(valueOf(text, 'cloudtrail_slack_events_total{region="us-east-1",outcome="posted"}'), 5);
  assert.equal(valueOf(text, 'cloudtrail_slack_slack_messages_total{webhook="security",outcome="rate_limited"}'), 1);
  assert.equal(valueOf(text, 'cloudtrail_slack_slack_messages_total{webhook="default",outcome="ok"}'), 1);
  assert.equal(valueOf(text, 'cloudtrail_slack_queue_length{webhook="default"}'), 12);
  assert.equal(valueOf(text, 'cloudtrail_slack_alerts_total{kind="throttled"}'), 1);
});

test('lag is computed at scrape time from the status board; the last successful scan is a Unix time in seconds', async () => {
  const { telemetry, prometheus, advance } = setup();
  telemetry.targetStarted('us-east-1', T0 - 20 * 60_000);
  telemetry.targetStarted('eu-west-1', T0 - 60_000);
  let text = await prometheus.metrics();
  assert.equal(valueOf(text, 'cloudtrail_slack_lag_seconds{region="us-east-1"}'), 1200);
  assert.equal(valueOf(text, 'cloudtrail_slack_lag_seconds{region="eu-west-1"}'), 60);
  assert.equal(valueOf(text, 'cloudtrail_slack_last_successful_scan_timestamp_seconds{region="us-east-1"}'), undefined);
  telemetry.scanSucceeded('us-east-1', { start: T0 - 20 * 60_000, end: T0 }, true);
  advance(30_000);
  text = await prometheus.metrics();
  assert.equal(valueOf(text, 'cloudtrail_slack_lag_seconds{region="us-east-1"}'), 30);
  assert.equal(valueOf(text, 'cloudtrail_slack_lag_seconds{region="eu-west-1"}'), 90);
  assert.equal(valueOf(text, 'cloudtrail_slack_last_successful_scan_timestamp_seconds{region="us-east-1"}'), T0 / 1000);
  assert.equal(valueOf(text, 'cloudtrail_slack_region_state{region="us-east-1",state="ok"}'), 1);
  assert.equal(valueOf(text, 'cloudtrail_slack_region_state{region="eu-west-1",state="catching_up"}'), 1);
  telemetry.targetStopped('eu-west-1');
  text = await prometheus.metrics();
  assert.equal(valueOf(text, 'cloudtrail_slack_lag_seconds{region="eu-west-1"}'), undefined, 'a region no longer watched has no lag');
});

test('watched-since is the Unix time a region was started, there before any success, gone when it stops', async () => {
  const { telemetry, prometheus, advance } = setup();
  const series = (region: string) => `cloudtrail_slack_watched_since_timestamp_seconds{region="${region}"}`;
  assert.equal(valueOf(await prometheus.metrics(), series('us-east-1')), undefined, 'not watched yet');
  telemetry.targetStarted('us-east-1', T0 - 20 * 60_000);
  advance(90_000);
  telemetry.targetStarted('eu-west-1', T0 - 60_000);
  telemetry.scanFailed('us-east-1', 'AccessDenied', 'failing');
  let text = await prometheus.metrics();
  // The start of watching, not the resumed checkpoint (scannedUpTo), and no success needed.
  assert.equal(valueOf(text, series('us-east-1')), T0 / 1000);
  assert.equal(valueOf(text, series('eu-west-1')), (T0 + 90_000) / 1000);
  assert.equal(valueOf(text, 'cloudtrail_slack_last_successful_scan_timestamp_seconds{region="us-east-1"}'), undefined);
  telemetry.targetStopped('us-east-1');
  text = await prometheus.metrics();
  assert.equal(valueOf(text, series('us-east-1')), undefined, 'a region no longer watched has no watched-since');
  assert.equal(valueOf(text, series('eu-west-1')), (T0 + 90_000) / 1000);
});

test('identity: one account series, replaced when it changes', async () => {
  const { prometheus } = setup();
  assert.doesNotMatch(await prometheus.metrics(), /^cloudtrail_slack_identity_info\{/m);
  prometheus.setIdentity('111122223333');
  prometheus.setIdentity('444455556666');
  const text = await prometheus.metrics();
  assert.equal(valueOf(text, 'cloudtrail_slack_identity_info{account="444455556666"}'), 1);
  assert.equal(valueOf(text, 'cloudtrail_slack_identity_info{account="111122223333"}'), undefined);
});

test('the default Node process metrics keep their standard unprefixed names; two registries coexist in one process', async () => {
  const first = setup();
  const second = setup();
  const text = await second.prometheus.metrics();
  assert.match(text, /^process_cpu_seconds_total /m);
  assert.match(text, /^process_resident_memory_bytes /m);
  assert.match(text, /^nodejs_eventloop_lag_seconds /m);
  assert.doesNotMatch(text, /^cloudtrail_slack_process_/m);
  // Gauges prom-client names like counters, which promtool refuses; their per-type gauges stay.
  assert.doesNotMatch(text, /^nodejs_active_(handles|requests|resources)_total/m);
  assert.match(text, /^nodejs_active_handles\{type=/m);
  assert.match(await first.prometheus.metrics(), /^process_start_time_seconds /m);
  assert.equal(second.prometheus.contentType, 'text/plain; version=0.0.4; charset=utf-8');
});

test('every own metric is prefixed, counters end in _total, and the port never throws', async () => {
  const { prometheus } = setup();
  // A label prom-client would refuse must not reach the caller.
  assert.doesNotThrow(() => prometheus.events('us-east-1', 'nonsense' as never, -1));
  assert.doesNotThrow(() => prometheus.events('us-east-1', 'read', Number.NaN));
  const text = await prometheus.metrics();
  const own = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].filter(([, name]) => !/^(process|nodejs)_/.test(name ?? ''));
  assert.ok(own.length >= 10);
  for (const [, name, type] of own) {
    assert.match(name ?? '', /^cloudtrail_slack_[a-z_]+$/);
    if (type === 'counter') assert.match(name ?? '', /_total$/);
  }
});
