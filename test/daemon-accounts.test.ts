import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_FAILURE, EXIT_FATAL, EXIT_OK } from '../src/lib/errors';
import { noTelemetry, type Telemetry } from '../src/observability/telemetry';
import { startAccountsRig, writeRecords } from './support/accounts-daemon';
import { startSmtp } from './support/smtp';

// Issue 10 items 1–3 end to end: three accounts (A by role, B by profile, C whose role is denied) × three regions,
// the real daemon and SDK clients against the account-aware simulators, a real SMTP server, a manual clock.

const MIN = 60_000;
const BOUNDED = { timeout: 120_000 };
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1'];
const [A, B, C] = ['111111111111', '222222222222', '333333333333'];
/**
 * The manual clock jumps whenever a task sleeps, even with a request in flight: a region alert (after
 * alertAfterMinutes of failures while its sibling's answer is still on the wire) would be a timing artefact here,
 * and a target starting later than planned must still find events of "a few minutes ago" (a day of lookback).
 */
const QUIET = { digest: { enabled: false }, alertAfterMinutes: 24 * 60, initialLookbackMinutes: 24 * 60 };

/** How many 1-hour sessions an account needs over `elapsed` ms: renewed 5 minutes before each expiry. */
function sessionsBy(elapsed: number): number {
  return 1 + Math.floor(elapsed / (55 * MIN));
}

/** Waits for a condition (the manual clock runs itself meanwhile), never for time. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

function recordingTelemetry(): Telemetry & { started: string[] } {
  const started: string[] = [];
  return { ...noTelemetry, started, targetStarted: (key) => void started.push(key) };
}

test('A by role, B by profile, C denied: A and B post every event once naming their account, C is alerted once, retried every 5 minutes, and recovers when allowed', BOUNDED, async (t) => {
  const rig = await startAccountsRig(t);
  const smtp = await startSmtp(t);
  const { sims, clock } = rig;
  const roleA = sims.addRole(A, { externalId: 'ext-a-42' });
  rig.addProfile('account-b', B);
  const roleC = sims.addRole(C, { denied: true });
  const records = writeRecords(9);
  const t0 = clock.now();
  const ids = new Map<string, string[]>([[A, []], [B, []], [C, []]]);
  const addEvents = (account: string, a: number, at: number) => REGIONS.forEach((region, r) => {
    const id = sims.cloudtrail.addRecord(records[a * 3 + r]!, { account, region, eventTime: at });
    ids.get(account)!.push(id!);
  });
  addEvents(A, 0, t0 - 5 * MIN);
  addEvents(B, 1, t0 - 5 * MIN);
  const config = {
    ...rig.config(
      { regions: REGIONS, pollIntervalSeconds: 3600 },
      QUIET,
      { SMTP_URL: smtp.url, ALERT_EMAIL_TO: 'ops@example.com', ALERT_EMAIL_FROM: 'ct@example.com' },
    ),
    accounts: [
      { id: A, name: 'prod', roleArn: roleA, externalId: 'ext-a-42' },
      { id: B, name: 'staging', profile: 'account-b' },
      { id: C, name: 'sandbox', roleArn: roleC },
    ],
  };
  const telemetry = recordingTelemetry();
  const run = rig.run(config, { telemetry });

  const posted = await sims.slack.waitForMessages(6);
  await smtp.waitForMails(1);
  const accountOf = (raw: string) => [A, B, C].filter((id) => ids.get(id)!.some((eventId) => raw.includes(eventId)));
  for (const message of posted) {
    const [account] = accountOf(message.raw);
    assert.ok(account === A || account === B, 'only the usable accounts post');
    assert.ok(message.raw.includes(account!), `the message names its account ${account}`);
  }
  // The clock runs itself (every task asleep: time jumps to the next wake-up), so sessions may have been renewed.
  assert.ok(sims.book.assumeRoleCalls(roleA) <= sessionsBy(clock.now() - t0), 'one AssumeRole for A across its three regions, per session');
  assert.ok(sims.book.assumeRoleCalls(roleC) <= 1 + Math.floor((clock.now() - t0) / (5 * MIN)), 'C tried before ready, then every 5 minutes');
  const [alert] = smtp.received;
  assert.match(alert!.subject, /account-unusable/);
  assert.match(alert!.body, /sandbox \(333333333333\)/, 'the alert names the account by name and ID');
  assert.match(alert!.body, /trust policy/, 'and says what to fix');

  // Retried every 5 minutes: AssumeRole is seen again, and nothing is alerted a second time.
  await until(() => sims.book.assumeRoleCalls(roleC) >= 2);
  assert.equal(clock.now() - t0 >= 5 * MIN, true, 'not before 5 minutes');
  assert.equal(smtp.received.length, 1, 'alerted once');

  // The trust policy fixed: the next retry un-pauses C, its events are posted, and one "recovered" email follows.
  assert.ok(sims.book.assumeRoleCalls(roleC) <= 1 + Math.floor((clock.now() - t0) / (5 * MIN)), 'never more often than every 5 minutes');
  sims.book.setRoleDenied(roleC, false);
  // C's events of the last minutes: its first poll (initial lookback) reads them once it is usable again.
  addEvents(C, 2, clock.now() - 1 * MIN);
  await sims.slack.waitForMessages(9);
  await smtp.waitForMails(2);
  assert.match(smtp.received[1]!.subject, /recovered: account-unusable/);
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);

  const all = sims.slack.received.map((m) => m.raw);
  for (const [account, eventIds] of ids) {
    for (const eventId of eventIds) assert.equal(all.filter((raw) => raw.includes(eventId)).length, 1, `${account}'s ${eventId} posted exactly once`);
  }
  assert.ok(sims.book.assumeRoleCalls(roleA) <= sessionsBy(clock.now() - t0), "A's session renewed only as it expires: C's retries never touched it");
  for (const account of [A, B, C]) {
    for (const region of REGIONS) assert.ok(existsSync(join(rig.stateDir, `.${account}.${region}.cloudtrail.state`)), `.${account}.${region}.cloudtrail.state`);
  }
  assert.ok(!existsSync(join(rig.stateDir, '.default.us-east-1.cloudtrail.state')), 'no single-account file');
  assert.deepEqual(new Set(telemetry.started), new Set([A, B, C].flatMap((id) => REGIONS.map((region) => `${id}/${region}`))));
  const lines = run.logs.lines;
  assert.equal(lines.filter((l) => l.msg === 'account unusable: its regions are paused').length, 1);
  assert.equal(lines.filter((l) => l.msg === 'account usable again: polling its regions' && l.account === C).length, 1);
});

test('every account unusable at start: one alert, no "ready", exit 77', BOUNDED, async (t) => {
  const rig = await startAccountsRig(t);
  const smtp = await startSmtp(t);
  const roleA = rig.sims.addRole(A, { denied: true });
  rig.addProfile('account-b', B);
  const config = {
    ...rig.config({ regions: REGIONS }, QUIET, { SMTP_URL: smtp.url, ALERT_EMAIL_TO: 'ops@example.com', ALERT_EMAIL_FROM: 'ct@example.com' }),
    // B's profile is fine, but it belongs to account B, not C: unusable too (its events would be named wrongly).
    accounts: [{ id: A, roleArn: roleA }, { id: C, profile: 'account-b' }, { id: B, profile: 'no-such-profile' }],
  };
  const run = rig.run(config);
  assert.equal(await run.done, EXIT_FATAL);
  assert.equal(smtp.received.length, 1, 'one alert for the whole start');
  assert.match(smtp.received[0]!.body, /no account can be used/);
  assert.match(smtp.received[0]!.body, /belong to account 222222222222, not 333333333333/);
  assert.ok(!run.logs.lines.some((l) => l.msg === 'ready'), 'stopped before ready');
  assert.equal(rig.sims.slack.received.length, 0);
});

test('an account denied LookupEvents in every region is paused and alerted once, the others go on; allowed again, it resumes', BOUNDED, async (t) => {
  const rig = await startAccountsRig(t);
  const smtp = await startSmtp(t);
  const { sims, clock } = rig;
  const roleA = sims.addRole(A);
  const roleB = sims.addRole(B);
  sims.cloudtrail.denyAccount(B, true);
  const [first, second, third] = writeRecords(3);
  const t0 = clock.now();
  const idA = sims.cloudtrail.addRecord(first!, { account: A, region: 'eu-west-1', eventTime: t0 - 5 * MIN })!;
  const idB = sims.cloudtrail.addRecord(second!, { account: B, region: 'us-east-1', eventTime: t0 - 5 * MIN })!;
  const config = {
    ...rig.config({ regions: ['us-east-1', 'eu-west-1'], pollIntervalSeconds: 60 }, QUIET,
      { SMTP_URL: smtp.url, ALERT_EMAIL_TO: 'ops@example.com', ALERT_EMAIL_FROM: 'ct@example.com' }),
    accounts: [{ id: A, roleArn: roleA }, { id: B, name: 'audit', roleArn: roleB }],
  };
  const run = rig.run(config);
  await smtp.waitForMails(1);
  assert.match(smtp.received[0]!.subject, /account-unusable/);
  assert.match(smtp.received[0]!.body, /cloudtrail:LookupEvents/, 'says which permission is missing');
  await sims.slack.waitForMessages(1);
  assert.ok(sims.slack.received[0]!.raw.includes(idA));
  // A goes on polling meanwhile: a new event of A, minutes later, is posted while B stays paused.
  const idA2 = sims.cloudtrail.addRecord(third!, { account: A, region: 'us-east-1', eventTime: clock.now() + 3 * MIN })!;
  await sims.slack.waitForMessages(2);
  assert.ok(sims.slack.received[1]!.raw.includes(idA2));
  sims.cloudtrail.denyAccount(B, false);
  await sims.slack.waitForMessages(3);
  await smtp.waitForMails(2);
  assert.ok(sims.slack.received[2]!.raw.includes(idB));
  assert.match(smtp.received[1]!.subject, /recovered: account-unusable/);
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
  assert.equal(smtp.received.filter((m) => /\] account-unusable/.test(m.subject)).length, 1, 'alerted once');
});

test('--once with one account unusable: the others pass, the pass fails (exit 1) naming the paused account\'s regions', BOUNDED, async (t) => {
  const rig = await startAccountsRig(t);
  const { sims, clock } = rig;
  const roleA = sims.addRole(A);
  const roleC = sims.addRole(C, { denied: true });
  const [record] = writeRecords(1);
  const idA = sims.cloudtrail.addRecord(record!, { account: A, region: 'eu-west-1', eventTime: clock.now() - 5 * MIN })!;
  const config = { ...rig.config({ regions: ['eu-west-1', 'us-east-1'], once: true }, QUIET), accounts: [{ id: A, roleArn: roleA }, { id: C, roleArn: roleC }] };
  const run = rig.run(config);
  assert.equal(await run.done, EXIT_FAILURE);
  assert.ok(sims.slack.received.some((m) => m.raw.includes(idA)), "A's event is posted");
  const pass = run.logs.lines.find((l) => l.msg === 'pass complete');
  assert.deepEqual(pass?.failedRegions, [`${C}/eu-west-1`, `${C}/us-east-1`]);
});

test("an event of one account that Slack rejects twice is recorded in that account's own undeliverable file", BOUNDED, async (t) => {
  const rig = await startAccountsRig(t);
  const { sims, clock } = rig;
  const roleA = sims.addRole(A);
  const [record] = writeRecords(1);
  const idA = sims.cloudtrail.addRecord(record!, { account: A, region: 'eu-west-1', eventTime: clock.now() - 5 * MIN })!;
  sims.slack.respondNext({ status: 400, body: 'invalid_payload' }, { status: 400, body: 'invalid_payload' });
  const config = { ...rig.config({ regions: ['eu-west-1'], once: true }, QUIET), accounts: [{ id: A, roleArn: roleA }] };
  assert.equal(await rig.run(config).done, EXIT_OK);
  const lines = readFileSync(join(rig.stateDir, `.${A}.eu-west-1.undeliverable.jsonl`), 'utf8').trim().split('\n');
  assert.deepEqual(lines.map((line) => (JSON.parse(line) as { id: string }).id), [idA]);
});
