import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ListRegionsCommand } from '@aws-sdk/client-account';
import { createAccountClient, createEc2Client, createStsClient } from '../src/aws/clients';
import { createLookupClient } from '../src/cloudtrail/client';
import { startCloudTrailSimulator } from '../src/sim/cloudtrail-server';
import { SimRegionTable } from '../src/sim/account-regions';
import { startAccountSimulator } from '../src/sim/account-server';
import { startEc2Simulator } from '../src/sim/ec2-server';
import { startStsSimulator } from '../src/sim/sts-server';
import { setEnvForTest } from './support/env';

const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

async function startAll(t: TestContext) {
  const regions = new SimRegionTable();
  const sims = {
    cloudtrail: await startCloudTrailSimulator(),
    sts: await startStsSimulator(),
    account: await startAccountSimulator({ regions }),
    ec2: await startEc2Simulator({ regions }),
  };
  t.after(async () => {
    for (const sim of Object.values(sims)) await sim.close();
  });
  return sims;
}

test('every client we build honours its AWS_ENDPOINT_URL_<SERVICE> variable (the SDK reads it itself)', async (t) => {
  const sims = await startAll(t);
  setEnvForTest(t, {
    AWS_ENDPOINT_URL_CLOUDTRAIL: sims.cloudtrail.url,
    AWS_ENDPOINT_URL_STS: sims.sts.url,
    AWS_ENDPOINT_URL_ACCOUNT: sims.account.url,
    AWS_ENDPOINT_URL_EC2: sims.ec2.url,
  });
  const options = { region: 'ap-south-1', credentials: CREDENTIALS };
  const lookup = createLookupClient(options);
  const sts = createStsClient(options);
  const account = createAccountClient(options);
  const ec2 = await createEc2Client(options);
  const { DescribeRegionsCommand } = await import('@aws-sdk/client-ec2');
  t.after(() => {
    lookup.destroy();
    for (const client of [sts, account, ec2]) client.destroy();
  });
  await lookup.lookupEvents({ start: 0, end: 1000 });
  await sts.send(new GetCallerIdentityCommand({}));
  await account.send(new ListRegionsCommand({}));
  await ec2.send(new DescribeRegionsCommand({}));
  assert.deepEqual(sims.cloudtrail.requests.map((r) => [r.operation, r.region]), [['LookupEvents', 'ap-south-1']]);
  for (const [sim, operation] of [[sims.sts, 'GetCallerIdentity'], [sims.account, 'ListRegions'], [sims.ec2, 'DescribeRegions']] as const) {
    assert.deepEqual(sim.requests.map((r) => [r.operation, r.region, r.accessKeyId]), [[operation, 'ap-south-1', 'AKIDTEST']]);
  }
});

test('an explicit endpoint (CloudTrail --endpoint) wins over the variable; the other clients keep theirs', async (t) => {
  const sims = await startAll(t);
  const other = await startCloudTrailSimulator();
  t.after(() => other.close());
  setEnvForTest(t, { AWS_ENDPOINT_URL_CLOUDTRAIL: other.url, AWS_ENDPOINT_URL_STS: sims.sts.url });
  const lookup = createLookupClient({ region: 'eu-west-1', credentials: CREDENTIALS, endpoint: sims.cloudtrail.url });
  const sts = createStsClient({ region: 'eu-west-1', credentials: CREDENTIALS });
  t.after(() => {
    lookup.destroy();
    sts.destroy();
  });
  await lookup.lookupEvents({ start: 0, end: 1000 });
  await sts.send(new GetCallerIdentityCommand({}));
  assert.equal(sims.cloudtrail.requests.length, 1);
  assert.equal(other.requests.length, 0);
  assert.equal(sims.sts.requests.length, 1);
});

test('the clients do not retry underneath us (one layer owns each retry)', async (t) => {
  const sims = await startAll(t);
  const sts = createStsClient({ region: 'eu-west-1', credentials: CREDENTIALS, endpoint: sims.sts.url });
  const account = createAccountClient({ region: 'eu-west-1', credentials: CREDENTIALS, endpoint: sims.account.url });
  t.after(() => {
    sts.destroy();
    account.destroy();
  });
  sims.sts.failNext('ServiceUnavailable', 3);
  sims.account.failNext('TooManyRequestsException', 3);
  await assert.rejects(sts.send(new GetCallerIdentityCommand({})));
  await assert.rejects(account.send(new ListRegionsCommand({})));
  assert.equal(sims.sts.requests.length, 1);
  assert.equal(sims.account.requests.length, 1);
});
