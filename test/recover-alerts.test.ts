import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ALERT_KIND_NAMES, isNotice } from '../src/alerts/alert-kinds';
import { alertStatePath } from '../src/alerts/alert-state';
import { createAlerter, type AlertMail } from '../src/alerts/alerter';
import { createAlertRecovery, type Evidence } from '../src/daemon/recover-alerts';
import { createLogger } from '../src/logging/logger';
import { ManualClock } from './support/manual-clock';

// Which evidence ends which alert, across a restart: a "previous run" leaves the alert open in the cooldown file,
// a new run (new alerter, new recovery) observes evidence. Real alerter and cooldown file; the mail is recorded.

const EAST = 'us-east-1';
const WEST = 'eu-west-1';
// Many accounts (issue 10): account A's targets are polled beside the single account's regions.
const ACCOUNT = '111111111111';
const OTHER = '222222222222';
const A_WEST = `${ACCOUNT}/${WEST}`;
const REGIONS = [EAST, WEST, A_WEST, `${OTHER}/${WEST}`];

function newRun(dir: string, clock: ManualClock) {
  const mails: AlertMail[] = [];
  const work: Promise<void>[] = [];
  const alerter = createAlerter({
    email: { to: ['ops@example.com'], smtpUrl: undefined },
    stateDir: dir,
    profile: 'prod',
    clock,
    log: createLogger({ level: 'silent' }),
    cooldownMs: 60 * 60_000,
    transport: { sendMail: async (mail) => void mails.push(mail) },
  });
  const recovery = createAlertRecovery(alerter, { regions: REGIONS, accounts: () => [ACCOUNT, OTHER], track: (w) => work.push(w) });
  const settle = async () => {
    while (work.length > 0) await Promise.all(work.splice(0));
  };
  return { mails, recovery, alerter, settle };
}

function openInFile(dir: string): string[] {
  const { alerts } = JSON.parse(readFileSync(alertStatePath(dir, 'prod'), 'utf8')) as { alerts: Record<string, { open: boolean }> };
  return Object.entries(alerts).filter(([, r]) => r.open).map(([key]) => key);
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'recover-alerts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Evidence in order; `closes` marks the one step after which the alert must be closed (never before it). */
interface Case {
  kind: string;
  region?: string;
  steps: Array<Evidence & { closes?: true }>;
}

const cases: Case[] = [
  { kind: 'config', steps: [{ type: 'lookup', region: EAST }, { type: 'slack' }, { type: 'state-save', region: EAST }, { type: 'started', closes: true }] },
  { kind: 'credentials', steps: [{ type: 'started' }, { type: 'slack' }, { type: 'state-load', region: EAST }, { type: 'lookup', region: WEST, closes: true }] },
  { kind: 'access-denied', steps: [{ type: 'started' }, { type: 'stable' }, { type: 'lookup', region: EAST, closes: true }] },
  { kind: 'fatal', steps: [{ type: 'started' }, { type: 'lookup', region: EAST }, { type: 'state-save', region: EAST }, { type: 'slack' }, { type: 'stable', closes: true }] },
  { kind: 'slack-refused', steps: [{ type: 'started' }, { type: 'lookup', region: EAST }, { type: 'state-save', region: EAST }, { type: 'stable' }, { type: 'slack', closes: true }] },
  { kind: 'slack-failing', steps: [{ type: 'started' }, { type: 'lookup', region: EAST }, { type: 'stable' }, { type: 'slack', closes: true }] },
  {
    kind: 'region-failing',
    region: WEST,
    steps: [
      { type: 'started' },
      { type: 'lookup', region: EAST },
      { type: 'state-save', region: EAST },
      { type: 'state-save', region: WEST }, // a save before LookupEvents answered there proves nothing
      { type: 'lookup', region: WEST },
      { type: 'state-save', region: WEST, closes: true },
    ],
  },
  { kind: 'throttled', region: EAST, steps: [{ type: 'lookup', region: WEST }, { type: 'state-save', region: WEST }, { type: 'lookup', region: EAST }, { type: 'state-save', region: EAST, closes: true }] },
  {
    kind: 'state-unwritable',
    steps: [
      { type: 'started' },
      { type: 'lookup', region: EAST },
      { type: 'state-save-failed', region: EAST },
      { type: 'state-save', region: WEST }, // us-east-1 still cannot write
      { type: 'state-save', region: EAST, closes: true },
    ],
  },
  { kind: 'state-unreadable', region: WEST, steps: [{ type: 'started' }, { type: 'state-load', region: EAST }, { type: 'state-load', region: WEST, closes: true }] },
  { kind: 'state-unreadable', steps: [{ type: 'started' }, { type: 'state-load', region: EAST, closes: true }] },
  { kind: 'region-failing', region: 'ap-south-1', steps: [{ type: 'lookup', region: EAST }, { type: 'started', closes: true }] },
  // The trail monitor's kinds end only when its check answers without that defect: nothing else proves it.
  ...['trail-missing', 'trail-not-logging', 'trail-coverage', 'trail-selectors', 'trail-monitor-denied'].map((kind) => ({
    kind,
    steps: [
      { type: 'started' as const },
      { type: 'lookup' as const, region: EAST },
      { type: 'slack' as const },
      { type: 'stable' as const },
      { type: 'trail-check' as const, found: [kind, 'trail-coverage'] },
      { type: 'trail-check' as const, found: ['trail-coverage', 'trail-selectors'].filter((k) => k !== kind), closes: true as const },
    ],
  })),
  // A region behind by more than stallAlertMinutes (src/monitors/stall-alarm.ts): only its own catching up ends it.
  {
    kind: 'stalled',
    region: WEST,
    steps: [
      { type: 'started' },
      { type: 'lookup', region: WEST },
      { type: 'state-save', region: WEST },
      { type: 'stable' },
      { type: 'caught-up', region: EAST },
      { type: 'caught-up', region: WEST, closes: true },
    ],
  },
  // Many accounts: an unusable account's alert is keyed by its ID; only one of its own regions answering ends it.
  { kind: 'account-unusable', region: ACCOUNT, steps: [{ type: 'started' }, { type: 'stable' }, { type: 'lookup', region: EAST }, { type: 'lookup', region: `${OTHER}/${WEST}` }, { type: 'lookup', region: A_WEST, closes: true }] },
  // Every account unusable at start (the fatal one, unkeyed): any account answering ends it.
  { kind: 'account-unusable', steps: [{ type: 'started' }, { type: 'stable' }, { type: 'lookup', region: `${OTHER}/${WEST}`, closes: true }] },
  ...['organizations-denied', 'organizations-not-in-use'].map((kind) => ({ kind, steps: [{ type: 'lookup' as const, region: A_WEST }, { type: 'started' as const, closes: true as const }] })),
  // A target's alert (key `<account>/<region>`) survives the cooldown file's checks and ends like a region's.
  { kind: 'region-failing', region: A_WEST, steps: [{ type: 'started' }, { type: 'lookup', region: WEST }, { type: 'state-save', region: WEST }, { type: 'lookup', region: A_WEST }, { type: 'state-save', region: A_WEST, closes: true }] },
  { kind: 'a-future-kind', steps: [{ type: 'started' }, { type: 'lookup', region: EAST }, { type: 'slack' }, { type: 'stable', closes: true }] },
];

for (const { kind, region, steps } of cases) {
  const label = region ? `${kind} in ${region}` : kind;
  test(`an open ${label} alert from an earlier run is closed by: ${steps.find((s) => s.closes)?.type}`, async (t) => {
    const dir = tempDir(t);
    const clock = new ManualClock();
    const before = newRun(dir, clock);
    await before.alerter.alert({ kind, region, reason: 'it broke', action: 'fix it' });
    assert.equal(before.mails.length, 1);
    assert.equal(openInFile(dir).length, 1, 'left open when the process exits');

    await clock.advance(5 * 60_000);
    const after = newRun(dir, clock);
    await after.recovery.start();
    for (const step of steps) {
      after.recovery.observe(step);
      await after.settle();
      const expected = step.closes ? 1 : 0;
      assert.equal(after.mails.length, expected, `after ${JSON.stringify(step)}`);
      if (step.closes) break;
    }
    // Another account's target is named as the alerts name it: "region eu-west-1 of account 111111111111".
    const [account, inRegion] = region?.includes('/') ? region.split('/') : [undefined, region];
    // An account-wide alert (a bare account ID, e.g. account-unusable) is "<kind> for account <id>".
    const named = /^\d{12}$/.test(region ?? '')
      ? `${kind} for account ${region}`
      : account === undefined ? label : `${kind} in region ${inRegion} of account ${account}`;
    assert.match(after.mails[0]?.subject ?? '', new RegExp(`recovered: ${named}`));
    assert.deepEqual(openInFile(dir), []);
    for (const step of steps) after.recovery.observe(step); // seen again: nothing more to close
    await after.settle();
    assert.equal(after.mails.length, 1);
  });
}

test('every kind the daemon sends has a rule (this table names each one)', () => {
  const tested = new Set(cases.map((c) => c.kind));
  const notices = ALERT_KIND_NAMES.filter(isNotice);
  assert.deepEqual(notices.sort(), ['events-expired', 'state-corrupt', 'undeliverable']);
  for (const kind of ALERT_KIND_NAMES) assert.ok(tested.has(kind) || notices.includes(kind), kind);
});

test('a notice (undeliverable, events-expired, state-corrupt) is emailed but never left open: no "recovered" follows', async (t) => {
  const dir = tempDir(t);
  const clock = new ManualClock();
  const run = newRun(dir, clock);
  await run.recovery.start();
  for (const kind of ['undeliverable', 'events-expired', 'state-corrupt']) {
    await run.recovery.alerter.alert({ kind, region: EAST, reason: 'once', action: 'look' });
  }
  assert.equal(run.mails.length, 3);
  assert.ok(run.mails.every((m) => !m.text.includes('"recovered" email')), 'no promise of a recovered email');
  assert.deepEqual(openInFile(dir), []);
  for (const type of ['started', 'slack', 'stable'] as const) run.recovery.observe({ type });
  await run.settle();
  assert.equal(run.mails.length, 3);
});

test('an alert raised in this run is closed by the same evidence, once per opening', async (t) => {
  const dir = tempDir(t);
  const clock = new ManualClock();
  const run = newRun(dir, clock);
  await run.recovery.start();
  await run.recovery.alerter.alert({ kind: 'slack-failing', reason: '503', action: 'wait' });
  run.recovery.observe({ type: 'slack' });
  run.recovery.observe({ type: 'slack' });
  await run.settle();
  assert.deepEqual(run.mails.map((m) => m.subject.replace(/ on .*/, '')), ['[cloudtrail-slack] slack-failing', '[cloudtrail-slack] recovered: slack-failing']);
  await clock.advance(2 * 60 * 60_000); // past the cooldown: a new opening, a new email, a new recovery
  await run.recovery.alerter.alert({ kind: 'slack-failing', reason: '503', action: 'wait' });
  run.recovery.observe({ type: 'slack' });
  await run.settle();
  assert.equal(run.mails.length, 4);
});
