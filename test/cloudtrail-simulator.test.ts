import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import {
  CloudTrailClient,
  DescribeTrailsCommand,
  LookupEventsCommand,
  type LookupEventsCommandInput,
} from '@aws-sdk/client-cloudtrail';
import type { CloudTrailRecord } from '../src/events/types';
import { startCloudTrailSimulator, type CloudTrailSimulatorOptions } from '../src/sim/cloudtrail-server';
import { ManualClock } from './support/manual-clock';

const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
const RECORDS: CloudTrailRecord[] = readFileSync(join(__dirname, 'fixtures/cloudtrail/events.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as CloudTrailRecord);
const T0 = Date.parse('2023-07-10T11:00:00Z');
const T1 = Date.parse('2023-07-10T13:00:00Z');

async function setUp(t: TestContext, options: CloudTrailSimulatorOptions = {}) {
  const clock = new ManualClock();
  const sim = await startCloudTrailSimulator({ now: () => clock.now(), ...options });
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
  return { clock, sim, client: clientFor(), clientFor };
}

function lookup(client: CloudTrailClient, input: LookupEventsCommandInput) {
  return client.send(new LookupEventsCommand({ StartTime: new Date(T0), EndTime: new Date(T1), ...input }));
}

/** Matches an SDK error by code and HTTP status. */
function awsError(name: string, status = 400) {
  return (error: unknown) => {
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    assert.equal(e.name, name);
    assert.equal(e.$metadata?.httpStatusCode, status);
    return true;
  };
}

/** POSTs like an SDK would, with a hand-written SigV4 Authorization header (the simulator checks only the scope). */
function rawPost(sim: { url: string }, target: string, body: unknown, region = 'us-east-1') {
  return fetch(sim.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': target,
      authorization:
        `AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/${region}/cloudtrail/aws4_request, ` +
        'SignedHeaders=host, Signature=00',
    },
    body: JSON.stringify(body),
  });
}

test('rejects more than one lookup attribute', async (t) => {
  const { client } = await setUp(t);
  const attribute = { AttributeKey: 'ReadOnly' as const, AttributeValue: 'false' };
  await assert.rejects(
    lookup(client, { LookupAttributes: [attribute, attribute] }),
    awsError('InvalidLookupAttributesException'),
  );
});

test('rejects an attribute key outside the enum (case-sensitive), an empty value, ReadOnly not true/false', async (t) => {
  const { client } = await setUp(t, { requestsPerSecond: 100 });
  for (const [key, value] of [['readOnly', 'false'], ['Region', 'x'], ['ReadOnly', 'False'], ['EventName', '']]) {
    await assert.rejects(
      lookup(client, { LookupAttributes: [{ AttributeKey: key as 'ReadOnly', AttributeValue: value }] }),
      awsError('InvalidLookupAttributesException'),
      `${key}=${value}`,
    );
  }
});

test('rejects MaxResults outside 1-50 and accepts the bounds', async (t) => {
  const { client, clock } = await setUp(t, { requestsPerSecond: 100 });
  for (const max of [0, 51, -1]) {
    await assert.rejects(lookup(client, { MaxResults: max }), awsError('InvalidMaxResultsException'), String(max));
  }
  await clock.advance(1000);
  await lookup(client, { MaxResults: 1 });
  await lookup(client, { MaxResults: 50 });
});

test('rejects StartTime after EndTime, accepts them equal', async (t) => {
  const { client } = await setUp(t);
  await assert.rejects(
    lookup(client, { StartTime: new Date(T1), EndTime: new Date(T1 - 1) }),
    awsError('InvalidTimeRangeException'),
  );
  const equal = await lookup(client, { StartTime: new Date(T1), EndTime: new Date(T1) });
  assert.deepEqual(equal.Events, []);
});

test('serves each region its own history, the region read from the SigV4 scope', async (t) => {
  const { sim, clientFor } = await setUp(t);
  const [a, b] = RECORDS;
  sim.addRecord(a!, { region: 'ap-southeast-2' });
  sim.addRecord(b!);
  const sydney = await lookup(clientFor('ap-southeast-2'), {});
  const virginia = await lookup(clientFor('us-east-1'), {});
  assert.deepEqual(sydney.Events?.map((e) => e.EventId), [a!.eventID]);
  assert.deepEqual(virginia.Events?.map((e) => e.EventId), [b!.eventID]);
  assert.equal(JSON.parse(sydney.Events?.[0]?.CloudTrailEvent ?? '{}').awsRegion, 'ap-southeast-2');
  assert.deepEqual(sim.requests.map((r) => [r.region, r.operation, r.status]), [
    ['ap-southeast-2', 'LookupEvents', 200],
    ['us-east-1', 'LookupEvents', 200],
  ]);
});

test('returns events newest first with the LookupEvents fields built from the record', async (t) => {
  const { sim, client } = await setUp(t);
  const assumed = RECORDS.find((r) => r.userIdentity?.type === 'AssumedRole' && r.resources?.length)!;
  sim.addRecords(RECORDS.slice(0, 30));
  sim.addRecord(assumed, { eventTime: T1 - 1500, eventId: 'assumed-1' });
  const out = await lookup(client, {});
  const times = (out.Events ?? []).map((e) => e.EventTime!.getTime());
  assert.equal(times.length, 31);
  assert.deepEqual(times, [...times].sort((x, y) => y - x));
  assert.ok(times.every((ms) => ms % 1000 === 0), 'whole seconds');

  const first = out.Events![0]!;
  assert.equal(first.EventId, 'assumed-1');
  assert.equal(first.EventTime!.getTime(), T1 - 2000);
  assert.equal(first.Username, assumed.userIdentity?.sessionContext?.sessionIssuer?.userName);
  assert.equal(first.ReadOnly, String(assumed.readOnly));
  const resources = assumed.resources!.map((r) => ({ ResourceType: r.type, ResourceName: r.ARN }));
  assert.deepEqual(first.Resources, JSON.parse(JSON.stringify(resources))); // absent `type` → no ResourceType
  const inner = JSON.parse(first.CloudTrailEvent!) as CloudTrailRecord;
  assert.equal(inner.eventID, 'assumed-1');
  assert.equal(inner.eventTime, '2023-07-10T12:59:58Z');
});

test('StartTime and EndTime are inclusive, fractions allowed', async (t) => {
  const { sim, client, clock } = await setUp(t, { requestsPerSecond: 100 });
  const at = Date.parse('2023-07-10T12:00:00Z');
  sim.addRecord(RECORDS[0]!, { eventTime: at, eventId: 'edge' });
  const ids = async (start: number, end: number) => {
    await clock.advance(1000);
    const out = await lookup(client, { StartTime: new Date(start), EndTime: new Date(end) });
    return (out.Events ?? []).map((e) => e.EventId);
  };
  assert.deepEqual(await ids(at, at), ['edge']);
  assert.deepEqual(await ids(at - 500, at + 500), ['edge']);
  assert.deepEqual(await ids(at + 1, at + 5000), []);
  assert.deepEqual(await ids(at - 5000, at - 1), []);
});

test('an event becomes visible only at its visibleAt (late events)', async (t) => {
  const { sim, client, clock } = await setUp(t);
  sim.addRecord(RECORDS[0]!, { eventId: 'on-time' });
  sim.addRecord(RECORDS[1]!, { eventId: 'late', visibleAt: clock.now() + 60_000 });
  const before = await lookup(client, {});
  assert.deepEqual(before.Events?.map((e) => e.EventId), ['on-time']);
  await clock.advance(60_000);
  const after = await lookup(client, {});
  assert.deepEqual(after.Events?.map((e) => e.EventId).sort(), ['late', 'on-time']);
});

test('honours the EventName, EventSource, Username, EventId and ReadOnly filters', async (t) => {
  const { sim, client, clock } = await setUp(t, { requestsPerSecond: 100 });
  const records = RECORDS.slice(0, 200);
  sim.addRecords(records);
  const target = records.find((r) => r.readOnly === false)!;
  const check = async (key: string, value: string, expected: (r: CloudTrailRecord) => boolean) => {
    await clock.advance(1000);
    const attribute = { AttributeKey: key as 'EventId', AttributeValue: value };
    const out = await lookup(client, { LookupAttributes: [attribute], MaxResults: 50 });
    const want = records.filter(expected).map((r) => r.eventID).slice(-50).reverse();
    assert.deepEqual(out.Events?.map((e) => e.EventId).sort(), [...want].sort(), key);
    assert.ok(want.length > 0, `${key} selects something`);
  };
  await check('EventName', target.eventName!, (r) => r.eventName === target.eventName);
  await check('EventSource', target.eventSource!, (r) => r.eventSource === target.eventSource);
  await check('Username', 'benjamin', (r) => r.userIdentity?.userName === 'benjamin');
  await check('EventId', target.eventID!, (r) => r.eventID === target.eventID);
  await check('ReadOnly', 'false', (r) => r.readOnly === false);
});

test('a NextToken works only with the parameters that issued it', async (t) => {
  const { sim, client, clock } = await setUp(t, { requestsPerSecond: 100 });
  sim.addRecords(RECORDS.slice(0, 5));
  const first = await lookup(client, { MaxResults: 2 });
  assert.ok(first.NextToken);
  const token = first.NextToken;
  const readOnly = [{ AttributeKey: 'ReadOnly' as const, AttributeValue: 'true' }];
  const invalidToken = awsError('InvalidNextTokenException');
  await assert.rejects(lookup(client, { MaxResults: 2, NextToken: token, EndTime: new Date(T1 + 1000) }), invalidToken);
  await assert.rejects(lookup(client, { MaxResults: 2, NextToken: token, LookupAttributes: readOnly }), invalidToken);
  await assert.rejects(lookup(client, { MaxResults: 3, NextToken: token }), invalidToken);
  await assert.rejects(lookup(client, { MaxResults: 2, NextToken: 'not-a-token' }), invalidToken);
  await clock.advance(1000);
  const second = await lookup(client, { MaxResults: 2, NextToken: token });
  const third = await lookup(client, { MaxResults: 2, NextToken: second.NextToken });
  assert.equal(third.NextToken, undefined);
  const ids = [first, second, third].flatMap((p) => p.Events!.map((e) => e.EventId));
  assert.deepEqual([...ids].sort(), RECORDS.slice(0, 5).map((r) => r.eventID).sort());
});

for (const status of [400, 429] as const) {
  test(`throttles above 2 requests per second per region with ThrottlingException (${status})`, async (t) => {
    const { client, clientFor, clock, sim } = await setUp(t, { throttleStatus: status });
    await lookup(client, {});
    await clock.advance(999);
    await lookup(client, {});
    await assert.rejects(lookup(client, {}), (error: unknown) => {
      awsError('ThrottlingException', status)(error);
      assert.equal((error as Error).message, 'Rate exceeded');
      return true;
    });
    await lookup(clientFor('eu-west-1'), {}); // another region has its own quota
    await clock.advance(1);
    await lookup(client, {}); // the first request left the one-second window
    assert.deepEqual(sim.requests.map((r) => r.status), [200, 200, status, 200, 200]);
  });
}

test('scripted failures: next-N per region or any region, persistent per region', async (t) => {
  const { sim, client, clientFor, clock } = await setUp(t, { requestsPerSecond: 100 });
  sim.failNext('us-east-1', { status: 503 }, 2);
  sim.failNext('*', 'ExpiredTokenException');
  sim.setRegionFailure('ap-east-1', 'UnrecognizedClientException');
  await assert.rejects(lookup(client, {}), awsError('ServiceUnavailable', 503));
  await assert.rejects(lookup(client, {}), awsError('ServiceUnavailable', 503));
  await assert.rejects(lookup(client, {}), awsError('ExpiredTokenException'));
  await lookup(client, {});
  const hongKong = clientFor('ap-east-1');
  await assert.rejects(lookup(hongKong, {}), (error: unknown) => {
    awsError('UnrecognizedClientException')(error);
    assert.equal((error as Error).message, 'The security token included in the request is invalid');
    return true;
  });
  await assert.rejects(hongKong.send(new DescribeTrailsCommand({})), awsError('UnrecognizedClientException'));
  sim.setRegionFailure('ap-east-1', undefined);
  await clock.advance(1000);
  await lookup(hongKong, {});
  sim.failNext('us-east-1', 'AccessDeniedException');
  await assert.rejects(lookup(client, {}), (error: unknown) => {
    awsError('AccessDeniedException')(error);
    assert.match((error as Error).message, /is not authorized to perform: cloudtrail:LookupEvents/);
    return true;
  });
});

test('accepts the long target form and sends awsJson1_1 error bodies and headers', async (t) => {
  const { sim } = await setUp(t, { requestsPerSecond: 100 });
  sim.addRecord(RECORDS[0]!);
  const longTarget = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents';
  const ok = await rawPost(sim, longTarget, { StartTime: T0 / 1000, EndTime: T1 / 1000 });
  assert.equal(ok.status, 200);
  assert.equal(((await ok.json()) as { Events: unknown[] }).Events.length, 1);

  const bad = await rawPost(sim, longTarget, { StartTime: T1 / 1000, EndTime: T0 / 1000 });
  assert.equal(bad.status, 400);
  assert.equal(bad.headers.get('content-type'), 'application/x-amz-json-1.1');
  assert.match(bad.headers.get('x-amzn-requestid') ?? '', /^[0-9a-f-]{36}$/);
  const body = (await bad.json()) as { __type: string; Message: string };
  assert.equal(body.__type, 'com.amazonaws.cloudtrail.v20131101#InvalidTimeRangeException');
  assert.equal(typeof body.Message, 'string');

  const unknown = await rawPost(sim, 'CloudTrail_20131101.StopLogging', {});
  assert.equal(unknown.status, 400);
  const iso = await rawPost(sim, longTarget, { StartTime: '2023-07-10T11:00:00Z' });
  assert.equal(((await iso.json()) as { __type: string }).__type.split('#')[1], 'SerializationException');
  assert.deepEqual(sim.requests[0]?.body, { StartTime: T0 / 1000, EndTime: T1 / 1000 });
  assert.equal(sim.requests[0]?.target, longTarget);
});

test('a hung request never answers, and close() still finishes', { timeout: 5000 }, async (t) => {
  const { sim } = await setUp(t);
  sim.failNext('*', 'hang');
  const pending = rawPost(sim, 'CloudTrail_20131101.LookupEvents', {});
  await sim.waitForRequests(1);
  assert.equal(sim.requests[0]?.status, 0);
  await sim.close();
  await assert.rejects(pending); // the socket was destroyed, not answered
});

test('refuses a request without a SigV4 credential scope', async (t) => {
  const { sim } = await setUp(t);
  const res = await fetch(sim.url, {
    method: 'POST',
    headers: { 'x-amz-target': 'CloudTrail_20131101.LookupEvents' },
    body: '{}',
  });
  assert.equal(res.status, 400);
  assert.match(((await res.json()) as { __type: string }).__type, /#MissingAuthenticationTokenException$/);
});

test('keeps only the latest maxRecordedRequests, while waitForRequests counts them all', async (t) => {
  const { sim, client } = await setUp(t, { maxRecordedRequests: 2, requestsPerSecond: 100 });
  const third = sim.waitForRequests(3);
  for (let i = 0; i < 3; i += 1) await client.send(new DescribeTrailsCommand({ trailNameList: [`trail-${i}`] }));
  await third;
  assert.deepEqual(sim.requests.map((r) => (r.body as { trailNameList: string[] }).trailNameList), [['trail-1'], ['trail-2']]);
});
