import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { checkTrails } from '../src/monitors/trail-check';
import { createTrailClient } from '../src/monitors/trail-client';
import { startCloudTrailSimulator } from '../src/sim/cloudtrail-server';
import { ManualClock } from './support/manual-clock';
import { TEST_CREDENTIALS } from './support/daemon-harness';

async function setUp(t: TestContext, region = 'eu-west-1') {
  const clock = new ManualClock();
  const sim = await startCloudTrailSimulator({ now: () => clock.now() });
  const client = createTrailClient({ region, endpoint: sim.url, credentials: TEST_CREDENTIALS, requestTimeoutMs: 5000 });
  t.after(async () => {
    client.destroy();
    await sim.close();
  });
  return { clock, sim, client };
}

test('the default simulated account is healthy, seen through its shadow trail from another region', async (t) => {
  const { client, sim } = await setUp(t);
  const check = await checkTrails(client);
  assert.equal(check.outcome, 'checked');
  assert.ok(check.outcome === 'checked');
  assert.deepEqual(check.findings, []);
  assert.deepEqual(check.trails.map((v) => [v.name, v.homeRegion, v.logging, v.selectors.recordsWrites]), [['management-events', 'us-east-1', true, true]]);
  // Status and selectors are asked by ARN: a shadow trail is not found by its name.
  const arn = 'arn:aws:cloudtrail:us-east-1:123456789012:trail/management-events';
  assert.deepEqual(sim.requests.map((r) => [r.region, r.operation, r.body]), [
    ['eu-west-1', 'DescribeTrails', { includeShadowTrails: true }],
    ['eu-west-1', 'GetTrailStatus', { Name: arn }],
    ['eu-west-1', 'GetEventSelectors', { TrailName: arn }],
  ]);
});

test('each defect made in the simulator comes back as its finding', async (t) => {
  const { client, sim } = await setUp(t);
  const kindsNow = async () => {
    const check = await checkTrails(client);
    assert.ok(check.outcome === 'checked', JSON.stringify(check));
    return check.findings.map((f) => f.kind);
  };
  sim.trails.setLogging('management-events', false);
  assert.deepEqual(await kindsNow(), ['trail-not-logging']);
  sim.trails.setLogging('management-events', true);
  sim.trails.put({ Name: 'management-events', IncludeGlobalServiceEvents: false });
  assert.deepEqual(await kindsNow(), ['trail-coverage']);
  sim.trails.put({ Name: 'management-events', IncludeGlobalServiceEvents: true, selectors: { EventSelectors: [{ ReadWriteType: 'ReadOnly' }] } });
  assert.deepEqual(await kindsNow(), ['trail-selectors']);
  sim.trails.put({
    Name: 'management-events',
    selectors: { AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }, { Field: 'resources.type', Equals: ['AWS::S3::Object'] }] }] },
  });
  assert.deepEqual(await kindsNow(), ['trail-selectors']);
  // A second, healthy organization trail makes the account healthy again.
  sim.trails.put({ Name: 'org-trail', IsOrganizationTrail: true });
  assert.deepEqual(await kindsNow(), []);
  sim.trails.remove('org-trail');
  sim.trails.remove('management-events');
  assert.deepEqual(await kindsNow(), ['trail-missing']);
  // A single-region trail homed here is no replacement.
  sim.trails.put({ Name: 'local', HomeRegion: 'eu-west-1', IsMultiRegionTrail: false });
  assert.deepEqual(await kindsNow(), ['trail-missing']);
});

test('AccessDenied names the refused action; throttling and 5xx are failures to retry; credentials are never echoed', async (t) => {
  const { client, sim } = await setUp(t);
  sim.trails.deny(true);
  const denied = await checkTrails(client);
  assert.deepEqual({ ...denied, message: undefined }, { outcome: 'denied', region: 'eu-west-1', action: 'cloudtrail:DescribeTrails', message: undefined });
  assert.ok(denied.outcome === 'denied');
  assert.match(denied.message, /not authorized to perform: cloudtrail:DescribeTrails/);
  sim.trails.deny(false);

  sim.failNext('eu-west-1', 'throttle');
  const throttled = await checkTrails(client);
  assert.deepEqual({ ...throttled, message: undefined }, { outcome: 'failed', region: 'eu-west-1', kind: 'throttled', message: undefined });
  sim.failNext('eu-west-1', { status: 503 });
  const result = await checkTrails(client);
  assert.deepEqual({ ...result, message: undefined }, { outcome: 'failed', region: 'eu-west-1', kind: 'transient', message: undefined });
  assert.ok(!JSON.stringify([denied, throttled, result]).includes(TEST_CREDENTIALS.secretAccessKey));
});

test('a trail deleted between DescribeTrails and its status is left out; shadow duplicates count once', async () => {
  const arn = (name: string) => `arn:aws:cloudtrail:us-east-1:123456789012:trail/${name}`;
  const listed = [
    { Name: 'gone', TrailARN: arn('gone'), IsMultiRegionTrail: true, IncludeGlobalServiceEvents: true, HomeRegion: 'us-east-1' },
    { Name: 'main', TrailARN: arn('main'), IsMultiRegionTrail: true, IncludeGlobalServiceEvents: true, HomeRegion: 'us-east-1' },
    { Name: 'main', TrailARN: arn('main'), IsMultiRegionTrail: true, IncludeGlobalServiceEvents: true, HomeRegion: 'us-east-1' },
  ];
  const asked: string[] = [];
  const client = {
    region: 'us-east-1',
    describeTrails: async () => listed,
    async getTrailStatus(name: string) {
      asked.push(name);
      if (name === arn('gone')) throw Object.assign(new Error('Unknown trail'), { name: 'TrailNotFoundException', $metadata: { httpStatusCode: 404 } });
      return { IsLogging: false, StopLoggingTime: new Date(Date.UTC(2026, 10, 30)) };
    },
    getEventSelectors: async () => ({ EventSelectors: [{ ReadWriteType: 'All' as const }] }),
  };
  const check = await checkTrails(client);
  assert.ok(check.outcome === 'checked');
  assert.deepEqual(asked, [arn('gone'), arn('main')]);
  assert.deepEqual(check.trails.map((v) => v.name), ['main']);
  assert.deepEqual(check.findings.map((f) => [f.kind, f.trails]), [['trail-not-logging', ['main']]]);
  assert.match(check.findings[0]?.reason ?? '', /since 2026-11-30T00:00:00\.000Z/);
});
