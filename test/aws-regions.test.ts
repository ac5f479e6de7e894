import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { discoverEnabledRegions, listEnabledRegions, RegionDiscoveryError } from '../src/aws/regions';
import { DEFAULT_REGIONS } from '../src/config/types';
import { SimRegionTable } from '../src/sim/account-regions';
import { startAccountSimulator } from '../src/sim/account-server';
import { startEc2Simulator } from '../src/sim/ec2-server';
import { setEnvForTest } from './support/env';

const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

/** Account and EC2 simulators sharing one region table; the SDK reaches them through AWS_ENDPOINT_URL_*-like endpoints. */
async function setUp(t: TestContext, regions = new SimRegionTable()) {
  const account = await startAccountSimulator({ regions });
  const ec2 = await startEc2Simulator({ regions });
  t.after(async () => {
    await account.close();
    await ec2.close();
  });
  // One endpoint option cannot point two clients at two servers: each test sets the env the SDK reads.
  const env = { AWS_ENDPOINT_URL_ACCOUNT: account.url, AWS_ENDPOINT_URL_EC2: ec2.url };
  setEnvForTest(t, env);
  return { account, ec2, regions, options: { region: 'eu-west-1', credentials: CREDENTIALS } };
}

test('lists the enabled regions from ListRegions, sorted, without disabled, enabling or disabling ones', async (t) => {
  const { account, ec2, regions, options } = await setUp(t);
  regions.set('af-south-1', 'ENABLED');
  regions.set('ap-east-1', 'ENABLING');
  regions.set('eu-south-1', 'DISABLING');
  const found = await discoverEnabledRegions(options);
  assert.deepEqual(found, { regions: [...DEFAULT_REGIONS, 'af-south-1'].sort(), source: 'account:ListRegions' });
  assert.deepEqual(account.requests.map((r) => r.params), [
    { RegionOptStatusContains: ['ENABLED', 'ENABLED_BY_DEFAULT'], MaxResults: 50 },
  ]);
  assert.equal(account.requests[0]?.service, 'account');
  assert.equal(ec2.requests.length, 0, 'EC2 is only the fallback');
});

test('a region enabled or disabled between two calls is in the first answer and not the second, or the other way round', async (t) => {
  const { regions, options } = await setUp(t);
  const before = await listEnabledRegions(options);
  regions.set('me-central-1', 'ENABLED');
  regions.set('sa-east-1', 'DISABLED');
  const after = await listEnabledRegions(options);
  assert.ok(!before.includes('me-central-1') && after.includes('me-central-1'), 'enabled later: listed now');
  assert.ok(before.includes('sa-east-1') && !after.includes('sa-east-1'), 'disabled later: gone');
});

test('follows NextToken through every page of ListRegions, the same filter on each', async (t) => {
  const many: Record<string, 'ENABLED' | 'DISABLED'> = {};
  for (let i = 0; i < 120; i += 1) many[`xx-test-${String(i).padStart(3, '0')}`] = i % 2 === 0 ? 'ENABLED' : 'DISABLED';
  const { account, options } = await setUp(t, new SimRegionTable(many));
  const found = await listEnabledRegions(options);
  assert.equal(found.length, 60);
  assert.equal(account.requests.length, 2, '60 enabled regions at 50 a page');
  assert.equal((account.requests[1]?.params as { NextToken?: string }).NextToken !== undefined, true);
  assert.deepEqual(
    account.requests.map((r) => (r.params as { RegionOptStatusContains: unknown }).RegionOptStatusContains),
    [['ENABLED', 'ENABLED_BY_DEFAULT'], ['ENABLED', 'ENABLED_BY_DEFAULT']],
  );
});

test('ListRegions denied: DescribeRegions answers instead, with the same regions, and says why', async (t) => {
  const { account, ec2, regions, options } = await setUp(t);
  regions.set('af-south-1', 'ENABLED');
  account.setFailure('AccessDeniedException');
  const found = await discoverEnabledRegions(options);
  assert.deepEqual(found.regions, [...DEFAULT_REGIONS, 'af-south-1'].sort());
  assert.equal(found.source, 'ec2:DescribeRegions');
  assert.match(found.listRegionsFailure ?? '', /AccessDeniedException \(HTTP 403\)/);
  const params = ec2.requests[0]?.params as Record<string, string>;
  assert.equal(params.Action, 'DescribeRegions');
  assert.equal(params['Filter.1.Name'], 'opt-in-status');
  assert.deepEqual([params['Filter.1.Value.1'], params['Filter.1.Value.2']], ['opt-in-not-required', 'opted-in']);
  assert.equal(ec2.requests[0]?.region, 'eu-west-1', "EC2 is regional: the caller's region");
});

test('ListRegions unreachable (connection refused): DescribeRegions answers instead', async (t) => {
  const { account, options } = await setUp(t);
  account.setFailure('refuse');
  const found = await discoverEnabledRegions(options);
  assert.equal(found.source, 'ec2:DescribeRegions');
  assert.deepEqual(found.regions, [...DEFAULT_REGIONS].sort());
});

test('both denied: one error naming both failures and the IAM actions to grant', async (t) => {
  const { account, ec2, options } = await setUp(t);
  account.setFailure('AccessDeniedException');
  ec2.setFailure('UnauthorizedOperation');
  const error = await listEnabledRegions(options).catch((e: unknown) => e);
  assert.ok(error instanceof RegionDiscoveryError);
  assert.equal(error.kind, 'access-denied');
  assert.match(error.message, /account:ListRegions failed \(AccessDeniedException \(HTTP 403\)/);
  assert.match(error.message, /ec2:DescribeRegions failed \(UnauthorizedOperation \(HTTP 403\)/);
  assert.match(error.message, /grant account:ListRegions \(or ec2:DescribeRegions\)/);
  assert.doesNotMatch(error.message, /test-secret|AKIDTEST/);
});

test('both unreachable: the error is transient, for the caller to try again later', async (t) => {
  const { account, ec2, options } = await setUp(t);
  account.setFailure('refuse');
  ec2.setFailure('Unavailable');
  const error = await listEnabledRegions(options).catch((e: unknown) => e);
  assert.ok(error instanceof RegionDiscoveryError);
  assert.equal(error.kind, 'transient');
});

test('stops on the stop signal without falling back', async (t) => {
  const { account, ec2, options } = await setUp(t);
  account.setFailure('hang');
  const stop = new AbortController();
  const call = listEnabledRegions(options, stop.signal).catch((e: unknown) => e);
  await account.waitForRequests(1);
  const reason = new Error('stop');
  stop.abort(reason);
  assert.equal(await call, reason);
  assert.equal(ec2.requests.length, 0);
});

test("EC2's AuthFailure (keys it does not know) classifies as the credentials' fault, like CloudTrail's UnrecognizedClient", async (t) => {
  const { account, ec2, options } = await setUp(t);
  account.setFailure('AccessDeniedException');
  ec2.setFailure('AuthFailure');
  const error = await listEnabledRegions(options).catch((e: unknown) => e);
  assert.ok(error instanceof RegionDiscoveryError);
  assert.equal(error.kind, 'unrecognized-client');
});
