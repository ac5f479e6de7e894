import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import pino from 'pino';
import { classifyAwsError, createLookupClient, describeAwsError, type LookupClient } from '../src/cloudtrail/client';
import { lookupWindow, type LookupDeps } from '../src/cloudtrail/lookup';
import type { CloudTrailRecord } from '../src/events/types';
import { createRateLimiter, type RateLimiter } from '../src/lib/rate-limiter';
import { startCloudTrailSimulator, type CloudTrailSimulatorOptions } from '../src/sim/cloudtrail-server';
import { ManualClock } from './support/manual-clock';

const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };
const REGION = 'us-east-1';
const RECORDS: CloudTrailRecord[] = readFileSync(join(__dirname, 'fixtures/cloudtrail/events.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as CloudTrailRecord);
const WRITES = RECORDS.filter((r) => r.readOnly === false);
const WINDOW = { start: Date.parse('2023-07-10T11:00:00Z'), end: Date.parse('2023-07-10T13:00:00Z') };

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

async function setUp(
  t: TestContext,
  options: { sim?: CloudTrailSimulatorOptions; requestTimeoutMs?: number; perSecond?: number } = {},
) {
  const clock = new ManualClock();
  const sim = await startCloudTrailSimulator({ now: () => clock.now(), ...options.sim });
  const client = createLookupClient({
    region: REGION,
    endpoint: sim.url,
    credentials: CREDENTIALS,
    requestTimeoutMs: options.requestTimeoutMs,
  });
  const lines: LogLine[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  const limiter = createRateLimiter({ perSecond: options.perSecond ?? 2, clock });
  const stopAuto = clock.autoAdvance();
  t.after(async () => {
    stopAuto();
    client.destroy();
    await sim.close();
  });
  const deps: LookupDeps = { client, limiter, clock, log, region: REGION, random: () => 0.5 };
  const lookups = () => sim.requests.filter((r) => r.operation === 'LookupEvents');
  return { clock, sim, client, deps, lines, lookups };
}

/** Wraps a client to watch (or tamper with) each call. */
function spyOn(
  client: LookupClient,
  before: (input: { start: number; end: number; nextToken?: string }, call: number) => void = () => {},
) {
  const tokens: Array<string | undefined> = [];
  let calls = 0;
  const spy: LookupClient = {
    async lookupEvents(input, signal) {
      before(input, calls++);
      const out = await client.lookupEvents(input, signal);
      tokens.push(out.nextToken);
      return out;
    },
  };
  return { spy, tokens };
}

test('pages through 361 write events with identical parameters and the previous token, oldest first', async (t) => {
  const { sim, deps, lines, lookups, client } = await setUp(t);
  sim.addRecords(RECORDS);
  const { spy, tokens } = spyOn(client);
  const result = await lookupWindow({ ...deps, client: spy }, WINDOW);

  const pages = Math.ceil(WRITES.length / 50);
  assert.equal(pages, 8);
  assert.equal(result.requests, pages);
  const bodies = lookups().map((r) => r.body as Record<string, unknown>);
  assert.equal(bodies.length, pages);
  bodies.forEach((body, i) => {
    const { NextToken, ...rest } = body;
    assert.deepEqual(rest, {
      LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'false' }],
      MaxResults: 50,
      StartTime: WINDOW.start / 1000,
      EndTime: WINDOW.end / 1000,
    });
    assert.equal(NextToken, i === 0 ? undefined : tokens[i - 1], `page ${i + 1} token`);
  });
  // Oldest first; within a second CloudTrail's order reversed, which here is the fixture's own order.
  assert.deepEqual(result.events.map((e) => e.id), WRITES.map((r) => r.eventID));
  assert.ok(result.events.every((e) => e.readOnly === false && e.region === REGION && e.record !== undefined));
  const pageLogs = lines.filter((l) => l.msg === 'lookup page');
  assert.deepEqual(
    pageLogs.map((l) => [l.page, l.events, l.nextToken]),
    Array.from({ length: pages }, (_, i) => [i + 1, i < pages - 1 ? 50 : WRITES.length - 350, i < pages - 1]),
  );
});

test('the limiter keeps requests 500 ms apart in the simulator clock, so nothing is throttled', async (t) => {
  const { sim, deps, lookups } = await setUp(t);
  sim.addRecords(WRITES);
  await lookupWindow(deps, WINDOW);
  const requests = lookups();
  assert.equal(requests.length, 8);
  assert.ok(requests.every((r) => r.status === 200));
  for (let i = 1; i < requests.length; i += 1) {
    assert.ok(requests[i]!.at - requests[i - 1]!.at >= 500, `gap before request ${i + 1}`);
  }
});

test('without the limiter the simulator does throttle (the previous test can fail)', async (t) => {
  const { sim, deps } = await setUp(t);
  sim.addRecords(WRITES);
  const unlimited: RateLimiter = { take: async () => {} };
  await assert.rejects(lookupWindow({ ...deps, limiter: unlimited, maxPageAttempts: 1 }, WINDOW), (error) => {
    assert.equal(classifyAwsError(error), 'throttled');
    return true;
  });
});

test('tolerates bad CloudTrailEvent JSON, and keeps an event without an ID under a stable content hash', async (t) => {
  const { sim, deps, lines } = await setUp(t);
  const [a, b, c] = WRITES;
  sim.addRecord(a!);
  sim.addRecord(b!, { cloudTrailEvent: '{"eventID": "truncated' });
  sim.addRecord({ ...c!, eventID: undefined }, { cloudTrailEvent: null });
  const { events } = await lookupWindow(deps, WINDOW);
  assert.deepEqual(events.slice(0, 2).map((e) => e.id), [a!.eventID, b!.eventID]);
  const bad = events[1]!;
  assert.equal(bad.record, undefined);
  assert.match(bad.recordError ?? '', /not valid JSON/);
  assert.equal(bad.name, b!.eventName);
  const anonymous = events[2]!;
  assert.match(anonymous.id, /^sha256-[0-9a-f]{32}$/);
  assert.equal(anonymous.name, c!.eventName);
  const again = await lookupWindow(deps, WINDOW);
  assert.equal(again.events[2]!.id, anonymous.id, 'the same ID on a re-read, so dedupe works');
  const warning = lines.find((l) => String(l.msg).startsWith('event without an EventId'));
  assert.equal(warning?.eventName, c!.eventName);
  assert.equal(warning?.level, 40);
});

test('retries a 500 and then a throttled page with backoff, then succeeds', async (t) => {
  const { sim, deps, lines, lookups, clock } = await setUp(t);
  sim.addRecords(WRITES.slice(0, 60));
  sim.failNext(REGION, { status: 500 });
  sim.failNext(REGION, 'throttle');
  const result = await lookupWindow(deps, WINDOW);
  assert.equal(result.events.length, 60);
  assert.equal(result.requests, 4);
  assert.deepEqual(lookups().map((r) => r.status), [500, 400, 200, 200]);
  const retries = lines.filter((l) => l.msg === 'lookup page failed; retrying');
  assert.deepEqual(retries.map((l) => [l.kind, l.attempt, l.delayMs]), [
    ['transient', 1, 375], // equal jitter, random 0.5: 500/2 + 0.5 * 500/2
    ['throttled', 2, 3000], // ceiling 2000 * 2 = 4000 → 2000 + 1000
  ]);
  assert.ok(clock.sleeps.includes(375) && clock.sleeps.includes(3000));
  const [, throttled, retried] = lookups();
  assert.ok(retried!.at - throttled!.at >= 1000, 'a throttled page waits at least a second');
});

test('gives up after maxPageAttempts on a persistent 503 and throws the SDK error', async (t) => {
  const { sim, deps, lookups } = await setUp(t);
  sim.setRegionFailure(REGION, { status: 503 });
  await assert.rejects(lookupWindow({ ...deps, maxPageAttempts: 3 }, WINDOW), (error) => {
    assert.equal(classifyAwsError(error), 'transient');
    return true;
  });
  assert.equal(lookups().length, 3);
});

test('AccessDenied is thrown at once, unwrapped, and classified', async (t) => {
  const { sim, deps, lookups } = await setUp(t);
  sim.addRecords(WRITES.slice(0, 3));
  sim.failNext(REGION, 'AccessDeniedException');
  await assert.rejects(lookupWindow(deps, WINDOW), (error) => {
    assert.equal((error as Error).name, 'AccessDeniedException');
    assert.equal(classifyAwsError(error), 'access-denied');
    const description = describeAwsError(error);
    assert.match(description, /^AccessDeniedException \(HTTP 400\): User: arn:aws:iam::\d{12}:user\/x is not authorized/);
    assert.doesNotMatch(description, /test-secret/);
    return true;
  });
  assert.equal(lookups().length, 1);
});

test('a rejected NextToken restarts the window from the first page once', async (t) => {
  const { sim, deps, client, lookups, lines } = await setUp(t);
  sim.addRecords(WRITES.slice(0, 120));
  const { spy } = spyOn(client, (input, call) => {
    if (call === 1) input.nextToken = 'stale-token';
  });
  const result = await lookupWindow({ ...deps, client: spy }, WINDOW);
  assert.deepEqual(result.events.map((e) => e.id), WRITES.slice(0, 120).map((r) => r.eventID));
  const tokens = lookups().map((r) => (r.body as { NextToken?: string }).NextToken);
  assert.equal(tokens.length, 5); // page 1, bad page 2, then pages 1-3 again
  assert.equal(tokens[1], 'stale-token');
  assert.equal(tokens[2], undefined);
  assert.equal(result.requests, 5);
  assert.ok(lines.some((l) => l.msg === 'next token rejected; restarting window'));
});

test('a second rejected NextToken is thrown', async (t) => {
  const { sim, deps, client, lookups } = await setUp(t);
  sim.addRecords(WRITES.slice(0, 120));
  const { spy } = spyOn(client, (input) => {
    if (input.nextToken) input.nextToken = 'stale-token';
  });
  await assert.rejects(lookupWindow({ ...deps, client: spy }, WINDOW), (error) => {
    assert.equal(classifyAwsError(error), 'invalid-next-token');
    return true;
  });
  assert.equal(lookups().length, 4);
});

test('aborting between pages stops paging', async (t) => {
  const { sim, deps, client, lookups } = await setUp(t);
  sim.addRecords(WRITES);
  const controller = new AbortController();
  const abortAfterFirstPage: LookupClient = {
    async lookupEvents(input, signal) {
      const out = await client.lookupEvents(input, signal);
      controller.abort();
      return out;
    },
  };
  await assert.rejects(lookupWindow({ ...deps, client: abortAfterFirstPage }, WINDOW, controller.signal), (error) => {
    assert.equal(classifyAwsError(error), 'aborted');
    return true;
  });
  assert.equal(lookups().length, 1);
});

test('aborting during a hung request rejects at once with an abort', { timeout: 5000 }, async (t) => {
  const { sim, deps } = await setUp(t);
  sim.failNext('*', 'hang');
  const controller = new AbortController();
  const pending = lookupWindow(deps, WINDOW, controller.signal);
  await sim.waitForRequests(1);
  controller.abort();
  await assert.rejects(pending, (error) => {
    assert.equal(classifyAwsError(error), 'aborted');
    return true;
  });
});

test('a hung request times out in the client and the page is retried', { timeout: 5000 }, async (t) => {
  const { sim, deps, lookups, lines } = await setUp(t, { requestTimeoutMs: 150 });
  sim.addRecords(WRITES.slice(0, 10));
  sim.failNext(REGION, 'hang');
  const result = await lookupWindow(deps, WINDOW);
  assert.equal(result.events.length, 10);
  assert.deepEqual(lookups().map((r) => r.status), [0, 200]);
  const retry = lines.find((l) => l.msg === 'lookup page failed; retrying');
  assert.equal(retry?.kind, 'transient');
  assert.match(String(retry?.err), /^TimeoutError/);
});
