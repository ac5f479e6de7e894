import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { IdentityAnswerError, IdentityTimeoutError, stsRegionFor, whoAmI } from '../src/aws/identity';
import { classifyAwsError } from '../src/cloudtrail/client';
import { startStsSimulator, SIM_IDENTITY } from '../src/sim/sts-server';
import { ManualClock } from './support/manual-clock';

const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

async function setUp(t: TestContext) {
  const sts = await startStsSimulator();
  t.after(() => sts.close());
  const options = { region: 'eu-west-1', endpoint: sts.url, credentials: CREDENTIALS };
  return { sts, options };
}

test('whoAmI returns the account, ARN and user ID from GetCallerIdentity, signed for the region it is given', async (t) => {
  const { sts, options } = await setUp(t);
  sts.setIdentity({ account: '111122223333', arn: 'arn:aws:sts::111122223333:assumed-role/Audit/cts', userId: 'AROAEXAMPLE:cts' });
  assert.deepEqual(await whoAmI(options), {
    account: '111122223333',
    arn: 'arn:aws:sts::111122223333:assumed-role/Audit/cts',
    userId: 'AROAEXAMPLE:cts',
  });
  assert.equal(sts.requests.length, 1);
  const [request] = sts.requests;
  assert.equal(request?.operation, 'GetCallerIdentity');
  assert.deepEqual(request?.params, { Action: 'GetCallerIdentity', Version: '2011-06-15' });
  assert.equal(request?.region, 'eu-west-1', 'K.2: STS is regional; the first configured region signs');
  assert.equal(request?.service, 'sts');
});

test('whoAmI: invalid and expired keys are the credential kinds the daemon already knows, and never retried', async (t) => {
  const { sts, options } = await setUp(t);
  sts.failNext('InvalidClientTokenId');
  const invalid = await whoAmI(options).catch((error: unknown) => error);
  assert.equal(classifyAwsError(invalid), 'unrecognized-client');
  sts.failNext('ExpiredToken');
  const expired = await whoAmI(options).catch((error: unknown) => error);
  assert.equal(classifyAwsError(expired), 'expired-token');
  assert.equal(sts.requests.length, 2, 'one request each: no SDK retry underneath');
});

test('whoAmI: a refused connection and a 503 are transient (the daemon runs on and asks again later)', async (t) => {
  const { sts, options } = await setUp(t);
  sts.failNext('refuse');
  assert.equal(classifyAwsError(await whoAmI(options).catch((error: unknown) => error)), 'transient');
  sts.failNext('ServiceUnavailable');
  assert.equal(classifyAwsError(await whoAmI(options).catch((error: unknown) => error)), 'transient');
  assert.deepEqual(await whoAmI(options), SIM_IDENTITY, 'and the next call works');
});

test('whoAmI is bounded by its timeout: an STS that never answers gives a transient TimeoutError', async (t) => {
  const { sts, options } = await setUp(t);
  const clock = new ManualClock();
  sts.failNext('hang');
  let settled = false;
  const call = whoAmI({ ...options, clock, timeoutMs: 5_000 }).catch((error: unknown) => error).finally(() => (settled = true));
  await sts.waitForRequests(1);
  await clock.advance(4_999);
  assert.equal(settled, false, 'still waiting 1 ms before the timeout');
  await clock.advance(1);
  const error = await call;
  assert.ok(error instanceof IdentityTimeoutError, String(error));
  assert.equal(classifyAwsError(error), 'transient');
  assert.match((error as Error).message, /did not answer within 5000 ms/);
});

test('whoAmI stops at once on the stop signal, with its reason', async (t) => {
  const { sts, options } = await setUp(t);
  const stop = new AbortController();
  sts.failNext('hang');
  const call = whoAmI({ ...options, clock: new ManualClock() }, stop.signal).catch((error: unknown) => error);
  await sts.waitForRequests(1);
  const reason = new Error('stop');
  stop.abort(reason);
  assert.equal(await call, reason);
});

test('whoAmI refuses an answer that is not an identity (the values reach logs, emails and metric labels)', async (t) => {
  const { sts, options } = await setUp(t);
  for (const bad of [
    { ...SIM_IDENTITY, account: '12345' },
    { ...SIM_IDENTITY, account: '123456789012\n<!channel>' },
    { ...SIM_IDENTITY, arn: 'not an arn' },
    { ...SIM_IDENTITY, arn: 'arn:aws:iam::123456789012:user/a b' },
    { ...SIM_IDENTITY, userId: '' },
  ]) {
    sts.setIdentity(bad);
    await assert.rejects(whoAmI(options), IdentityAnswerError, JSON.stringify(bad));
  }
});

test('stsRegionFor: the first configured region every account has, else the first, else AWS_REGION, else us-east-1', () => {
  assert.equal(stsRegionFor(['eu-west-3', 'us-east-1'], 'ap-south-1'), 'eu-west-3');
  assert.equal(stsRegionFor(['ap-east-1', 'eu-west-3'], 'ap-south-1'), 'eu-west-3', 'an opt-in region may be disabled (A.5)');
  assert.equal(stsRegionFor(['ap-east-1']), 'ap-east-1');
  assert.equal(stsRegionFor([], 'ap-south-1'), 'ap-south-1');
  assert.equal(stsRegionFor([], ''), 'us-east-1');
  assert.equal(stsRegionFor([]), 'us-east-1');
});
