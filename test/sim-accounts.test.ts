import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { ListAccountsCommand, OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations';
import { createCloudTrailClient } from '../src/aws/clients';
import { SimAccountBook } from '../src/sim/account-book';
import { startStsSimulator, SIM_IDENTITY } from '../src/sim/sts-server';
import { startOrganizationsSimulator } from '../src/sim/organizations-server';
import { startAccountSims, BASE_ACCOUNT } from './support/sims';
import type { CloudTrailRecord } from '../src/events/types';

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const PROD = '111111111111';
const DEV = '222222222222';
const ROLE = `arn:aws:iam::${PROD}:role/CloudTrailSlackReader`;
const UNKNOWN_KEYS = { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' };

function sts(url: string, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) {
  return new STSClient({ region: 'eu-west-1', endpoint: url, credentials, maxAttempts: 1 });
}

function record(id: string, region: string, extra: Partial<CloudTrailRecord> = {}): CloudTrailRecord {
  return { eventID: id, eventName: 'CreateBucket', eventSource: 's3.amazonaws.com', awsRegion: region, readOnly: false, eventTime: new Date(NOW - 60_000).toISOString(), ...extra };
}

test('AssumeRole issues unique ASIA keys of the role\'s account, expiring at now + DurationSeconds, and counts calls', async (t) => {
  const sims = await startAccountSims(t, { now: () => NOW });
  sims.addRole(PROD);
  const client = sts(sims.sts.url, sims.baseKeys);
  t.after(() => client.destroy());
  const first = await client.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'cloudtrail-slack' }));
  const second = await client.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'cloudtrail-slack', DurationSeconds: 900 }));
  assert.match(first.Credentials?.AccessKeyId ?? '', /^ASIA[A-Z2-7]{16}$/);
  assert.notEqual(first.Credentials?.AccessKeyId, second.Credentials?.AccessKeyId);
  assert.ok((first.Credentials?.SessionToken ?? '').length > 20);
  assert.equal(first.Credentials?.Expiration?.getTime(), NOW + 3600_000);
  assert.equal(second.Credentials?.Expiration?.getTime(), NOW + 900_000);
  assert.equal(first.AssumedRoleUser?.Arn, `arn:aws:sts::${PROD}:assumed-role/CloudTrailSlackReader/cloudtrail-slack`);
  assert.equal(sims.book.accountOf(first.Credentials?.AccessKeyId ?? ''), PROD);
  assert.equal(sims.book.assumeRoleCalls(ROLE), 2);
  assert.equal(sims.book.assumeRoleCalls(), 2);

  const session = sts(sims.sts.url, {
    accessKeyId: first.Credentials?.AccessKeyId ?? '',
    secretAccessKey: first.Credentials?.SecretAccessKey ?? '',
    sessionToken: first.Credentials?.SessionToken ?? '',
  });
  t.after(() => session.destroy());
  const who = await session.send(new GetCallerIdentityCommand({}));
  assert.deepEqual([who.Account, who.Arn], [PROD, `arn:aws:sts::${PROD}:assumed-role/CloudTrailSlackReader/cloudtrail-slack`]);
  assert.match(who.UserId ?? '', /^AROA[0-9A-F]+:cloudtrail-slack$/);
});

test('AssumeRole checks RoleSessionName, DurationSeconds and the role\'s session limit like STS (ValidationError, 400)', async (t) => {
  const sims = await startAccountSims(t, { now: () => NOW });
  sims.addRole(PROD, { maxSessionSeconds: 7200 });
  const client = sts(sims.sts.url, sims.baseKeys);
  t.after(() => client.destroy());
  const bad = [
    { RoleSessionName: 'x' },
    { RoleSessionName: 'a'.repeat(65) },
    { RoleSessionName: 'has space' },
    { RoleSessionName: 'ok-name', DurationSeconds: 899 },
    { RoleSessionName: 'ok-name', DurationSeconds: 43_201 },
    { RoleSessionName: 'ok-name', DurationSeconds: 7201 }, // above the role's MaxSessionDuration
    { RoleSessionName: 'ok-name', ExternalId: 'x' },
  ];
  for (const input of bad) {
    await assert.rejects(client.send(new AssumeRoleCommand({ RoleArn: ROLE, ...input })), (error: { name: string; $metadata: { httpStatusCode: number } }) => {
      assert.equal(error.name, 'ValidationError', JSON.stringify(input));
      assert.equal(error.$metadata.httpStatusCode, 400);
      return true;
    });
  }
  const ok = await client.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'a@b.c,d=e+f', DurationSeconds: 7200 }));
  assert.equal(ok.Credentials?.Expiration?.getTime(), NOW + 7200_000);
  assert.equal(sims.book.assumeRoleCalls(ROLE), bad.length + 1);
});

test('AssumeRole refuses an unknown role, a denied one and a wrong external ID with AccessDenied (403) naming the role', async (t) => {
  const sims = await startAccountSims(t, { now: () => NOW });
  const guarded = sims.addRole(DEV, { externalId: 'team-secret-id' });
  sims.addRole(PROD, { denied: true });
  const client = sts(sims.sts.url, sims.baseKeys);
  t.after(() => client.destroy());
  const refused = async (input: { RoleArn: string; ExternalId?: string }) =>
    assert.rejects(client.send(new AssumeRoleCommand({ RoleSessionName: 'cloudtrail-slack', ...input })), (error: Error & { $metadata: { httpStatusCode: number } }) => {
      assert.equal(error.name, 'AccessDenied');
      assert.equal(error.$metadata.httpStatusCode, 403);
      assert.ok(error.message.includes(input.RoleArn), error.message);
      assert.ok(error.message.includes(`arn:aws:iam::${BASE_ACCOUNT}:`), error.message);
      return true;
    });
  await refused({ RoleArn: 'arn:aws:iam::333333333333:role/Nobody' });
  await refused({ RoleArn: ROLE });
  await refused({ RoleArn: guarded });
  await refused({ RoleArn: guarded, ExternalId: 'wrong-id' });
  const fine = await client.send(new AssumeRoleCommand({ RoleArn: guarded, RoleSessionName: 'cloudtrail-slack', ExternalId: 'team-secret-id' }));
  assert.equal(sims.book.accountOf(fine.Credentials?.AccessKeyId ?? ''), DEV);
  sims.book.setRoleDenied(ROLE, false); // the trust policy fixed: the retry works
  const fixed = await client.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'cloudtrail-slack' }));
  assert.equal(sims.book.accountOf(fixed.Credentials?.AccessKeyId ?? ''), PROD);
  assert.equal(sims.book.assumeRoleCalls(ROLE), 2);
});

test('GetCallerIdentity: an unknown key is the configured identity, a book key its own account', async (t) => {
  const book = new SimAccountBook();
  const sim = await startStsSimulator({ book });
  t.after(() => sim.close());
  const dev = book.issueKey(DEV);
  const own = book.issueKey(SIM_IDENTITY.account);
  const answers = [];
  for (const keys of [UNKNOWN_KEYS, dev, own]) {
    const client = sts(sim.url, keys);
    answers.push(await client.send(new GetCallerIdentityCommand({})));
    client.destroy();
  }
  assert.deepEqual(answers.map((a) => [a.Account, a.Arn]), [
    [SIM_IDENTITY.account, SIM_IDENTITY.arn],
    [DEV, `arn:aws:iam::${DEV}:user/cloudtrail-slack`],
    [SIM_IDENTITY.account, SIM_IDENTITY.arn],
  ]);
  assert.throws(() => book.addKey('AKIDX', '12345'), RangeError);
  assert.throws(() => book.addRole('arn:aws:iam::12:role/x'), RangeError);
});

test('Organizations ListAccounts pages (default 3, MaxResults 1–20), checks NextToken, and carries every field', async (t) => {
  const accounts = Array.from({ length: 7 }, (_, i) => ({ id: `10000000000${i}`, name: `acct-${i}` }));
  const sims = await startAccountSims(t, { now: () => NOW, organization: accounts });
  sims.organizations.setState('100000000003', 'CLOSED');
  const client = new OrganizationsClient({ region: 'us-east-1', endpoint: sims.organizations.url, credentials: sims.baseKeys, maxAttempts: 1 });
  t.after(() => client.destroy());
  const seen = [];
  for await (const page of paginateListAccounts({ client }, {})) seen.push(...(page.Accounts ?? []));
  assert.equal(sims.organizations.requests.length, 3);
  assert.deepEqual(seen.map((a) => [a.Id, a.State]), accounts.map((a) => [a.id, a.id === '100000000003' ? 'CLOSED' : 'ACTIVE']));
  const first = seen[0];
  assert.equal(first?.Arn, `arn:aws:organizations::${BASE_ACCOUNT}:account/o-sim0000001/100000000000`);
  assert.equal(first?.Name, 'acct-0');
  assert.equal(first?.Email, 'aws+100000000000@example.com');
  assert.equal(first?.JoinedMethod, 'CREATED');
  assert.ok(first?.JoinedTimestamp instanceof Date);
  assert.equal(first?.Status, undefined);
  const twenty = await client.send(new ListAccountsCommand({ MaxResults: 20 }));
  assert.equal(twenty.Accounts?.length, 7);
  assert.equal(twenty.NextToken, undefined);
  for (const input of [{ MaxResults: 0 }, { MaxResults: 21 }, { NextToken: 'bm90LWEtdG9rZW4=' }]) {
    await assert.rejects(client.send(new ListAccountsCommand(input)), { name: 'InvalidInputException' });
  }
});

test('Organizations refuses a member account\'s key and, on demand, AccessDenied / NotInUse / throttling', async (t) => {
  const sims = await startAccountSims(t, { organization: [{ id: PROD }] });
  const member = sims.addProfileKeys(PROD);
  const call = (keys: { accessKeyId: string; secretAccessKey: string }) => {
    const client = new OrganizationsClient({ region: 'us-east-1', endpoint: sims.organizations.url, credentials: keys, maxAttempts: 1 });
    return client.send(new ListAccountsCommand({})).finally(() => client.destroy());
  };
  await assert.rejects(call(member), { name: 'AccessDeniedException' });
  sims.organizations.delegatedAdministrators.add(PROD);
  assert.equal((await call(member)).Accounts?.length, 1);
  for (const failure of ['AccessDeniedException', 'AWSOrganizationsNotInUseException', 'TooManyRequestsException'] as const) {
    sims.organizations.failNext(failure);
    await assert.rejects(call(sims.baseKeys), { name: failure });
  }
  assert.equal((await call(UNKNOWN_KEYS)).Accounts?.length, 1);
});

test('Organizations can serve empty pages that still carry a NextToken (K.6: always check it)', async (t) => {
  const sim = await startOrganizationsSimulator({ accounts: [{ id: PROD }, { id: DEV, state: null, status: 'ACTIVE' }], emptyPages: true });
  t.after(() => sim.close());
  const client = new OrganizationsClient({ region: 'us-east-1', endpoint: sim.url, credentials: UNKNOWN_KEYS, maxAttempts: 1 });
  t.after(() => client.destroy());
  const first = await client.send(new ListAccountsCommand({}));
  assert.deepEqual(first.Accounts, []);
  assert.ok(first.NextToken);
  const second = await client.send(new ListAccountsCommand({ NextToken: first.NextToken }));
  assert.deepEqual(second.Accounts?.map((a) => [a.Id, a.State, a.Status]), [[PROD, 'ACTIVE', undefined], [DEV, undefined, 'ACTIVE']]);
});

test('CloudTrail answers each key with its own account\'s events; unknown keys see the events added without one', async (t) => {
  const sims = await startAccountSims(t, { now: () => NOW });
  const prod = sims.addProfileKeys(PROD);
  const dev = sims.addProfileKeys(DEV);
  sims.cloudtrail.addRecord(record('p-1', 'eu-west-1'), { account: PROD });
  sims.cloudtrail.addRecord(record('p-2', 'eu-west-1', { recipientAccountId: '999999999999' }), { account: PROD });
  sims.cloudtrail.addRecord(record('d-1', 'eu-west-1'), { account: DEV });
  sims.cloudtrail.addRecords([record('n-1', 'eu-west-1'), record('d-2', 'us-east-1')], {});
  sims.cloudtrail.addRecords([record('d-3', 'us-east-1')], { account: DEV });
  assert.throws(() => sims.cloudtrail.addRecord(record('bad', 'eu-west-1'), { account: 'prod' }), RangeError);
  const look = async (keys: { accessKeyId: string; secretAccessKey: string }, region: string) => {
    const client = createCloudTrailClient({ region, credentials: keys, endpoint: sims.cloudtrail.url });
    const out = await client.send(new LookupEventsCommand({})).finally(() => client.destroy());
    return (out.Events ?? []).map((e) => [e.EventId, JSON.parse(e.CloudTrailEvent ?? '{}').recipientAccountId]);
  };
  assert.deepEqual(await look(prod, 'eu-west-1'), [['p-2', '999999999999'], ['p-1', PROD]]);
  assert.deepEqual(await look(dev, 'eu-west-1'), [['d-1', DEV]]);
  assert.deepEqual(await look(dev, 'us-east-1'), [['d-3', DEV]]);
  assert.deepEqual(await look(UNKNOWN_KEYS, 'eu-west-1'), [['n-1', undefined]]);
  assert.deepEqual(await look(sims.baseKeys, 'eu-west-1'), []); // the management account has no events here
  assert.deepEqual(sims.cloudtrail.requests.map((r) => [r.account, r.region]), [
    [PROD, 'eu-west-1'], [DEV, 'eu-west-1'], [DEV, 'us-east-1'], ['', 'eu-west-1'], [BASE_ACCOUNT, 'eu-west-1'],
  ]);
});

test('CloudTrail: an assumed role\'s session key sees its account\'s events', async (t) => {
  const sims = await startAccountSims(t, { now: () => NOW });
  sims.addRole(PROD);
  sims.cloudtrail.addRecord(record('p-1', 'eu-west-1'), { account: PROD });
  const client = sts(sims.sts.url, sims.baseKeys);
  t.after(() => client.destroy());
  const { Credentials } = await client.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'cloudtrail-slack' }));
  const trail = createCloudTrailClient({
    region: 'eu-west-1',
    endpoint: sims.cloudtrail.url,
    credentials: { accessKeyId: Credentials?.AccessKeyId ?? '', secretAccessKey: Credentials?.SecretAccessKey ?? '', sessionToken: Credentials?.SessionToken ?? '' },
  });
  t.after(() => trail.destroy());
  const out = await trail.send(new LookupEventsCommand({}));
  assert.deepEqual(out.Events?.map((e) => e.EventId), ['p-1']);
});

test('CloudTrail: deny one account everywhere, throttle per account AND region, script failures by target key', async (t) => {
  const sims = await startAccountSims(t, { now: () => NOW });
  const prod = sims.addProfileKeys(PROD);
  const dev = sims.addProfileKeys(DEV);
  const look = async (keys: { accessKeyId: string; secretAccessKey: string }, region: string) => {
    const client = createCloudTrailClient({ region, credentials: keys, endpoint: sims.cloudtrail.url });
    try {
      await client.send(new LookupEventsCommand({}));
      return 'ok';
    } catch (error) {
      return (error as Error).name;
    } finally {
      client.destroy();
    }
  };
  // 2 TPS per account and region: the clock stands still, so a third call in the same second is over.
  const round = async () => [await look(prod, 'eu-west-1'), await look(dev, 'eu-west-1'), await look(prod, 'us-east-1'), await look(UNKNOWN_KEYS, 'eu-west-1')];
  assert.deepEqual(await round(), ['ok', 'ok', 'ok', 'ok']);
  assert.deepEqual(await round(), ['ok', 'ok', 'ok', 'ok']);
  assert.deepEqual(await round(), ['ThrottlingException', 'ThrottlingException', 'ThrottlingException', 'ThrottlingException']);

  const later = await startAccountSims(t, { now: () => NOW });
  const prod2 = later.addProfileKeys(PROD);
  const dev2 = later.addProfileKeys(DEV);
  const look2 = async (keys: typeof prod2, region: string) => {
    const client = createCloudTrailClient({ region, credentials: keys, endpoint: later.cloudtrail.url });
    const result = await client.send(new LookupEventsCommand({})).then(() => 'ok', (e: Error) => e.name).finally(() => client.destroy());
    return result;
  };
  later.cloudtrail.denyAccount(PROD);
  const denied = createCloudTrailClient({ region: 'ap-south-1', credentials: prod2, endpoint: later.cloudtrail.url });
  t.after(() => denied.destroy());
  await assert.rejects(denied.send(new LookupEventsCommand({})), (error: Error) => {
    assert.equal(error.name, 'AccessDeniedException');
    assert.ok(error.message.includes(`arn:aws:iam::${PROD}:`), error.message);
    return true;
  });
  assert.equal(await look2(dev2, 'ap-south-1'), 'ok');
  later.cloudtrail.denyAccount(PROD, false);
  assert.equal(await look2(prod2, 'ap-south-1'), 'ok');
  later.cloudtrail.failNext(`${DEV}/eu-west-1`, 'UnrecognizedClientException');
  later.cloudtrail.setRegionFailure(`${PROD}/*`, { status: 503 });
  assert.deepEqual([await look2(prod2, 'eu-west-1'), await look2(dev2, 'us-east-1'), await look2(dev2, 'eu-west-1'), await look2(dev2, 'eu-west-1')],
    ['ServiceUnavailable', 'ok', 'UnrecognizedClientException', 'ok']);
});

test('CloudTrail can refuse a session key once it expired (ExpiredTokenException), when told to', async (t) => {
  let now = NOW;
  const sims = await startAccountSims(t, { now: () => now, enforceSessionExpiry: true });
  sims.addRole(PROD);
  const client = sts(sims.sts.url, sims.baseKeys);
  t.after(() => client.destroy());
  const { Credentials } = await client.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'cloudtrail-slack', DurationSeconds: 900 }));
  const trail = createCloudTrailClient({
    region: 'eu-west-1',
    endpoint: sims.cloudtrail.url,
    credentials: { accessKeyId: Credentials?.AccessKeyId ?? '', secretAccessKey: Credentials?.SecretAccessKey ?? '', sessionToken: Credentials?.SessionToken ?? '' },
  });
  t.after(() => trail.destroy());
  now = NOW + 899_000;
  await trail.send(new LookupEventsCommand({}));
  now = NOW + 900_000;
  await assert.rejects(trail.send(new LookupEventsCommand({})), { name: 'ExpiredTokenException' });
  const base = createCloudTrailClient({ region: 'eu-west-1', endpoint: sims.cloudtrail.url, credentials: sims.baseKeys });
  t.after(() => base.destroy());
  await base.send(new LookupEventsCommand({})); // static keys never expire
});
