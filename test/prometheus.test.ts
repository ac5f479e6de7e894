import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrometheusTelemetry } from '../src/observability/prometheus';
import { StatusBoard } from '../src/observability/status-board';
import { fanOut } from '../src/observability/telemetry';

const T0 = Date.UTC(2026, 10, 30, 8, 0, 0);

const OWN = '111122223333';

/** A daemon whose own account (STS) is OWN, watching us-east-1 and eu-west-1 of it (`started: false`: none yet). */
function setup(options: { webhooks?: string[]; started?: boolean; identity?: boolean } = {}) {
  let now = T0;
  const board = new StatusBoard(() => now);
  const prometheus = createPrometheusTelemetry({
    webhooks: options.webhooks ?? ['default', 'security'],
    version: '9.8.7',
    board,
    now: () => now,
  });
  if (options.identity !== false) {
    prometheus.setIdentity(OWN);
    board.setIdentity(OWN);
  }
  const telemetry = fanOut(board, prometheus);
  if (options.started !== false) for (const region of ['us-east-1', 'eu-west-1']) telemetry.targetStarted(region, T0);
  return { board, prometheus, telemetry, advance: (ms: number) => (now += ms) };
}

/** The value of one series, e.g. `cloudtrail_slack_events_total{account="111122223333",region="us-east-1",outcome="read"}`. */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('every label combination of a started target starts at 0, before anything happened', async () => {
  const { prometheus } = setup();
  const text = await prometheus.metrics();
  for (const region of ['us-east-1', 'eu-west-1']) {
    for (const outcome of ['ok', 'throttled', 'denied', 'error']) {
      assert.equal(valueOf(text, `cloudtrail_slack_lookup_requests_total{account="${OWN}",region="${region}",outcome="${outcome}"}`), 0);
    }
    for (const outcome of ['read', 'posted', 'digested', 'muted', 'duplicate', 'undeliverable']) {
      assert.equal(valueOf(text, `cloudtrail_slack_events_total{account="${OWN}",region="${region}",outcome="${outcome}"}`), 0);
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
  assert.equal(valueOf(text, `cloudtrail_slack_lookup_requests_total{account="${OWN}",region="us-east-1",outcome="ok"}`), 2);
  assert.equal(valueOf(text, `cloudtrail_slack_lookup_requests_total{account="${OWN}",region="eu-west-1",outcome="throttled"}`), 1);
  assert.equal(valueOf(text, `cloudtrail_slack_events_total{account="${OWN}",region="us-east-1",outcome="read"}`), 7);
  assert.equal(valueOf(text, `cloudtrail_slack_events_total{account="${OWN}",region="us-east-1",outcome="posted"}`), 5);
  assert.equal(valueOf(text, 'cloudtrail_slack_slack_messages_total{webhook="security",outcome="rate_limited"}'), 1);
  assert.equal(valueOf(text, 'cloudtrail_slack_slack_messages_total{webhook="default",outcome="ok"}'), 1);
  assert.equal(valueOf(text, 'cloudtrail_slack_queue_length{webhook="default"}'), 12);
  assert.equal(valueOf(text, 'cloudtrail_slack_alerts_total{kind="throttled"}'), 1);
});

test('lag is computed at scrape time from the status board; the last successful scan is a Unix time in seconds', async () => {
  const { telemetry, prometheus, advance } = setup({ started: false });
  telemetry.targetStarted('us-east-1', T0 - 20 * 60_000);
  telemetry.targetStarted('eu-west-1', T0 - 60_000);
  let text = await prometheus.metrics();
  assert.equal(valueOf(text, `cloudtrail_slack_lag_seconds{account="${OWN}",region="us-east-1"}`), 1200);
  assert.equal(valueOf(text, `cloudtrail_slack_lag_seconds{account="${OWN}",region="eu-west-1"}`), 60);
  assert.equal(valueOf(text, `cloudtrail_slack_last_successful_scan_timestamp_seconds{account="${OWN}",region="us-east-1"}`), undefined);
  telemetry.scanSucceeded('us-east-1', { start: T0 - 20 * 60_000, end: T0 }, true);
  advance(30_000);
  text = await prometheus.metrics();
  assert.equal(valueOf(text, `cloudtrail_slack_lag_seconds{account="${OWN}",region="us-east-1"}`), 30);
  assert.equal(valueOf(text, `cloudtrail_slack_lag_seconds{account="${OWN}",region="eu-west-1"}`), 90);
  assert.equal(valueOf(text, `cloudtrail_slack_last_successful_scan_timestamp_seconds{account="${OWN}",region="us-east-1"}`), T0 / 1000);
  assert.equal(valueOf(text, `cloudtrail_slack_region_state{account="${OWN}",region="us-east-1",state="ok"}`), 1);
  assert.equal(valueOf(text, `cloudtrail_slack_region_state{account="${OWN}",region="eu-west-1",state="catching_up"}`), 1);
  telemetry.targetStopped('eu-west-1');
  text = await prometheus.metrics();
  assert.equal(valueOf(text, `cloudtrail_slack_lag_seconds{account="${OWN}",region="eu-west-1"}`), undefined, 'a region no longer watched has no lag');
});

test('watched-since is the Unix time a region was started, there before any success, gone when it stops', async () => {
  const { telemetry, prometheus, advance } = setup({ started: false });
  const series = (region: string) => `cloudtrail_slack_watched_since_timestamp_seconds{account="${OWN}",region="${region}"}`;
  assert.equal(valueOf(await prometheus.metrics(), series('us-east-1')), undefined, 'not watched yet');
  telemetry.targetStarted('us-east-1', T0 - 20 * 60_000);
  advance(90_000);
  telemetry.targetStarted('eu-west-1', T0 - 60_000);
  telemetry.scanFailed('us-east-1', 'AccessDenied', 'failing');
  let text = await prometheus.metrics();
  // The start of watching, not the resumed checkpoint (scannedUpTo), and no success needed.
  assert.equal(valueOf(text, series('us-east-1')), T0 / 1000);
  assert.equal(valueOf(text, series('eu-west-1')), (T0 + 90_000) / 1000);
  assert.equal(valueOf(text, `cloudtrail_slack_last_successful_scan_timestamp_seconds{account="${OWN}",region="us-east-1"}`), undefined);
  telemetry.targetStopped('us-east-1');
  text = await prometheus.metrics();
  assert.equal(valueOf(text, series('us-east-1')), undefined, 'a region no longer watched has no watched-since');
  assert.equal(valueOf(text, series('eu-west-1')), (T0 + 90_000) / 1000);
});

test('identity: one account series, replaced when it changes', async () => {
  const { prometheus } = setup({ started: false, identity: false });
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

const PROD = '222233334444';
const DEV = '555566667777';

test('every per-target series names its account: the key\'s, else the daemon\'s own; region is the region alone', async () => {
  const { telemetry, prometheus } = setup({ started: false });
  telemetry.targetStarted('eu-west-1', T0 - 60_000);
  telemetry.targetStarted(`${PROD}/eu-west-1`, T0 - 120_000);
  telemetry.targetStarted(`${DEV}/eu-west-1`, T0);
  telemetry.lookupRequest(`${PROD}/eu-west-1`, 'denied');
  telemetry.events(`${DEV}/eu-west-1`, 'posted', 3);
  telemetry.scanSucceeded(`${PROD}/eu-west-1`, { start: T0 - 120_000, end: T0 - 60_000 }, true);
  const text = await prometheus.metrics();
  assert.equal(valueOf(text, `cloudtrail_slack_lookup_requests_total{account="${PROD}",region="eu-west-1",outcome="denied"}`), 1);
  assert.equal(valueOf(text, `cloudtrail_slack_lookup_requests_total{account="${OWN}",region="eu-west-1",outcome="denied"}`), 0);
  assert.equal(valueOf(text, `cloudtrail_slack_events_total{account="${DEV}",region="eu-west-1",outcome="posted"}`), 3);
  assert.equal(valueOf(text, `cloudtrail_slack_events_total{account="${PROD}",region="eu-west-1",outcome="posted"}`), 0, 'pre-set at start');
  assert.equal(valueOf(text, `cloudtrail_slack_lag_seconds{account="${PROD}",region="eu-west-1"}`), 60);
  assert.equal(valueOf(text, `cloudtrail_slack_lag_seconds{account="${OWN}",region="eu-west-1"}`), 60);
  assert.equal(valueOf(text, `cloudtrail_slack_lag_seconds{account="${DEV}",region="eu-west-1"}`), 0);
  assert.equal(valueOf(text, `cloudtrail_slack_region_state{account="${PROD}",region="eu-west-1",state="ok"}`), 1);
  assert.equal(valueOf(text, `cloudtrail_slack_region_state{account="${DEV}",region="eu-west-1",state="catching_up"}`), 1);
  assert.equal(valueOf(text, `cloudtrail_slack_last_successful_scan_timestamp_seconds{account="${PROD}",region="eu-west-1"}`), T0 / 1000);
  assert.equal(valueOf(text, `cloudtrail_slack_watched_since_timestamp_seconds{account="${DEV}",region="eu-west-1"}`), T0 / 1000);
  assert.doesNotMatch(text, /region="\d{12}\//, 'no target key in a region label');
  telemetry.targetStopped(`${PROD}/eu-west-1`);
  const after = await prometheus.metrics();
  assert.equal(valueOf(after, `cloudtrail_slack_last_successful_scan_timestamp_seconds{account="${PROD}",region="eu-west-1"}`), undefined);
  assert.equal(valueOf(after, `cloudtrail_slack_watched_since_timestamp_seconds{account="${PROD}",region="eu-west-1"}`), undefined);
  assert.equal(valueOf(after, `cloudtrail_slack_lag_seconds{account="${PROD}",region="eu-west-1"}`), undefined);
});

test('before STS answered the own account is "unknown"; its points in time move to the ID once known', async () => {
  const { telemetry, prometheus, board } = setup({ started: false, identity: false });
  telemetry.targetStarted('us-east-1', T0 - 60_000);
  telemetry.scanSucceeded('us-east-1', { start: T0 - 60_000, end: T0 }, true);
  let text = await prometheus.metrics();
  assert.equal(valueOf(text, 'cloudtrail_slack_watched_since_timestamp_seconds{account="unknown",region="us-east-1"}'), T0 / 1000);
  assert.equal(valueOf(text, 'cloudtrail_slack_lag_seconds{account="unknown",region="us-east-1"}'), 0);
  prometheus.setIdentity(OWN);
  board.setIdentity(OWN);
  text = await prometheus.metrics();
  assert.equal(valueOf(text, 'cloudtrail_slack_watched_since_timestamp_seconds{account="unknown",region="us-east-1"}'), undefined);
  assert.equal(valueOf(text, `cloudtrail_slack_watched_since_timestamp_seconds{account="${OWN}",region="us-east-1"}`), T0 / 1000);
  assert.equal(valueOf(text, `cloudtrail_slack_last_successful_scan_timestamp_seconds{account="${OWN}",region="us-east-1"}`), T0 / 1000);
  assert.equal(valueOf(text, `cloudtrail_slack_region_state{account="${OWN}",region="us-east-1",state="ok"}`), 1);
});

test('a getter gives the default account when the caller keeps the identity elsewhere', async () => {
  let known: string | undefined;
  const board = new StatusBoard(() => T0);
  const prometheus = createPrometheusTelemetry({ webhooks: ['default'], version: '1', board, now: () => T0, defaultMetrics: false, defaultAccount: () => known });
  known = DEV;
  prometheus.targetStarted('ap-south-1', T0);
  assert.equal(valueOf(await prometheus.metrics(), `cloudtrail_slack_watched_since_timestamp_seconds{account="${DEV}",region="ap-south-1"}`), T0 / 1000);
});
