import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listenOnLoopback } from '../src/sim/loopback-server';
import { startCloudTrailSimulator } from '../src/sim/cloudtrail-server';
import { createLookupClient } from '../src/cloudtrail/client';
import { createAccountCredentials, ROLE_SESSION_NAME } from '../src/aws/account-credentials';
import { classifyError } from '../src/errors/classify';
import { ManualClock } from './support/manual-clock';

// Credentials per account (issue 10 item 1) with the real SDK providers against a minimal local STS (API-FACTS
// K.4's wire format: a form-encoded AssumeRole, an XML answer).

const BASE = { accessKeyId: 'AKIDBASEBASEBASE', secretAccessKey: 'base-secret' };
const ROLE_A = 'arn:aws:iam::111111111111:role/cloudtrail-slack-reader';
const ROLE_DENIED = 'arn:aws:iam::333333333333:role/cloudtrail-slack-reader';

interface AssumeCall {
  params: URLSearchParams;
  authorization: string;
}

async function startFakeSts(t: { after(fn: () => unknown): void }, clock: ManualClock, lifetimeMs = 3_600_000) {
  const calls: AssumeCall[] = [];
  const server = await listenOnLoopback(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const params = new URLSearchParams(body);
    calls.push({ params, authorization: String(req.headers.authorization ?? '') });
    if (params.get('RoleArn') === ROLE_DENIED) {
      res.writeHead(403, { 'content-type': 'text/xml' });
      res.end('<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/base is not authorized to perform: sts:AssumeRole</Message></Error><RequestId>r1</RequestId></ErrorResponse>');
      return;
    }
    const expiration = new Date(clock.now() + lifetimeMs).toISOString();
    res.writeHead(200, { 'content-type': 'text/xml' });
    res.end(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIAROLE${calls.length}</AccessKeyId><SecretAccessKey>s${calls.length}</SecretAccessKey><SessionToken>tok${calls.length}</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::111111111111:assumed-role/r/cloudtrail-slack</Arn><AssumedRoleId>AROA:cloudtrail-slack</AssumedRoleId></AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>`);
  });
  t.after(() => server.close());
  return { url: server.url, calls };
}

test('one AssumeRole per account, shared by its clients in three regions, with our session name, 1 hour and the ExternalId', async (t) => {
  const clock = new ManualClock();
  const sts = await startFakeSts(t, clock);
  const cloudtrail = await startCloudTrailSimulator({ now: () => clock.now() });
  t.after(() => cloudtrail.close());
  const credentials = createAccountCredentials({ base: BASE, stsRegion: 'eu-west-1', stsEndpoint: sts.url, clock });
  const account = { id: '111111111111', roleArn: ROLE_A, externalId: 'ext-42' };
  const clients = ['us-east-1', 'eu-central-1', 'ap-south-1'].map((region) =>
    createLookupClient({ region, endpoint: cloudtrail.url, credentials: credentials.providerFor(account), requestTimeoutMs: 5000 }));
  t.after(() => clients.forEach((c) => c.destroy()));
  for (const client of clients) await client.lookupEvents({ start: clock.now() - 60_000, end: clock.now() });
  for (const client of clients) await client.lookupEvents({ start: clock.now() - 60_000, end: clock.now() });

  assert.equal(sts.calls.length, 1, 'one session for the account, whatever the number of regional clients');
  const [call] = sts.calls;
  assert.equal(call!.params.get('Action'), 'AssumeRole');
  assert.equal(call!.params.get('RoleArn'), ROLE_A);
  assert.equal(call!.params.get('RoleSessionName'), ROLE_SESSION_NAME);
  assert.equal(call!.params.get('DurationSeconds'), '3600');
  assert.equal(call!.params.get('ExternalId'), 'ext-42');
  assert.match(call!.authorization, /Credential=AKIDBASEBASEBASE\/\d{8}\/eu-west-1\/sts\//, 'signed with the base keys for the explicit STS region');
  assert.equal(credentials.providerFor({ ...account }), credentials.providerFor(account), 'the same provider for the same account');
});

test('the session is assumed again only when it nears its expiry (5 minutes before), on the daemon clock', async (t) => {
  const clock = new ManualClock();
  const sts = await startFakeSts(t, clock);
  const provider = createAccountCredentials({ base: BASE, stsRegion: 'us-east-1', stsEndpoint: sts.url, clock })
    .providerFor({ id: '111111111111', roleArn: ROLE_A });
  const first = await provider();
  await clock.advance(50 * 60_000);
  assert.equal((await provider()).accessKeyId, first.accessKeyId, 'still 10 minutes left: the same session');
  assert.equal(sts.calls.length, 1);
  await clock.advance(6 * 60_000);
  assert.notEqual((await provider()).accessKeyId, first.accessKeyId, '4 minutes left: a new session');
  assert.equal(sts.calls.length, 2);
});

test('a denied role rejects as access-denied, and the next call asks STS again (no failure is cached)', async (t) => {
  const clock = new ManualClock();
  t.after(clock.autoAdvance()); // the second call waits its turn at the STS pace
  const sts = await startFakeSts(t, clock);
  const provider = createAccountCredentials({ base: BASE, stsRegion: 'us-east-1', stsEndpoint: sts.url, clock })
    .providerFor({ id: '333333333333', roleArn: ROLE_DENIED });
  const first = await provider().then(() => undefined, (error: unknown) => error);
  assert.equal(classifyError(first).kind, 'access-denied');
  await assert.rejects(provider());
  assert.equal(sts.calls.length, 2, 'retried: the supervisor decides how often');
});

test('many accounts starting together are paced: STS calls are spread at the shared rate', async (t) => {
  const clock = new ManualClock();
  const stopAuto = clock.autoAdvance();
  t.after(stopAuto);
  const sts = await startFakeSts(t, clock);
  const credentials = createAccountCredentials({ base: BASE, stsRegion: 'us-east-1', stsEndpoint: sts.url, clock, stsCallsPerSecond: 2 });
  const t0 = clock.now();
  const ids = ['100000000001', '100000000002', '100000000003', '100000000004', '100000000005'];
  await Promise.all(ids.map((id) => credentials.providerFor({ id, roleArn: `arn:aws:iam::${id}:role/r` })()));
  assert.equal(sts.calls.length, 5);
  assert.ok(clock.now() - t0 >= 2000, `five calls at 2 per second take at least 2 s of clock (took ${clock.now() - t0} ms)`);
});

test('an account without role nor profile uses the base credentials; with a profile, that profile', async () => {
  const clock = new ManualClock();
  const credentials = createAccountCredentials({ base: BASE, stsRegion: 'us-east-1', clock });
  assert.equal((await credentials.providerFor({ id: '123456789012' })()).accessKeyId, BASE.accessKeyId);
  const missing = await credentials.providerFor({ id: '222222222222', profile: 'no-such-profile-here' })().then(() => undefined, (e: unknown) => e);
  assert.equal(classifyError(missing).kind, 'no-credentials', 'a missing profile is the account\'s unusable credentials');
});
