import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { createAlerter, type AlertMail } from '../src/alerts/alerter';
import { createAlertRecovery } from '../src/daemon/recover-alerts';
import { createStallAlarm, describeLag, STALL_CHECK_INTERVAL_MS } from '../src/monitors/stall-alarm';
import { StatusBoard } from '../src/observability/status-board';
import { AccountDirectory } from '../src/targets/account-directory';
import { captureLogger } from './support/daemon-harness';
import { ManualClock } from './support/manual-clock';

// The stall alarm against a StatusBoard fed directly (as the pollers will), a manual clock, and the real alerter
// and alert recovery with a recording mail transport.

const MIN = 60_000;
const EAST = 'us-east-1';
const WEST = 'eu-west-1';

function setup(t: TestContext, options: { stallAlertMinutes?: number; dir?: string; clock?: ManualClock; targets?: string[]; accounts?: AccountDirectory } = {}) {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'stall-'));
  if (options.dir === undefined) t.after(() => rmSync(dir, { recursive: true, force: true }));
  const clock = options.clock ?? new ManualClock();
  const logs = captureLogger();
  const mails: AlertMail[] = [];
  const work: Promise<void>[] = [];
  const board = new StatusBoard(() => clock.now(), options.accounts);
  const inner = createAlerter({
    telemetry: board, // the alerter reports each alert it sends (cloudtrail_slack_alerts_total, the status page)
    email: { to: ['ops@example.com'], smtpUrl: undefined },
    stateDir: dir,
    profile: 'prod',
    clock,
    log: logs.log,
    cooldownMs: 60 * MIN,
    transport: { sendMail: async (mail) => void mails.push(mail) },
    accounts: options.accounts,
  });
  const recovery = createAlertRecovery(inner, { regions: options.targets ?? [EAST, WEST], track: (w) => work.push(w) });
  const alarm = createStallAlarm({
    board,
    alerter: recovery.alerter,
    observe: recovery.observe,
    clock,
    log: logs.log,
    config: { stallAlertMinutes: options.stallAlertMinutes ?? 30 },
  });
  const stop = new AbortController();
  t.after(() => stop.abort());
  /** Resolves once the alarm sleeps until its next check (its check, and the email it sends, are done). */
  const asleep = async () => {
    while (clock.pending < 1 && !stop.signal.aborted) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  const start = async () => {
    await recovery.start();
    const running = alarm.run(stop.signal);
    await asleep();
    return { running };
  };
  /** Moves time minute by minute, letting each check (and the email it sends) finish. */
  const minutes = async (n: number, each?: () => void) => {
    for (let i = 0; i < n; i += 1) {
      each?.();
      await clock.advance(MIN);
      await asleep();
      while (work.length > 0) await Promise.all(work.splice(0));
    }
  };
  return { dir, clock, board, mails, logs, start, stop, minutes };
}

const subjects = (mails: AlertMail[]) => mails.map((m) => m.subject.replace(/ on .*/, ''));

test('a region failing for long: one stalled email once its lag passes 30 minutes, none while it stays stalled, one recovered when it catches up', async (t) => {
  const s = setup(t);
  const now = s.clock.now();
  s.board.targetStarted(EAST, now);
  s.board.targetStarted(WEST, now);
  const { running } = await s.start();
  // us-east-1 keeps scanning each minute; eu-west-1 is throttled from the start.
  const poll = () => {
    s.board.scanSucceeded(EAST, { start: s.clock.now() - MIN, end: s.clock.now() }, true);
    s.board.scanFailed(WEST, 'ThrottlingException: Rate exceeded');
  };
  await s.minutes(30, poll);
  assert.equal(s.mails.length, 0, 'not above the threshold yet');
  await s.minutes(2, poll);
  assert.deepEqual(subjects(s.mails), ['[cloudtrail-slack] stalled in eu-west-1']);
  const mail = s.mails[0]!;
  assert.match(mail.text, /eu-west-1/);
  assert.match(mail.text, /ThrottlingException: Rate exceeded/, 'the last error says why');
  assert.match(mail.text, /32 min behind, more than stallAlertMinutes \(30\)/);
  assert.deepEqual(s.board.recentAlerts().map((a) => [a.kind, a.region]), [['stalled', WEST]], 'the metric port heard it once');
  assert.equal(s.logs.lines.filter((l) => l.msg === 'region stalled').length, 1);

  await s.minutes(5 * 60, poll); // five hours more: still the same stall (past the 60-minute cooldown too)
  assert.equal(s.mails.length, 1, 'once per stall');
  assert.equal(s.board.recentAlerts().length, 1);

  s.board.scanSucceeded(WEST, { start: now, end: s.clock.now() }, true);
  await s.minutes(1);
  assert.deepEqual(subjects(s.mails), ['[cloudtrail-slack] stalled in eu-west-1', '[cloudtrail-slack] recovered: stalled in eu-west-1']);
  assert.match(s.mails[1]!.text, /caught up/);
  s.stop.abort();
  await running;
});

test('a healthy daemon with the default settings never alerts, whichever end of the window the board is told', async (t) => {
  const s = setup(t);
  const { running } = await s.start();
  const settle = 15 * MIN;
  // us-east-1 reports the end of each scan; eu-west-1 only its offset (end − settle). Full scans each 5 minutes.
  s.board.targetStarted(EAST, s.clock.now() - settle);
  s.board.targetStarted(WEST, s.clock.now() - settle);
  let i = 0;
  await s.minutes(12 * 60, () => {
    const now = s.clock.now();
    s.board.scanSucceeded(EAST, { start: now - MIN, end: now }, true);
    if (i % 5 === 0) s.board.scanSucceeded(WEST, { start: now - settle, end: now - settle }, true);
    i += 1;
  });
  assert.equal(s.mails.length, 0);
  assert.equal(s.logs.lines.filter((l) => l.msg === 'region stalled').length, 0);
  s.stop.abort();
  await running;
});

test('a region reading a three-hour backlog after downtime is catching up, not stalled; one that stops catching up is', async (t) => {
  const s = setup(t);
  const start = s.clock.now() - 3 * 60 * MIN;
  s.board.targetStarted(WEST, start);
  const { running } = await s.start();
  let upTo = start;
  // Each minute reads 10 minutes of backlog: the lag shrinks by 9 minutes a minute.
  await s.minutes(12, () => {
    upTo += 10 * MIN;
    s.board.scanSucceeded(WEST, { start: upTo - 10 * MIN, end: upTo }, false);
  });
  assert.equal(s.mails.length, 0);
  // Then it stops (a hung request): the lag grows again.
  await s.minutes(3);
  assert.deepEqual(subjects(s.mails), ['[cloudtrail-slack] stalled in eu-west-1']);
  s.stop.abort();
  await running;
});

test('a disabled region is never reported stalled', async (t) => {
  const s = setup(t);
  s.board.targetStarted(WEST, s.clock.now() - 10 * 24 * 60 * MIN);
  s.board.scanFailed(WEST, 'the region is not enabled for this account', 'disabled');
  const { running } = await s.start();
  await s.minutes(3 * 60);
  assert.equal(s.mails.length, 0);
  s.stop.abort();
  await running;
});

test('a stalled alert left open by an earlier run is closed when this run sees the region caught up', async (t) => {
  const first = setup(t);
  first.board.targetStarted(WEST, first.clock.now() - 2 * 60 * MIN);
  const { running } = await first.start();
  await first.minutes(2);
  assert.deepEqual(subjects(first.mails), ['[cloudtrail-slack] stalled in eu-west-1']);
  first.stop.abort();
  await running;

  const second = setup(t, { dir: first.dir, clock: first.clock });
  second.board.targetStarted(WEST, second.clock.now());
  const { running: again } = await second.start();
  await second.minutes(1);
  assert.deepEqual(subjects(second.mails), ['[cloudtrail-slack] recovered: stalled in eu-west-1']);
  second.stop.abort();
  await again;
});

test('stops with the signal, leaving no sleeper behind', async (t) => {
  const s = setup(t);
  const { running } = await s.start();
  await s.clock.advance(STALL_CHECK_INTERVAL_MS / 2);
  assert.equal(s.clock.pending, 1);
  s.stop.abort();
  await running;
  assert.equal(s.clock.pending, 0);
});

test('describeLag', () => {
  assert.equal(describeLag(42 * 60 + 59), '42 min');
  assert.equal(describeLag(3 * 3600 + 5 * 60), '3 h 05 min');
  assert.equal(describeLag(52 * 3600), '2 d 4 h');
});

test('two accounts in one region: only the stalled one is alerted, named "region eu-west-1 of account prod (id)"', async (t) => {
  const accounts = new AccountDirectory();
  accounts.learn([{ id: '222233334444', name: 'prod' }]);
  const PROD_WEST = `222233334444/${WEST}`;
  const DEV_WEST = `555566667777/${WEST}`;
  const s = setup(t, { targets: [PROD_WEST, DEV_WEST], accounts });
  const now = s.clock.now();
  s.board.targetStarted(PROD_WEST, now);
  s.board.targetStarted(DEV_WEST, now);
  const { running } = await s.start();
  const poll = () => {
    s.board.scanSucceeded(DEV_WEST, { start: s.clock.now() - MIN, end: s.clock.now() }, true);
    s.board.scanFailed(PROD_WEST, 'AccessDenied');
  };
  await s.minutes(32, poll);
  assert.deepEqual(subjects(s.mails), ['[cloudtrail-slack] stalled in region eu-west-1 of account prod (222233334444)']);
  assert.match(s.mails[0]!.text, /region eu-west-1 of account prod \(222233334444\) has been read up to/);
  assert.deepEqual(s.board.recentAlerts().map((a) => [a.kind, a.region]), [['stalled', PROD_WEST]]);
  s.board.scanSucceeded(PROD_WEST, { start: now, end: s.clock.now() }, true);
  await s.minutes(1);
  assert.equal(s.mails[1]?.subject.replace(/ on .*/, ''), '[cloudtrail-slack] recovered: stalled in region eu-west-1 of account prod (222233334444)');
  s.stop.abort();
  await running;
});
