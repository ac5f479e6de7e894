import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { whoAmI } from '../src/aws/identity';
import { createIdentityCell } from '../src/aws/learn-identity';
import { EXIT_FATAL, EXIT_OK } from '../src/lib/errors';
import { startStsSimulator, SIM_IDENTITY } from '../src/sim/sts-server';
import { startHarness, TEST_CREDENTIALS } from './support/daemon-harness';
import { startSmtp } from './support/smtp';

/** A broken daemon must fail a test, not hang the run. */
const BOUNDED = { timeout: 90_000 };
const REGIONS = ['eu-west-3', 'us-east-1'];

async function setUp(t: TestContext) {
  const h = await startHarness(t);
  const sts = await startStsSimulator();
  t.after(() => sts.close());
  const calls: string[] = [];
  const ask = (region: string) => (signal: AbortSignal) => {
    calls.push(region);
    // The timeout on the real clock, as in production: the harness clock jumps whenever everything sleeps.
    return whoAmI({ region, endpoint: sts.url, credentials: TEST_CREDENTIALS }, signal);
  };
  return { h, sts, ask, calls };
}

test('logs "running as" once at start with the account and principal, before "ready"', BOUNDED, async (t) => {
  const { h, sts, ask } = await setUp(t);
  const identity = createIdentityCell();
  // A record that names no account (synthetic): its message names the account the daemon runs as.
  h.cloudtrail.addRecord(
    { eventID: 'a0000000-0000-4000-8000-000000000001', eventName: 'CreateTags', eventSource: 'ec2.amazonaws.com', eventTime: new Date(h.clock.now() - 5 * 60_000).toISOString(), awsRegion: 'us-east-1', readOnly: false, userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' } },
    { region: 'us-east-1' },
  );
  const run = h.run(h.config({ regions: REGIONS, once: true }), { whoAmI: ask(REGIONS[0]!), identity });
  assert.equal(await run.done, EXIT_OK);
  const [message] = h.slack.received;
  assert.match(String((message?.body as { text?: string } | undefined)?.text), /in us-east-1 · account 123456789012$/);
  const messages = run.logs.lines.map((l) => l.msg);
  const runningAs = run.logs.lines.filter((l) => l.msg === 'running as');
  assert.equal(runningAs.length, 1);
  assert.deepEqual(
    { account: runningAs[0]?.account, arn: runningAs[0]?.arn, userId: runningAs[0]?.userId },
    SIM_IDENTITY,
  );
  assert.ok(messages.indexOf('running as') < messages.indexOf('ready'), messages.join(' | '));
  assert.deepEqual(identity.current(), SIM_IDENTITY, 'exposed to the rest of the daemon (metrics)');
  assert.equal(sts.requests[0]?.region, 'eu-west-3', 'K.2: signed for the first configured region');
});

test('STS rejecting the credentials at start is the fatal "credentials" case: exit 77, one line, no poll', BOUNDED, async (t) => {
  const { h, sts, ask } = await setUp(t);
  sts.setFailure('InvalidClientTokenId');
  const told: string[] = [];
  const run = h.run(h.config({ regions: REGIONS, once: true }), { whoAmI: ask(REGIONS[0]!), reportFailure: (line) => told.push(line) });
  assert.equal(await run.done, EXIT_FATAL);
  assert.equal(told.length, 1);
  assert.match(told[0] ?? '', /AWS STS rejected the credentials \(InvalidClientTokenId \(HTTP 403\)/);
  assert.match(told[0] ?? '', /check the profile or access keys/);
  const fatal = run.logs.lines.find((l) => l.level === 60);
  assert.equal(fatal?.errorKind, 'credentials');
  assert.equal(h.cloudtrail.requests.length, 0, 'no LookupEvents before the credentials are known to work');
});

test('expired credentials at start: the same fatal "credentials" case', BOUNDED, async (t) => {
  const { h, sts, ask } = await setUp(t);
  sts.setFailure('ExpiredToken');
  const run = h.run(h.config({ regions: REGIONS }), { whoAmI: ask(REGIONS[0]!) });
  assert.equal(await run.done, EXIT_FATAL);
  assert.equal(run.logs.lines.find((l) => l.level === 60)?.errorKind, 'credentials');
});

test('STS unreachable at start: one warning, the daemon runs with the account unknown, and learns it later', BOUNDED, async (t) => {
  const { h, sts, ask } = await setUp(t);
  const smtp = await startSmtp(t);
  sts.failNext('refuse', 2);
  const identity = createIdentityCell();
  const learned = new Promise<void>((resolve) => identity.onKnown(() => resolve()));
  const config = h.config({ regions: REGIONS }, { SMTP_URL: smtp.url, ALERT_EMAIL_TO: 'ops@example.com' });
  const run = h.run(config, { whoAmI: ask(REGIONS[0]!), identity });
  await learned; // the first retry is refused too; the second answers
  assert.equal(sts.requests.length, 3);
  const warnings = run.logs.lines.filter((l) => l.level === 40 && /cannot tell which AWS account/.test(String(l.msg)));
  assert.equal(warnings.length, 1, 'warned once, not at every retry');
  assert.equal(warnings[0]?.errorKind, 'transient');
  // An alert from now on names the account (the emails read the identity when they are written).
  h.cloudtrail.setRegionFailure('*', 'UnrecognizedClientException');
  assert.equal(await run.done, EXIT_FATAL);
  await smtp.waitForMails(1);
  assert.match(smtp.received[0]?.body ?? '', /^AWS account: 123456789012 \(arn:aws:iam::123456789012:user\/cloudtrail-slack\)$/m);
  assert.equal(run.logs.lines.filter((l) => l.msg === 'running as').length, 1);
  assert.ok(run.logs.lines.some((l) => l.msg === 'ready'), 'it ran on meanwhile (and polled: every region failing ended it)');
});

test('a stop while STS has not answered yet (before "ready") is a clean stop: exit 0, no fatal alert', BOUNDED, async (t) => {
  const { h } = await setUp(t);
  let asked!: () => void;
  const askedOnce = new Promise<void>((resolve) => (asked = resolve));
  // GetCallerIdentity hangs until the daemon's stop aborts it, as a slow STS would.
  const hanging = (signal: AbortSignal) => {
    asked();
    return new Promise<never>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  };
  const told: string[] = [];
  const run = h.run(h.config({ regions: REGIONS }), { whoAmI: hanging, reportFailure: (line) => told.push(line) });
  await askedOnce;
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
  assert.deepEqual(told, [], 'no failure line on stderr');
  assert.equal(run.logs.lines.filter((l) => Number(l.level) >= 50).length, 0, 'no error or fatal log line');
  assert.equal(h.cloudtrail.requests.length, 0, 'no poller started');
});
