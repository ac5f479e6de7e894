import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { AccountSupervisor, ACCOUNT_RETRY_MS, type AccountSupervisorOptions } from '../src/targets/account-supervisor';
import { AccountDirectory } from '../src/targets/account-directory';
import type { AccountVerdict } from '../src/targets/account-check';
import type { AlertInput } from '../src/alerts/alerter';
import { formatAlertEmail } from '../src/alerts/email';
import { StatusBoard } from '../src/observability/status-board';
import { captureLogger } from './support/daemon-harness';
import { ManualClock } from './support/manual-clock';

// The reviewer's defects in the account supervisor (issue 10 item 3): which shard alerts a paused account, how a
// paused account shows on the status board, what resumes an account paused for denied lookups, how it is named.

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1'];
const A = '111111111111';
const B = '222222222222';
const denied: AccountVerdict = { usable: false, kind: 'access-denied', reason: 'AccessDenied: not authorized to perform sts:AssumeRole', advice: 'fix the trust policy' };

function supervisorOf(t: { after(fn: () => unknown): void }, extra: Partial<AccountSupervisorOptions> & { verdicts: Map<string, AccountVerdict> }) {
  const clock = (extra.clock as ManualClock | undefined) ?? new ManualClock();
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  const alerts: AlertInput[] = [];
  const work: Array<Promise<void>> = [];
  const logs = captureLogger();
  const { verdicts, ...rest } = extra;
  const supervisor = new AccountSupervisor({
    regions: REGIONS,
    shard: { index: 0, count: 1 },
    check: async (account) => verdicts.get(account.id) ?? { usable: true },
    alerter: { alert: async (input) => void alerts.push(input) },
    directory: new AccountDirectory(),
    clock,
    log: logs.log,
    signal: stop.signal,
    track: (w) => void work.push(w),
    ...rest,
  });
  supervisor.attach(() => undefined);
  t.after(async () => {
    stop.abort();
    await Promise.allSettled(work);
  });
  return { supervisor, alerts, logs, clock, signal: stop.signal };
}

test('a paused account is alerted by exactly one shard of several (the one owning its ID); the others only log it', async (t) => {
  const alerts: AlertInput[] = [];
  const verdicts = new Map([[B, denied]]);
  const alerter = { alert: async (input: AlertInput) => void alerts.push(input) };
  for (const count of [2, 3, 5]) {
    alerts.length = 0;
    for (let index = 0; index < count; index += 1) {
      const { supervisor, signal } = supervisorOf(t, { verdicts, shard: { index, count }, alerter });
      await supervisor.start([{ id: A }, { id: B, name: 'sandbox' }], signal);
      await supervisor.alertPaused();
      await supervisor.unusable(B, { kind: 'access-denied', reason: 'denied everywhere' });
    }
    assert.equal(alerts.length, 1, `one alert in all across ${count} shards`);
  }
});

test("while an account is paused, each of its targets this shard owns shows failing on the status board, and it clears once the account resumes", async (t) => {
  const clock = new ManualClock();
  const board = new StatusBoard(() => clock.now());
  const verdicts = new Map([[B, denied]]);
  const { supervisor, signal } = supervisorOf(t, { verdicts, clock, telemetry: board });
  await supervisor.start([{ id: A }, { id: B, name: 'sandbox' }], signal);
  await supervisor.alertPaused();
  const rowsOf = (id: string) => board.view().filter((row) => row.account === id);
  assert.deepEqual(rowsOf(B).map((row) => row.region).sort(), [...REGIONS].sort());
  for (const row of rowsOf(B)) {
    assert.equal(row.state, 'failing');
    assert.match(row.lastError ?? '', /^account paused: AccessDenied/);
  }
  assert.equal(board.readiness(60_000).ready, false, '/readyz names the paused targets');
  verdicts.delete(B);
  await clock.advance(ACCOUNT_RETRY_MS);
  await waitFor(() => rowsOf(B).length === 0);
  assert.equal(rowsOf(B).length, 0, 'resumed: the pollers register its targets again');
});

test('an account paused for denied lookups resumes only once LookupEvents answers, never on an STS-only check', async (t) => {
  const clock = new ManualClock();
  const probed: string[] = [];
  let lookupWorks = false;
  const { supervisor, signal, logs } = supervisorOf(t, {
    verdicts: new Map(),
    clock,
    probe: async (account) => {
      probed.push(account.id);
      return lookupWorks ? { usable: true } : { usable: false, kind: 'access-denied', reason: 'AccessDenied: cloudtrail:LookupEvents', advice: 'allow it' };
    },
  });
  await supervisor.start([{ id: A }, { id: B }], signal);
  await supervisor.alertPaused();
  await supervisor.unusable(B, { kind: 'access-denied', reason: 'denied in every region' });
  assert.ok(supervisor.isPaused(B));
  for (let i = 0; i < 3; i += 1) {
    await clock.advance(ACCOUNT_RETRY_MS);
    await waitFor(() => probed.length > i);
    assert.ok(supervisor.isPaused(B), 'still paused: STS works but LookupEvents is denied');
  }
  assert.equal(logs.lines.filter((l) => String(l.msg).includes('usable again')).length, 0);
  lookupWorks = true;
  await clock.advance(ACCOUNT_RETRY_MS);
  await waitFor(() => !supervisor.isPaused(B));
  assert.equal(logs.lines.filter((l) => String(l.msg).includes('usable again')).length, 1);
});

test('the account-unusable alert names the account "name (id)", has no Region row, and stays keyed by the account', async (t) => {
  const verdicts = new Map([[B, denied]]);
  const { supervisor, alerts, signal } = supervisorOf(t, { verdicts });
  await supervisor.start([{ id: A }, { id: B, name: 'sandbox' }], signal);
  await supervisor.alertPaused();
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]!.region, B, 'the cooldown key is the account');
  const email = formatAlertEmail({ host: 'h', program: 'p', pid: 1, profile: 'default' },
    { kind: alerts[0]!.kind, region: alerts[0]!.region, accountName: 'sandbox', account: B, reason: alerts[0]!.reason, action: alerts[0]!.action }, 0, 60_000);
  assert.match(email.subject, /account-unusable for account sandbox \(222222222222\)/);
  assert.doesNotMatch(email.subject, / in 222222222222/);
  assert.doesNotMatch(email.text, /Region/);
  assert.match(email.text, /AWS account: +sandbox \(222222222222\)/);
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}
