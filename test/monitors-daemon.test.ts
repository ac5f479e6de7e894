import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { createMonitorServices } from '../src/daemon/monitors';
import { EXIT_OK } from '../src/lib/errors';
import { StatusBoard } from '../src/observability/status-board';
import { startHarness, type Harness } from './support/daemon-harness';
import { loadFixtureRecords } from './support/fixtures';
import { startSmtp } from './support/smtp';

// The stall alarm and the heartbeat inside the running daemon: CloudTrail and Slack simulators, the real
// smtp-server, a local dead man's switch, and the harness's manual clock jumping whenever everything sleeps.

const MIN = 60_000;
const BOUNDED = { timeout: 120_000 };
const EAST = 'us-east-1';
const WEST = 'eu-west-1';
const CHECK_KEY = '7c0ffee0-1111-4222-8333-944445555666';

/** Resolves once the simulated clock has passed `at` (the daemon keeps running meanwhile). */
async function until(h: Harness, at: number): Promise<void> {
  while (h.clock.now() < at) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** Resolves once `condition` holds (checked between turns of the event loop). */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A dead man's switch double: records each GET; `hang` keeps every request open. */
async function pingServer(t: TestContext, hang = false) {
  const received: string[] = [];
  const open: ServerResponse[] = [];
  const server = createServer((req, res) => {
    received.push(`${req.method} ${req.url}`);
    if (hang) return void open.push(res);
    res.end('OK');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${CHECK_KEY}`, received };
}

function writeRecords(count: number) {
  return loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin').slice(0, count);
}

test('a region throttled for long: one stalled email (and metric), none repeated, one recovered email once it catches up', BOUNDED, async (t) => {
  const h = await startHarness(t, { minSleepers: 3 }); // two pollers and the stall alarm
  const smtp = await startSmtp(t);
  h.cloudtrail.setRegionFailure(WEST, 'throttle');
  const env = { SMTP_URL: smtp.url, ALERT_EMAIL_TO: 'ops@example.com' };
  const start = h.clock.now();
  const board = new StatusBoard(() => h.clock.now());
  const run = h.run(h.config({ regions: [EAST, WEST] }, env), { monitors: createMonitorServices, board });
  // 'throttled' after alertAfterMinutes (15) of failures; 'stalled' once the region is 30 minutes behind (its first
  // start reads from 20 minutes back: it is that far behind from the start).
  await smtp.waitForMails(2);
  const subjects = () => smtp.received.map((m) => m.subject.replace(/ on .*/, ''));
  assert.deepEqual(subjects().sort(), ['[cloudtrail-slack] stalled in eu-west-1', '[cloudtrail-slack] throttled in eu-west-1']);
  const stalled = smtp.received.find((m) => /stalled/.test(m.subject))!;
  assert.match(stalled.body, /more than stallAlertMinutes \(30\); state failing; last error: ThrottlingException/);
  assert.ok(h.clock.now() - start >= 10 * MIN);
  await until(h, h.clock.now() + 90 * MIN); // 90 more minutes throttled, past the 60-minute cooldown: no second stalled email
  assert.equal(smtp.received.filter((m) => /stalled/.test(m.subject)).length, 1);

  h.cloudtrail.setRegionFailure(WEST, undefined);
  await smtp.waitForMails(4);
  assert.deepEqual(subjects().slice(2).sort(), [
    '[cloudtrail-slack] recovered: stalled in eu-west-1',
    '[cloudtrail-slack] recovered: throttled in eu-west-1',
  ]);
  run.proc.emit('SIGTERM');
  assert.equal(await run.done, EXIT_OK);
  assert.equal(run.logs.lines.filter((l) => l.msg === 'region stalled').length, 1);
  assert.equal(smtp.received.length, 4);
  assert.deepEqual(
    board.recentAlerts().filter((a) => a.kind === 'stalled').map((a) => [a.kind, a.region]),
    [['stalled', WEST]],
    'the stalled alert counted once (the alerter reports every alert it sends to the Telemetry port)',
  );
});

test('a healthy daemon with the default settings: events delivered, the heartbeat pinged, never a stalled alert', BOUNDED, async (t) => {
  const h = await startHarness(t, { minSleepers: 3 }); // two pollers and the stall alarm
  const ping = await pingServer(t);
  const records = writeRecords(40);
  const start = h.clock.now();
  // An event every two simulated minutes for 80 minutes, each visible up to 10 minutes late.
  records.forEach((r, i) => h.cloudtrail.addRecord(r, { region: i % 2 ? EAST : WEST, eventTime: start + i * 2 * MIN, visibleAt: start + i * 2 * MIN + (i % 3) * 5 * MIN }));
  const run = h.run(h.config({ regions: [EAST, WEST] }, {}, { heartbeat: { url: ping.url, timeoutSeconds: 120 }, digest: { enabled: false } }), { monitors: createMonitorServices });
  await until(h, start + 100 * MIN);
  await h.slack.waitForMessages(records.length);
  run.proc.emit('SIGTERM');
  assert.equal(await run.done, EXIT_OK);
  assert.equal(run.logs.lines.filter((l) => l.msg === 'region stalled').length, 0);
  assert.equal(run.logs.lines.filter((l) => String(l.msg).startsWith('alert')).length, 0, 'no alert of any kind');
  assert.ok(ping.received.length >= 2, `pinged after clean cycles (${ping.received.length})`);
  assert.ok(ping.received.every((r) => r === `GET /${CHECK_KEY}`));
  assert.ok(ping.received.length <= 100 + 1, `at most one a poll interval (${ping.received.length})`);
  assert.ok(!run.logs.text().includes(CHECK_KEY), 'the ping URL is never logged');
});

test('a heartbeat server that never answers: the ping ends at its timeout, is logged without its URL, and events still flow', BOUNDED, async (t) => {
  const h = await startHarness(t, { minSleepers: 2 }); // the poller and the stall alarm
  const ping = await pingServer(t, true);
  const records = writeRecords(6);
  const start = h.clock.now();
  records.forEach((r, i) => h.cloudtrail.addRecord(r, { region: EAST, eventTime: start + i * 5 * MIN }));
  const run = h.run(h.config({ regions: [EAST] }, {}, { heartbeat: { url: ping.url, timeoutSeconds: 5 }, digest: { enabled: false } }), { monitors: createMonitorServices });
  await waitFor(() => run.logs.lines.some((l) => String(l.msg).startsWith('heartbeat ping failed')));
  await h.slack.waitForMessages(records.length);
  run.proc.emit('SIGTERM');
  assert.equal(await run.done, EXIT_OK);
  const failed = run.logs.lines.filter((l) => String(l.msg).startsWith('heartbeat ping failed'));
  assert.equal(failed[0]?.level, 40);
  assert.equal(failed[0]?.reason, 'no answer within 5 s');
  assert.ok(failed.slice(1).every((l) => l.level === 20), 'then debug only');
  assert.ok(ping.received.length >= 1);
  assert.ok(!run.logs.text().includes(CHECK_KEY), 'the ping URL is never logged');
});
