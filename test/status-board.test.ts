import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusBoard, RECENT_ALERTS } from '../src/observability/status-board';
import { fanOut, noTelemetry, type Telemetry } from '../src/observability/telemetry';
import { AccountDirectory } from '../src/targets/account-directory';

const T0 = Date.parse('2026-11-30T08:00:00Z');

function first(b: StatusBoard) {
  const row = b.view()[0];
  assert.ok(row, 'a target row');
  return row;
}

function board() {
  let now = T0;
  const b = new StatusBoard(() => now);
  return { b, advance: (ms: number) => { now += ms; }, at: () => now };
}

test('lag is now minus the end of the newest scanned window, in seconds, and a success makes the target ok', () => {
  const { b, advance } = board();
  b.targetStarted('eu-west-1', T0 - 3_600_000);
  assert.equal(first(b).lagSeconds, 3600);
  assert.equal(first(b).state, 'catching_up');
  advance(10_000);
  b.scanSucceeded('eu-west-1', { start: T0 - 3_600_000, end: T0 }, true);
  const row = first(b);
  assert.equal(row.lagSeconds, 10);
  assert.equal(row.state, 'ok');
  assert.equal(row.lastScanAt, T0 + 10_000);
});

test('a failure keeps its reason and first time until the next success; disabled is its own state', () => {
  const { b, advance } = board();
  b.targetStarted('us-east-1', T0);
  b.scanFailed('us-east-1', 'ThrottlingException');
  advance(5_000);
  b.scanFailed('us-east-1', 'ThrottlingException again');
  let row = first(b);
  assert.equal(row.state, 'failing');
  assert.equal(row.failingSince, T0);
  assert.equal(row.lastError, 'ThrottlingException again');
  b.scanSucceeded('us-east-1', { start: T0, end: T0 + 5_000 }, false);
  row = first(b);
  assert.equal(row.state, 'catching_up');
  assert.equal(row.lastError, undefined);
  assert.equal(row.failingSince, undefined);
  b.scanFailed('us-east-1', 'not enabled', 'disabled');
  assert.equal(first(b).state, 'disabled');
});

test('readiness names each target without a recent successful scan, and ignores disabled ones', () => {
  const { b, advance } = board();
  b.targetStarted('a-1', T0);
  b.targetStarted('b-1', T0);
  b.targetStarted('c-1', T0);
  b.scanFailed('c-1', 'opt-in region', 'disabled');
  let r = b.readiness(60_000);
  assert.equal(r.ready, false);
  assert.deepEqual(r.notReady.map((n) => n.region), ['a-1', 'b-1']);
  b.scanSucceeded('a-1', { start: T0, end: T0 }, true);
  b.scanSucceeded('b-1', { start: T0, end: T0 }, true);
  r = b.readiness(60_000);
  assert.deepEqual(r, { ready: true, notReady: [] });
  advance(61_000);
  b.scanSucceeded('a-1', { start: T0, end: T0 + 61_000 }, true);
  r = b.readiness(60_000);
  assert.equal(r.ready, false);
  assert.deepEqual(r.notReady.map((n) => n.region), ['b-1']);
  assert.match(r.notReady[0]?.reason ?? '', /61 s ago/);
});

test('no target watched is not ready', () => {
  const { b } = board();
  assert.equal(b.readiness(60_000).ready, false);
});

test('a cycle ends when every enabled target has succeeded; it is clean only without failures in between', () => {
  const { b } = board();
  const cycles: boolean[] = [];
  b.onCycle((clean) => cycles.push(clean));
  for (const r of ['a', 'b', 'c']) b.targetStarted(r, T0);
  b.scanFailed('c', 'disabled', 'disabled');
  b.scanSucceeded('a', { start: T0, end: T0 }, true);
  assert.deepEqual(cycles, []);
  b.scanSucceeded('b', { start: T0, end: T0 }, true);
  assert.deepEqual(cycles, [true]);
  b.scanSucceeded('a', { start: T0, end: T0 }, true);
  b.scanFailed('b', 'boom');
  b.scanSucceeded('b', { start: T0, end: T0 }, true);
  assert.deepEqual(cycles, [true, false]);
  // a target dropped mid-cycle no longer holds the cycle open
  b.scanSucceeded('a', { start: T0, end: T0 }, true);
  b.targetStopped('b');
  assert.deepEqual(cycles, [true, false, true]);
});

test('events count per target and in total; posted sets the last posted time; alerts keep the newest few', () => {
  const { b, advance } = board();
  b.targetStarted('eu-west-1', T0);
  advance(1000);
  b.events('eu-west-1', 'read', 7);
  b.events('eu-west-1', 'posted', 3);
  b.events('eu-west-1', 'muted', 0);
  const row = first(b);
  assert.equal(row.counts.read, 7);
  assert.equal(row.counts.posted, 3);
  assert.equal(row.lastPostedAt, T0 + 1000);
  assert.equal(b.snapshotTotals().events.posted, 3);
  for (let i = 0; i < RECENT_ALERTS + 5; i += 1) b.alertSent('region-failing', `alert ${i}`, 'eu-west-1');
  const alerts = b.recentAlerts();
  assert.equal(alerts.length, RECENT_ALERTS);
  assert.equal(alerts[0]?.summary, `alert ${RECENT_ALERTS + 4}`);
  assert.equal(b.snapshotTotals().alerts, RECENT_ALERTS + 5);
});

test('fanOut reports to every sink, and a sink that throws stops neither the caller nor the others', () => {
  const seen: string[] = [];
  const thrower: Telemetry = { ...noTelemetry, slackMessage: () => { throw new Error('broken metric'); } };
  const recorder: Telemetry = { ...noTelemetry, slackMessage: (webhook, outcome) => { seen.push(`${webhook}:${outcome}`); } };
  const port = fanOut(thrower, recorder);
  assert.doesNotThrow(() => port.slackMessage('default', 'rate_limited'));
  assert.deepEqual(seen, ['default:rate_limited']);
});

test('a LookupEvents request that fails shows its region as failing at once; throttles and denials wait for the scan', () => {
  const { b, advance } = board();
  b.targetStarted('eu-west-1', T0);
  b.targetStarted('us-east-1', T0);
  b.lookupRequest('eu-west-1', 'throttled');
  b.lookupRequest('us-east-1', 'denied');
  assert.deepEqual(b.view().map((r) => r.state), ['catching_up', 'catching_up'], 'a throttle is retried, a denial judged across regions');
  advance(1000);
  b.lookupRequest('eu-west-1', 'error');
  const row = first(b);
  assert.equal(row.state, 'failing');
  assert.match(row.lastError ?? '', /LookupEvents requests are failing/);
  assert.equal(row.failingSince, T0 + 1000);
  b.scanSucceeded('eu-west-1', { start: T0, end: T0 + 1000 }, true);
  assert.equal(first(b).state, 'ok');
  b.scanFailed('us-east-1', 'not enabled', 'disabled');
  b.lookupRequest('us-east-1', 'error');
  assert.equal(b.view()[1]?.state, 'disabled', 'a disabled region stays disabled');
});

test('two accounts in one region are two rows; readiness names each by target key, account and region', () => {
  const accounts = new AccountDirectory();
  accounts.learn([{ id: '222233334444', name: 'prod' }]);
  const b = new StatusBoard(() => T0, accounts);
  b.setIdentity('111122223333');
  b.targetStarted('222233334444/eu-west-1', T0);
  b.targetStarted('555566667777/eu-west-1', T0);
  b.scanSucceeded('555566667777/eu-west-1', { start: T0, end: T0 }, true);
  b.events('222233334444/eu-west-1', 'posted', 2);
  const rows = b.view();
  assert.deepEqual(rows.map((r) => [r.key, r.account, r.accountId, r.accountName, r.region, r.state, r.counts.posted]), [
    ['555566667777/eu-west-1', '555566667777', '555566667777', undefined, 'eu-west-1', 'ok', 0],
    ['222233334444/eu-west-1', '222233334444', '222233334444', 'prod', 'eu-west-1', 'catching_up', 2],
  ]);
  const r = b.readiness(60_000);
  assert.equal(r.ready, false);
  assert.deepEqual(r.notReady, [
    { target: '222233334444/eu-west-1', account: '222233334444', accountName: 'prod', region: 'eu-west-1', reason: 'no successful scan yet' },
  ]);
});

test('a target keyed by region alone is the daemon\'s own account once STS said, and a cycle counts it by key', () => {
  const { b } = board();
  const cycles: boolean[] = [];
  b.onCycle((clean) => cycles.push(clean));
  b.targetStarted('eu-west-1', T0);
  b.targetStarted('222233334444/eu-west-1', T0);
  assert.equal(b.view().find((r) => r.key === 'eu-west-1')?.accountId, undefined);
  b.setIdentity('111122223333');
  assert.equal(b.view().find((r) => r.key === 'eu-west-1')?.accountId, '111122223333');
  b.scanSucceeded('eu-west-1', { start: T0, end: T0 }, true);
  assert.deepEqual(cycles, [], 'the other account\'s eu-west-1 has not scanned yet');
  b.scanSucceeded('222233334444/eu-west-1', { start: T0, end: T0 }, true);
  assert.deepEqual(cycles, [true]);
});
