import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';
import { createCloudTrailClient, createOrganizationsClient } from '../src/aws/clients';
import { ACCOUNT_NAME_MAX, listActiveAccounts, readOrganization } from '../src/aws/organizations';
import { classifyError } from '../src/errors/classify';
import { listenOnLoopback } from '../src/sim/loopback-server';
import { startAccountSims, SIM_ROLE_NAME } from './support/sims';
import { setEnvForTest } from './support/env';

const PROD = '111111111111';
const DEV = '222222222222';
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'];

test('createOrganizationsClient honours AWS_ENDPOINT_URL_ORGANIZATIONS (the SDK reads it itself)', async (t) => {
  const sims = await startAccountSims(t, { organization: [{ id: PROD }] });
  setEnvForTest(t, { AWS_ENDPOINT_URL_ORGANIZATIONS: sims.organizations.url });
  const client = createOrganizationsClient({ region: 'eu-west-1', credentials: sims.baseKeys });
  t.after(() => client.destroy());
  assert.deepEqual(await listActiveAccounts(client, new AbortController().signal), [{ id: PROD, name: `account-${PROD}` }]);
  assert.deepEqual(sims.organizations.requests.map((r) => [r.operation, r.service, r.accessKeyId]), [['ListAccounts', 'organizations', sims.baseKeys.accessKeyId]]);
});

test('listActiveAccounts reads every page and keeps only State ACTIVE, Status when State is absent', async (t) => {
  const sims = await startAccountSims(t);
  const accounts = Array.from({ length: 45 }, (_, i) => ({ id: String(300000000000 + i), name: `team ${i}` }));
  sims.organizations.setAccounts([
    ...accounts,
    { id: PROD, state: 'CLOSED' },
    { id: '333333333333', state: 'SUSPENDED' },
    { id: '444444444444', state: 'PENDING_CLOSURE' },
    { id: '555555555555', state: 'PENDING_ACTIVATION' },
    { id: '666666666666', state: null, status: 'ACTIVE' },
    { id: '777777777777', state: null, status: 'SUSPENDED' },
    { id: '888888888888', state: 'ACTIVE', status: 'SUSPENDED' },
  ]);
  const client = createOrganizationsClient({ region: 'us-east-1', credentials: sims.baseKeys, endpoint: sims.organizations.url });
  t.after(() => client.destroy());
  const listing = await readOrganization(client, new AbortController().signal);
  assert.deepEqual(listing.active.map((a) => a.id), [...accounts.map((a) => a.id), '666666666666', '888888888888']);
  assert.equal(listing.active[0]?.name, 'team 0');
  assert.deepEqual([listing.inactive, listing.malformed], [5, 0]);
  assert.equal(sims.organizations.requests.length, 3); // 52 accounts, 20 a page
  for (const request of sims.organizations.requests) assert.equal((request.params as { MaxResults?: number }).MaxResults, 20);
});

/** A raw ListAccounts endpoint answering `pages` in turn (what no real service sends, to test the checks). */
async function rawOrganizations(t: TestContext, pages: unknown[]) {
  let served = 0;
  const server = await listenOnLoopback(async (req, res) => {
    for await (const _ of req) void _;
    const body = JSON.stringify(pages[Math.min(served, pages.length - 1)]);
    served += 1;
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(body);
  });
  t.after(() => server.close());
  const client = createOrganizationsClient({ region: 'us-east-1', endpoint: server.url, credentials: { accessKeyId: 'AKIDX', secretAccessKey: 'x' } });
  t.after(() => client.destroy());
  return { client, served: () => served };
}

test('an empty page with a NextToken does not end the listing; hostile listings: odd IDs skipped and counted, repeats kept once, names cut to 50, a NextToken loop ends', async (t) => {
  const long = `${'<!channel> '.repeat(10)}😀`;
  const { client, served } = await rawOrganizations(t, [
    { Accounts: [], NextToken: 'e' },
    { Accounts: [{ Id: PROD, Name: long, State: 'ACTIVE' }, { Id: '12345', State: 'ACTIVE' }, { Id: 12, State: 'ACTIVE' }, null], NextToken: 'a' },
    { Accounts: [{ Id: PROD, Name: 'again', State: 'ACTIVE' }, { Id: `${DEV}\n`, State: 'ACTIVE' }, { Id: DEV, Name: 7, State: 'ACTIVE' }], NextToken: 'a' },
  ]);
  const listing = await readOrganization(client, new AbortController().signal);
  assert.deepEqual(listing.active, [{ id: PROD, name: [...long].slice(0, ACCOUNT_NAME_MAX).join('') }, { id: DEV }]);
  assert.equal([...(listing.active[0]?.name ?? '')].length, ACCOUNT_NAME_MAX);
  assert.equal(listing.malformed, 4);
  assert.equal(served(), 3);
});

test('listActiveAccounts stops when the signal aborts, with the abort error', async (t) => {
  const { client } = await rawOrganizations(t, [{ Accounts: [], NextToken: 'more' }]);
  const stop = new AbortController();
  stop.abort();
  await assert.rejects(listActiveAccounts(client, stop.signal), { name: 'AbortError' });
});

test('a wrong caller account is classified as fatal, with the advice to call from the management account', async (t) => {
  const sims = await startAccountSims(t, { organization: [{ id: PROD }] });
  const member = sims.addProfileKeys(PROD);
  const client = createOrganizationsClient({ region: 'us-east-1', credentials: member, endpoint: sims.organizations.url });
  t.after(() => client.destroy());
  const signal = new AbortController().signal;
  const failures: unknown[] = [];
  await listActiveAccounts(client, signal).catch((error: unknown) => failures.push(error)); // a member account
  sims.organizations.failNext('AWSOrganizationsNotInUseException');
  await listActiveAccounts(client, signal).catch((error: unknown) => failures.push(error));
  assert.equal(failures.length, 2);
  for (const [error, kind] of [[failures[0], 'organizations-denied'], [failures[1], 'organizations-not-in-use']]) {
    const what = classifyError(error, 'organizations');
    assert.equal(what.action, 'fatal');
    assert.equal(what.kind, kind);
    assert.match(what.advice, /call from the management account or a delegated administrator/);
  }
  sims.organizations.failNext('TooManyRequestsException');
  const throttled = await listActiveAccounts(client, signal).catch((error: unknown) => error);
  assert.equal(classifyError(throttled, 'organizations').action, 'back-off');
  sims.organizations.failNext('refuse');
  const network = await listActiveAccounts(client, signal).catch((error: unknown) => error);
  assert.equal(classifyError(network, 'organizations').kind, 'transient');
});

// Item 7 of the brief: how fromTemporaryCredentials (credential-providers 3.1137.0) finds STS, and whether one
// memoized provider gives one session to every regional client (API-FACTS K.4).

async function lookupIn(region: string, credentials: Parameters<typeof createCloudTrailClient>[0]['credentials'], endpoint: string) {
  const client = createCloudTrailClient({ region, credentials, endpoint });
  try {
    return await client.send(new LookupEventsCommand({}));
  } finally {
    client.destroy();
  }
}

test('fromTemporaryCredentials honours clientConfig.endpoint for its inner STS client', async (t) => {
  const sims = await startAccountSims(t);
  const role = sims.addRole(PROD);
  sims.cloudtrail.addRecord({ eventID: 'p-1', eventName: 'CreateBucket', eventTime: new Date().toISOString() }, { account: PROD, region: 'eu-west-1' });
  const provider = fromTemporaryCredentials({
    params: { RoleArn: role, RoleSessionName: 'cloudtrail-slack' },
    masterCredentials: sims.baseKeys,
    clientConfig: { region: 'eu-west-1', endpoint: sims.sts.url },
  });
  const out = await lookupIn('eu-west-1', provider, sims.cloudtrail.url);
  assert.deepEqual(out.Events?.map((e) => e.EventId), ['p-1']);
  assert.equal(sims.book.assumeRoleCalls(role), 1);
  assert.deepEqual(sims.sts.requests.map((r) => [r.operation, r.region, r.accessKeyId]), [['AssumeRole', 'eu-west-1', sims.baseKeys.accessKeyId]]);
});

test('fromTemporaryCredentials honours AWS_ENDPOINT_URL_STS (no clientConfig.endpoint needed)', async (t) => {
  const sims = await startAccountSims(t);
  const role = sims.addRole(DEV);
  setEnvForTest(t, { AWS_ENDPOINT_URL_STS: sims.sts.url });
  const provider = fromTemporaryCredentials({
    params: { RoleArn: role, RoleSessionName: 'cloudtrail-slack' },
    masterCredentials: sims.baseKeys,
    clientConfig: { region: 'us-east-1' },
  });
  await lookupIn('us-east-1', provider, sims.cloudtrail.url);
  assert.equal(sims.book.assumeRoleCalls(role), 1);
  assert.deepEqual(sims.cloudtrail.requests.map((r) => r.account), [DEV]);
});

test('one memoized fromTemporaryCredentials shared by three regional clients makes ONE AssumeRole call; unwrapped, three', async (t) => {
  let now = Date.now();
  const sims = await startAccountSims(t, { now: () => now }); // the sims' clock moves a second between rounds (2 TPS)
  const role = sims.addRole(PROD, { roleName: SIM_ROLE_NAME });
  const make = () =>
    fromTemporaryCredentials({
      params: { RoleArn: role, RoleSessionName: 'cloudtrail-slack', DurationSeconds: 3600 },
      masterCredentials: sims.baseKeys,
      clientConfig: { region: 'eu-west-1', endpoint: sims.sts.url },
    });
  const shared = memoizeIdentityProvider(make(), isIdentityExpired, doesIdentityRequireRefresh);
  for (let round = 0; round < 2; round += 1) {
    await Promise.all(REGIONS.map((region) => lookupIn(region, shared, sims.cloudtrail.url)));
    now += 1000;
  }
  assert.equal(sims.book.assumeRoleCalls(role), 1);
  assert.deepEqual(new Set(sims.cloudtrail.requests.map((r) => r.account)), new Set([PROD]));
  assert.equal(sims.cloudtrail.requests.length, 6);

  // The contrast (K.4 [exp]): the same provider unwrapped, with one long-lived client per region.
  const plain = make();
  const clients = REGIONS.map((region) => createCloudTrailClient({ region, credentials: plain, endpoint: sims.cloudtrail.url }));
  t.after(() => clients.forEach((c) => c.destroy()));
  for (const client of clients) await client.send(new LookupEventsCommand({}));
  assert.equal(sims.book.assumeRoleCalls(role), 1 + REGIONS.length);
});
