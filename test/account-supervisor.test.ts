import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { AccountSupervisor, ACCOUNT_RETRY_MS } from '../src/targets/account-supervisor';
import { AccountDirectory } from '../src/targets/account-directory';
import type { AccountVerdict } from '../src/targets/account-check';
import type { AlertInput } from '../src/alerts/alerter';
import type { AccountSpec, Target } from '../src/targets/target';
import { FatalError } from '../src/lib/errors';
import { captureLogger } from './support/daemon-harness';
import { ManualClock } from './support/manual-clock';

// The account supervisor alone (issue 10 item 3), with a scripted check: which accounts are polled, when one is
// paused, alerted and retried, and when the start is fatal.

const REGIONS = ['us-east-1', 'eu-west-1'];
const id = (n: number) => String(n).repeat(12);

function setUp(t: { after(fn: () => unknown): void }, verdicts: Map<string, AccountVerdict>) {
  const clock = new ManualClock();
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  const alerts: AlertInput[] = [];
  const checked: string[] = [];
  const work: Array<Promise<void>> = [];
  const applied: Target[][] = [];
  const directory = new AccountDirectory();
  const supervisor = new AccountSupervisor({
    regions: REGIONS,
    shard: { index: 0, count: 1 },
    check: async (account) => {
      checked.push(account.id);
      return verdicts.get(account.id) ?? { usable: true };
    },
    alerter: { alert: async (input) => void alerts.push(input) },
    directory,
    clock,
    log: captureLogger().log,
    signal: stop.signal,
    track: (w) => void work.push(w),
  });
  supervisor.attach((targets) => void applied.push(targets));
  t.after(async () => {
    stop.abort();
    await Promise.allSettled(work);
  });
  return { clock, supervisor, alerts, checked, applied, directory, signal: stop.signal };
}

const denied: AccountVerdict = { usable: false, kind: 'access-denied', reason: 'AccessDenied: not authorized to perform sts:AssumeRole', advice: 'fix the trust policy' };

test('every account unusable at start is one FatalError naming at most five of them', async (t) => {
  const accounts: AccountSpec[] = [1, 2, 3, 4, 5, 6, 7].map((n) => ({ id: id(n), name: `team-${n}` }));
  const { supervisor, alerts } = setUp(t, new Map(accounts.map((a) => [a.id, denied])));
  const error = await supervisor.start(accounts, new AbortController().signal).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof FatalError);
  assert.equal(error.kind, 'account-unusable');
  assert.match(error.message, /no account can be used: team-1 \(111111111111\): AccessDenied/);
  assert.match(error.message, /and 2 more$/);
  assert.equal(alerts.length, 0, 'the fatal path sends the one alert');
});

test('an account found unusable by its pollers is paused (its targets go), alerted once, retried every 5 minutes, and polled again once it passes', async (t) => {
  const verdicts = new Map<string, AccountVerdict>();
  const { clock, supervisor, alerts, checked, applied, signal } = setUp(t, verdicts);
  const [a, b] = [{ id: id(1) }, { id: id(2), name: 'audit' }];
  await supervisor.start([a, b], signal);
  await supervisor.alertPaused();
  assert.equal(supervisor.targets().length, 4);

  verdicts.set(b.id, denied);
  await supervisor.unusable(b.id, { kind: 'access-denied', reason: 'denied in every region' });
  await supervisor.unusable(b.id, { kind: 'access-denied', reason: 'denied in every region' });
  assert.deepEqual(applied.at(-1)!.map((target) => target.key), [`${a.id}/us-east-1`, `${a.id}/eu-west-1`], "b's targets stop, a's stay");
  assert.equal(alerts.length, 1, 'alerted once');
  assert.equal(alerts[0]!.region, b.id, 'keyed by the account');
  assert.match(alerts[0]!.reason, /audit \(222222222222\)/);
  assert.match(alerts[0]!.action, /trust policy/, 'the check found the role is the problem');

  const before = checked.length;
  await clock.advance(ACCOUNT_RETRY_MS - 1);
  assert.equal(checked.length, before, 'not before 5 minutes');
  await clock.advance(1);
  assert.equal(checked.length, before + 1, 'checked again after 5 minutes');
  verdicts.delete(b.id);
  await clock.advance(ACCOUNT_RETRY_MS);
  assert.equal(applied.at(-1)!.length, 4, 'b polled again');
  assert.equal(supervisor.isPaused(b.id), false);
  assert.equal(alerts.length, 1, 'the recovered email is the alert recovery\'s (its regions answering), not a second alert');
});

test('an account that joins unusable is alerted; one that leaves while paused is no longer retried', async (t) => {
  const verdicts = new Map<string, AccountVerdict>([[id(3), denied]]);
  const { clock, supervisor, alerts, checked, signal } = setUp(t, verdicts);
  await supervisor.start([{ id: id(1) }], signal);
  await supervisor.setAccounts([{ id: id(1) }, { id: id(3), name: 'new' }], signal);
  assert.equal(alerts.length, 1);
  assert.deepEqual(supervisor.targets().map((target) => target.account), [id(1), id(1)]);
  await supervisor.setAccounts([{ id: id(1) }], signal);
  const before = checked.length;
  await clock.advance(3 * ACCOUNT_RETRY_MS);
  assert.equal(checked.length, before, 'gone from the organisation: never checked again');
  assert.deepEqual(supervisor.accountIds(), [id(1)]);
});

test("the targets: each usable account's own regions (else the global ones)", async (t) => {
  const { supervisor, signal } = setUp(t, new Map());
  await supervisor.start([{ id: id(1) }, { id: id(2), regions: ['ap-south-1'] }], signal);
  assert.deepEqual(supervisor.targets().map((target) => target.key), [`${id(1)}/us-east-1`, `${id(1)}/eu-west-1`, `${id(2)}/ap-south-1`]);
});
