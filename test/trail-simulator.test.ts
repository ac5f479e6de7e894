import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  LookupEventsCommand,
} from '@aws-sdk/client-cloudtrail';
import { startCloudTrailSimulator } from '../src/sim/cloudtrail-server';
import { ManualClock } from './support/manual-clock';

const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
const HOME_ARN = 'arn:aws:cloudtrail:us-east-1:123456789012:trail/management-events';

async function setUp(t: TestContext) {
  const clock = new ManualClock();
  const sim = await startCloudTrailSimulator({ now: () => clock.now() });
  const clients: CloudTrailClient[] = [];
  const clientFor = (region = 'us-east-1') => {
    const client = new CloudTrailClient({ region, endpoint: sim.url, credentials: CREDENTIALS, maxAttempts: 1 });
    clients.push(client);
    return client;
  };
  t.after(async () => {
    for (const client of clients) client.destroy();
    await sim.close();
  });
  return { clock, sim, clientFor };
}

function awsError(name: string, status?: number) {
  return (error: unknown) => {
    assert.equal((error as Error).name, name);
    if (status !== undefined) assert.equal((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode, status);
    return true;
  };
}

test('a healthy multi-region trail by default, seen as a shadow trail from other regions', async (t) => {
  const { clock, clientFor, sim } = await setUp(t);
  const home = await clientFor().send(new DescribeTrailsCommand({}));
  assert.deepEqual(
    home.trailList?.map((tr) => [tr.Name, tr.HomeRegion, tr.IsMultiRegionTrail, tr.IncludeGlobalServiceEvents, tr.TrailARN]),
    [['management-events', 'us-east-1', true, true, HOME_ARN]],
  );
  const dublin = clientFor('eu-west-1');
  assert.equal((await dublin.send(new DescribeTrailsCommand({}))).trailList?.length, 1);
  assert.equal((await dublin.send(new DescribeTrailsCommand({ includeShadowTrails: false }))).trailList?.length, 0);
  // Lower camelCase on the wire (API-FACTS A.7).
  assert.deepEqual(sim.requests.at(-1)?.body, { includeShadowTrails: false });

  const status = await dublin.send(new GetTrailStatusCommand({ Name: HOME_ARN }));
  assert.equal(status.IsLogging, true);
  assert.ok(status.StartLoggingTime instanceof Date && status.StartLoggingTime.getTime() < clock.now());
  // A shadow trail is found by its ARN only; a name finds the trails of the region asked.
  await assert.rejects(dublin.send(new GetTrailStatusCommand({ Name: 'management-events' })), awsError('TrailNotFoundException', 404));
  const selectors = await dublin.send(new GetEventSelectorsCommand({ TrailName: HOME_ARN }));
  assert.equal(selectors.TrailARN, HOME_ARN);
  assert.deepEqual(selectors.EventSelectors, [{ ReadWriteType: 'All', IncludeManagementEvents: true, ExcludeManagementEventSources: [] }]);
});

test('a test can stop logging, change selectors, delete the trail and deny the three calls', async (t) => {
  const { clock, clientFor, sim } = await setUp(t);
  const client = clientFor();
  await clock.advance(60_000);
  sim.trails.setLogging('management-events', false);
  const stopped = await client.send(new GetTrailStatusCommand({ Name: 'management-events' }));
  assert.equal(stopped.IsLogging, false);
  assert.equal(stopped.StopLoggingTime?.getTime(), clock.now());

  const advanced = [{ Name: 'reads', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }, { Field: 'readOnly', Equals: ['true'] }] }];
  sim.trails.put({ Name: 'management-events', selectors: { AdvancedEventSelectors: advanced } });
  const selectors = await client.send(new GetEventSelectorsCommand({ TrailName: 'management-events' }));
  assert.deepEqual(selectors.AdvancedEventSelectors, advanced);
  assert.equal(selectors.EventSelectors, undefined);

  sim.trails.deny(true);
  for (const command of [new DescribeTrailsCommand({}), new GetTrailStatusCommand({ Name: 'x' }), new GetEventSelectorsCommand({ TrailName: 'x' })]) {
    await assert.rejects(client.send(command as never), (error: unknown) => {
      awsError('AccessDeniedException')(error);
      assert.match((error as Error).message, /not authorized to perform: cloudtrail:(DescribeTrails|GetTrailStatus|GetEventSelectors)/);
      return true;
    });
  }
  // LookupEvents keeps working: only the monitor's permission went away.
  await client.send(new LookupEventsCommand({}));
  sim.trails.deny(false);

  sim.trails.remove('management-events');
  assert.deepEqual((await client.send(new DescribeTrailsCommand({}))).trailList, []);
  await assert.rejects(client.send(new GetTrailStatusCommand({ Name: HOME_ARN })), awsError('TrailNotFoundException'));
});
