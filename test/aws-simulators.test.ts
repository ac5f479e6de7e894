import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { ListRegionsCommand } from '@aws-sdk/client-account';
import { createAccountClient, createEc2Client } from '../src/aws/clients';
import { SimRegionTable } from '../src/sim/account-regions';
import { startAccountSimulator } from '../src/sim/account-server';
import { startEc2Simulator } from '../src/sim/ec2-server';
import { startStsSimulator } from '../src/sim/sts-server';

const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

async function accountClient(t: TestContext, regions = new SimRegionTable()) {
  const sim = await startAccountSimulator({ regions });
  const client = createAccountClient({ region: 'us-east-1', credentials: CREDENTIALS, endpoint: sim.url });
  t.after(async () => {
    client.destroy();
    await sim.close();
  });
  return { sim, client };
}

test('ListRegions validates as the model does: MaxResults 1–50, known statuses, a NextToken bound to its filter', async (t) => {
  const { client } = await accountClient(t);
  for (const MaxResults of [0, 51]) {
    await assert.rejects(client.send(new ListRegionsCommand({ MaxResults })), { name: 'ValidationException' });
  }
  await assert.rejects(
    client.send(new ListRegionsCommand({ RegionOptStatusContains: ['ON' as never] })),
    { name: 'ValidationException' },
  );
  const first = await client.send(new ListRegionsCommand({ MaxResults: 2, RegionOptStatusContains: ['ENABLED_BY_DEFAULT'] }));
  assert.equal(first.Regions?.length, 2);
  assert.ok(first.NextToken);
  await assert.rejects(client.send(new ListRegionsCommand({ MaxResults: 2, NextToken: first.NextToken })), { name: 'ValidationException' });
  const second = await client.send(new ListRegionsCommand({ MaxResults: 2, RegionOptStatusContains: ['ENABLED_BY_DEFAULT'], NextToken: first.NextToken }));
  assert.notDeepEqual(second.Regions, first.Regions);
});

test('ListRegions without a filter lists every region with its status; AccessDenied on demand', async (t) => {
  const { sim, client } = await accountClient(t, new SimRegionTable({ 'us-east-1': 'ENABLED_BY_DEFAULT', 'af-south-1': 'DISABLED' }));
  const all = await client.send(new ListRegionsCommand({}));
  assert.deepEqual(all.Regions, [
    { RegionName: 'af-south-1', RegionOptStatus: 'DISABLED' },
    { RegionName: 'us-east-1', RegionOptStatus: 'ENABLED_BY_DEFAULT' },
  ]);
  sim.failNext('AccessDeniedException');
  const denied = (await client.send(new ListRegionsCommand({})).catch((error: unknown) => error)) as { name: string; $metadata: { httpStatusCode: number } };
  assert.deepEqual([denied.name, denied.$metadata.httpStatusCode], ['AccessDeniedException', 403]);
});

test('DescribeRegions lists enabled regions only, every region with AllRegions, in EC2 opt-in terms', async (t) => {
  const regions = new SimRegionTable({ 'us-east-1': 'ENABLED_BY_DEFAULT', 'af-south-1': 'ENABLED', 'ap-east-1': 'DISABLED' });
  const sim = await startEc2Simulator({ regions });
  const client = await createEc2Client({ region: 'us-east-1', credentials: CREDENTIALS, endpoint: sim.url });
  const { DescribeRegionsCommand } = await import('@aws-sdk/client-ec2');
  t.after(async () => {
    client.destroy();
    await sim.close();
  });
  const enabled = await client.send(new DescribeRegionsCommand({}));
  assert.deepEqual(enabled.Regions?.map((r) => [r.RegionName, r.OptInStatus]), [['af-south-1', 'opted-in'], ['us-east-1', 'opt-in-not-required']]);
  const all = await client.send(new DescribeRegionsCommand({ AllRegions: true, Filters: [{ Name: 'opt-in-status', Values: ['not-opted-in'] }] }));
  assert.deepEqual(all.Regions?.map((r) => r.RegionName), ['ap-east-1']);
  sim.failNext('UnauthorizedOperation');
  await assert.rejects(client.send(new DescribeRegionsCommand({})), { name: 'UnauthorizedOperation' });
});

test('the STS simulator refuses other actions and unsigned requests', async (t) => {
  const sim = await startStsSimulator();
  t.after(() => sim.close());
  const other = await fetch(sim.url, { method: 'POST', body: 'Action=GetSessionToken&Version=2011-06-15', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/sts/aws4_request' } });
  assert.equal(other.status, 400);
  assert.match(await other.text(), /<Code>InvalidAction<\/Code>/);
  const unsigned = await fetch(sim.url, { method: 'POST', body: 'Action=GetCallerIdentity&Version=2011-06-15' });
  assert.equal(unsigned.status, 403);
});
