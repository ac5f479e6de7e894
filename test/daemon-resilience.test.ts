import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, TEST_CREDENTIALS } from './support/daemon-harness';
import { loadFixtureRecords } from './support/fixtures';
import type { CloudTrailRecord } from '../src/events/types';
import { createLookupClient } from '../src/cloudtrail/client';
import { EXIT_FATAL, EXIT_OK } from '../src/lib/errors';

const MIN = 60_000;
/** A broken daemon must fail a test, not hang the run. */
const BOUNDED = { timeout: 90_000 };
/** These tests count one Slack message per event: digests (issue 8) would fold a burst into fewer. */
const ONE_MESSAGE_PER_EVENT = { digest: { enabled: false } };
const REGION = 'eu-west-1';

function writeRecords(count: number): CloudTrailRecord[] {
  return loadFixtureRecords()
    .filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin')
    .slice(0, count);
}

test('Slack 429 and 5xx mid-run: waits Retry-After, retries, and still posts every event once, in order', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const records = writeRecords(10);
  const now = h.clock.now();
  records.forEach((r, i) => h.cloudtrail.addRecord(r, { region: REGION, eventTime: now - 10 * MIN + i * 1000 }));
  h.slack.respondNext(
    { status: 200, body: 'ok' },
    { status: 429, body: 'rate_limited', headers: { 'retry-after': '9' } },
    { status: 503, body: 'service_unavailable' },
  );
  const run = h.run(h.config({ regions: [REGION], once: true }, {}, ONE_MESSAGE_PER_EVENT));
  assert.equal(await run.done, EXIT_OK);
  assert.ok(h.clock.sleeps.includes(9000), 'slept the Retry-After');
  const ids = h.slack.received.map((m) => /[0-9a-f-]{36}/.exec(m.raw)?.[0]);
  assert.deepEqual(ids, records.map((r) => r.eventID), 'each once, oldest first');
});

test('throttled and failing LookupEvents pages are retried without losing events', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const records = writeRecords(120); // three pages
  const now = h.clock.now();
  records.forEach((r, i) => h.cloudtrail.addRecord(r, { region: REGION, eventTime: now - 15 * MIN + i * 5000 }));
  h.cloudtrail.failNext(REGION, 'throttle', 2);
  h.cloudtrail.failNext(REGION, { status: 503 }, 1);
  const run = h.run(h.config({ regions: [REGION], once: true }, {}, ONE_MESSAGE_PER_EVENT));
  assert.equal(await run.done, EXIT_OK);
  assert.equal(h.slack.received.length, 120);
  assert.equal(new Set(h.slack.received.map((m) => m.raw)).size, 120);
});

test('hostile strings from the API caller reach Slack escaped, within limits', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const base = writeRecords(1)[0]!;
  // synthetic: hostile values an API caller controls
  const hostile: CloudTrailRecord = {
    ...base,
    eventID: '11111111-2222-3333-4444-555555555555',
    userAgent: '<!channel> <https://evil.example|click me> & <@U123>',
    userIdentity: { type: 'IAMUser', userName: '<!here>', arn: 'arn:aws:iam::1:user/x', accountId: '1' },
    requestParameters: { bucketName: '<!everyone>', blob: 'x'.repeat(100_000), name: '名前 🚀 שלום' },
    resources: [{ ARN: 'arn:aws:s3:::<@U999>&co', type: 'AWS::S3::Bucket' }],
  };
  h.cloudtrail.addRecord(hostile, { region: REGION, eventTime: h.clock.now() - 5 * MIN });
  const run = h.run(h.config({ regions: [REGION], once: true }));
  assert.equal(await run.done, EXIT_OK);
  assert.equal(h.slack.received.length, 1);
  const raw = h.slack.received[0]!.raw;
  for (const bad of ['<!channel>', '<!here>', '<!everyone>', '<@U123>', '<@U999>', '<https://evil']) {
    assert.ok(!raw.includes(bad), `${bad} must be escaped`);
  }
  assert.ok(raw.includes('&lt;!channel&gt;'));
  assert.ok(raw.length < 20_000, `payload bounded (${raw.length})`);
  assert.ok(raw.includes(hostile.eventID!));
});

test('an event whose CloudTrailEvent is not JSON is still posted with what LookupEvents said', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const [good, broken] = writeRecords(2);
  const now = h.clock.now();
  h.cloudtrail.addRecord(good!, { region: REGION, eventTime: now - 5 * MIN });
  h.cloudtrail.addRecord(broken!, { region: REGION, eventTime: now - 4 * MIN, cloudTrailEvent: '{"eventVersion": "1.08", "truncated' });
  const run = h.run(h.config({ regions: [REGION], once: true }));
  assert.equal(await run.done, EXIT_OK);
  assert.equal(h.slack.received.length, 2);
  assert.ok(h.slack.received[1]!.raw.includes(String(broken!.eventID)));
});

test('a legacy Ruby state file is read and upgraded; a corrupt one is set aside and the region restarts', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const records = writeRecords(4);
  const now = h.clock.now();
  records.forEach((r, i) => h.cloudtrail.addRecord(r, { region: i < 2 ? REGION : 'us-east-1', eventTime: now - 8 * MIN + i * 60_000 }));
  // The Ruby original's format, local time: only events at or after 7 minutes ago are new for eu-west-1.
  const legacy = new Date(now - 7 * MIN);
  const pad = (n: number) => String(n).padStart(2, '0');
  const local = `${legacy.getFullYear()}-${pad(legacy.getMonth() + 1)}-${pad(legacy.getDate())} ${pad(legacy.getHours())}:${pad(legacy.getMinutes())}:${pad(legacy.getSeconds())}`;
  writeFileSync(join(h.stateDir, `.default.${REGION}.cloudtrail.state`), `latest_event_time=${local}\n`);
  writeFileSync(join(h.stateDir, '.default.us-east-1.cloudtrail.state'), '{"version":1,"offset":"garbage"');
  const run = h.run(h.config({ regions: [REGION, 'us-east-1'], once: true }));
  assert.equal(await run.done, EXIT_OK);
  const posted = h.slack.received.map((m) => /[0-9a-f-]{36}/.exec(m.raw)?.[0]);
  assert.deepEqual(new Set(posted), new Set([records[1]!.eventID, records[2]!.eventID, records[3]!.eventID]));
  const upgraded = JSON.parse(readFileSync(join(h.stateDir, `.default.${REGION}.cloudtrail.state`), 'utf8'));
  assert.equal(upgraded.version, 2);
  assert.ok(readdirSync(h.stateDir).some((f) => f.startsWith('.default.us-east-1.cloudtrail.state.corrupt-')));
});

test('no usable credentials in --once is fatal with a message that says what to do', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const run = h.run(h.config({ regions: [REGION], once: true }), {
    createClient: (region) =>
      createLookupClient({
        region,
        endpoint: h.cloudtrail.url,
        credentials: async () => {
          const error = new Error('Could not load credentials from any providers');
          error.name = 'CredentialsProviderError';
          throw error;
        },
      }),
  });
  assert.equal(await run.done, EXIT_FATAL);
  const fatal = JSON.stringify(run.logs.lines.find((l) => l.level === 60));
  assert.match(fatal, /no usable AWS credentials/);
  assert.match(fatal, /--creds-profile/);
});

test('logs never hold the AWS secret key or the webhook token', BOUNDED, async (t) => {
  const h = await startHarness(t);
  h.cloudtrail.failNext(REGION, 'throttle', 1);
  h.cloudtrail.setRegionFailure('us-east-1', 'AccessDeniedException');
  const run = h.run(h.config({ regions: [REGION, 'us-east-1'], once: true }));
  await run.done;
  const text = run.logs.text();
  assert.ok(!text.includes(TEST_CREDENTIALS.secretAccessKey));
  assert.ok(!text.includes('SECRETTOKEN123'));
});

test('a local clock 10 minutes fast still delivers events that show up 12 minutes late', BOUNDED, async (t) => {
  const h = await startHarness(t, { serviceClockAheadMs: -10 * MIN });
  const records = writeRecords(6);
  const service = () => h.clock.now() - 10 * MIN;
  // Each event becomes visible 12 minutes after it happened, in CloudTrail's time.
  records.forEach((r, i) => {
    const time = service() + i * MIN;
    h.cloudtrail.addRecord(r, { region: REGION, eventTime: time, visibleAt: time + 12 * MIN });
  });
  const run = h.run(h.config({ regions: [REGION] }, {}, ONE_MESSAGE_PER_EVENT));
  await h.slack.waitForMessages(6);
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
  assert.equal(h.slack.received.length, 6);
  assert.ok(run.logs.lines.some((l) => String(l.msg).includes('local clock differs from AWS')));
});

test('while state cannot be saved nothing is posted again, and delivery resumes once it can', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const records = writeRecords(8);
  const now = h.clock.now();
  records.forEach((r, i) => h.cloudtrail.addRecord(r, { region: REGION, eventTime: now - 10 * MIN + i * 1000 }));
  const file = join(h.stateDir, `.default.${REGION}.cloudtrail.state`);
  const { mkdirSync, rmSync } = await import('node:fs');
  // After the third message, directories take the place of the state file and its journal: every snapshot save
  // (rename onto a dir) and every commit (append to a dir) fails.
  h.slack.onMessage(() => {
    if (h.slack.received.length === 3) {
      for (const path of [file, `${file}.journal`]) {
        rmSync(path, { force: true });
        mkdirSync(join(path, 'blocker'), { recursive: true });
      }
    }
  });
  const run = h.run(h.config({ regions: [REGION] }, {}, ONE_MESSAGE_PER_EVENT));
  await h.slack.waitForMessages(3);
  const failingSince = h.clock.now();
  while (h.clock.now() - failingSince < 30 * MIN) await new Promise((r) => setTimeout(r, 5));
  assert.equal(h.slack.received.length, 3, 'no repeat and no new post while saves fail');
  assert.ok(run.logs.lines.some((l) => JSON.stringify(l).includes('state-unwritable')), 'alerted');
  for (const path of [file, `${file}.journal`]) rmSync(path, { recursive: true, force: true });
  await h.slack.waitForMessages(8);
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
  const ids = h.slack.received.map((m) => /[0-9a-f-]{36}/.exec(m.raw)?.[0]);
  assert.deepEqual(ids, records.map((r) => r.eventID), 'each once, in order');
});

test('an event Slack rejects twice is recorded as undeliverable, alerted, and the rest goes on', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const records = writeRecords(3);
  const now = h.clock.now();
  records.forEach((r, i) => h.cloudtrail.addRecord(r, { region: REGION, eventTime: now - 5 * MIN + i * 1000 }));
  h.slack.respondNext({ status: 400, body: 'invalid_payload' }, { status: 400, body: 'invalid_payload' });
  const run = h.run(h.config({ regions: [REGION], once: true }));
  assert.equal(await run.done, EXIT_OK);
  assert.equal(h.slack.received.length, 2);
  const undeliverable = readFileSync(join(h.stateDir, `.default.${REGION}.undeliverable.jsonl`), 'utf8').trim().split('\n');
  assert.equal(undeliverable.length, 1);
  assert.equal(JSON.parse(undeliverable[0]!).id, records[0]!.eventID);
  assert.ok(run.logs.lines.some((l) => JSON.stringify(l).includes('undeliverable')));
});

test('a state offset older than the 90-day retention is reported as expired events, then delivery goes on', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const [record] = writeRecords(1);
  const now = h.clock.now();
  h.cloudtrail.addRecord(record!, { region: REGION, eventTime: now - 5 * MIN });
  const ancient = now - 120 * 24 * 60 * MIN;
  writeFileSync(
    join(h.stateDir, `.default.${REGION}.cloudtrail.state`),
    JSON.stringify({ version: 1, offset: ancient, delivered: {}, updatedAt: ancient }),
  );
  const run = h.run(h.config({ regions: [REGION], once: true }));
  assert.equal(await run.done, EXIT_OK);
  const expired = run.logs.lines.find((l) => l.msg === 'events expired before delivery');
  assert.ok(expired, 'the gap is reported');
  assert.ok(run.logs.lines.some((l) => JSON.stringify(l).includes('events-expired')), 'and alerted');
  assert.equal(h.slack.received.length, 1, 'what is still in Event history is delivered');
});

test('a month of downtime on a quiet region is caught up in a few dozen requests, without missing an event', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const records = writeRecords(4);
  const now = h.clock.now();
  const day = 24 * 60 * MIN;
  const times = [now - 29 * day, now - 15 * day, now - 2 * day, now - 30 * MIN];
  records.forEach((r, i) => h.cloudtrail.addRecord(r, { region: REGION, eventTime: times[i] }));
  writeFileSync(
    join(h.stateDir, `.default.${REGION}.cloudtrail.state`),
    JSON.stringify({ version: 1, offset: now - 30 * day, delivered: {}, updatedAt: now - 30 * day }),
  );
  const run = h.run(h.config({ regions: [REGION], once: true }));
  assert.equal(await run.done, EXIT_OK);
  const ids = h.slack.received.map((m) => /[0-9a-f-]{36}/.exec(m.raw)?.[0]);
  assert.deepEqual(ids, records.map((r) => r.eventID), 'all four, oldest first');
  assert.ok(h.cloudtrail.requests.length < 30, `${h.cloudtrail.requests.length} requests (fixed one-hour chunks: 720)`);
});

test('a refused webhook under --once: the log says to fix it and run again, never that posting resumes on its own', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const [record] = writeRecords(1);
  h.cloudtrail.addRecord(record!, { region: REGION, eventTime: h.clock.now() - 5 * MIN });
  h.slack.setDefault({ status: 404, body: 'no_service' });
  const run = h.run(h.config({ regions: [REGION], once: true }));
  assert.equal(await run.done, EXIT_FATAL);
  const text = run.logs.text();
  assert.doesNotMatch(text, /resumes on its own/);
  assert.doesNotMatch(text, /restart the daemon/);
  const alerts = run.logs.lines.filter((l) => l.msg === 'alert: a human must act');
  assert.deepEqual(alerts.map((l) => l.kind), ['slack-refused'], 'one alert, from the fatal stop');
  assert.match(String(alerts[0]?.action), /run it again/);
});

test('Slack failing for alertAfterMinutes under --once: the pass gives up, and no line says it keeps retrying', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const [record] = writeRecords(1);
  h.cloudtrail.addRecord(record!, { region: REGION, eventTime: h.clock.now() - 5 * MIN });
  h.slack.setDefault({ status: 503, body: 'service_unavailable' });
  const run = h.run(h.config({ regions: [REGION], once: true }));
  assert.equal(await run.done, 1);
  const text = run.logs.text();
  assert.doesNotMatch(text, /still retrying|resumes on its own|poll failed; backing off/);
  const alert = run.logs.lines.find((l) => l.msg === 'alert: a human must act' && l.kind === 'slack-failing');
  assert.match(String(alert?.action), /next run/);
});
