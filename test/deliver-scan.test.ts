import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromRecord } from '../src/events/parse';
import type { CloudTrailRecord, TrailEvent } from '../src/events/types';
import { deliverScan, type ScanDeps } from '../src/pipeline/deliver-scan';
import { DEFAULT_DIGEST_OPTIONS } from '../src/pipeline/plan';
import { createWebhookQueue, type WebhookQueue } from '../src/pipeline/webhook-queue';
import type { Decision } from '../src/rules/decision';
import type { SendOutcome, SlackSender } from '../src/slack/sender';
import type { SlackMessage } from '../src/slack/types';
import { initialState, type RegionState } from '../src/state/region-state';
import { completeScan, planScan, type WindowOptions } from '../src/cloudtrail/window';
import { captureLogger } from './support/daemon-harness';
import { T0 } from './support/queue-items';

const MIN = 60_000;
const WINDOW = { start: T0 - 20 * MIN, end: T0 };
const MENTION = '<!subteam^S123|@security>';

// synthetic: minimal write records; the decider below reads only their names
function event(i: number, name = 'CreateTags', overrides: Partial<CloudTrailRecord> = {}): TrailEvent {
  const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  return fromRecord({
    eventID: id,
    eventName: name,
    eventSource: 'ec2.amazonaws.com',
    eventTime: new Date(T0 - 10 * MIN + i * 1000).toISOString(),
    awsRegion: 'eu-west-1',
    readOnly: false,
    userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/Deployer/terraform', accountId: '111122223333' },
    ...overrides,
  }, 'eu-west-1')!;
}

/** The routes example: high → security (with a mention, continue), everything → default; Mute* muted. */
function decide(e: TrailEvent): Decision {
  if (e.name.startsWith('Mute')) return { level: 'informational', matched: [], muted: true, muteReason: 'mute[0]', routes: [] };
  const high = e.name === 'StopLogging';
  return {
    level: high ? 'high' : 'informational',
    matched: high ? [{ id: 'stop-logging', title: 'CloudTrail logging stopped', level: 'high', tags: [] }] : [],
    muted: false,
    routes: high ? [{ webhook: 'security', mention: MENTION }, { webhook: 'default' }] : [{ webhook: 'default' }],
  };
}

function recordingSender() {
  const sent: SlackMessage[] = [];
  const sender: SlackSender = {
    send: async (message): Promise<SendOutcome> => {
      sent.push(message);
      return { delivered: true };
    },
    stats: () => ({ sent: sent.length, retries: 0, rateLimited: 0 }),
  };
  return { sender, sent };
}

function setUp(overrides: Partial<ScanDeps> = {}) {
  const logs = captureLogger();
  const slack = { default: recordingSender(), security: recordingSender() };
  const queues = new Map<string, WebhookQueue>(
    Object.entries(slack).map(([name, s]) => [name, createWebhookQueue({ name, sender: s.sender, log: logs.log, digest: DEFAULT_DIGEST_OPTIONS })]),
  );
  const commits: Array<{ webhook: string; entries: Array<{ id: string; t: number }> }> = [];
  const deps: ScanDeps = {
    target: 'eu-west-1',
    region: 'eu-west-1',
    log: logs.log,
    decide,
    queueFor: (name) => queues.get(name),
    commit: async (delta) => void commits.push(delta),
    now: () => T0,
    ...overrides,
  };
  return { deps, slack, commits, logs };
}

const freshState = (): RegionState => ({ ...initialState(T0, 20), offset: WINDOW.start });

describe('deliverScan', () => {
  test('decides with the target key\'s account when the caller gives no account (routes by account, issue 10)', async () => {
    const seen: Array<{ account?: string; region: string }> = [];
    const h = setUp({ target: '222233334444/eu-west-1', decide: (e, target) => (seen.push(target), decide(e)) });
    await deliverScan(h.deps, [event(1)], freshState(), WINDOW);
    assert.deepEqual(seen, [{ account: '222233334444', region: 'eu-west-1' } as { account?: string; region: string }]);
    const single = setUp({ decide: (e, target) => (seen.push(target), decide(e)) });
    await deliverScan(single.deps, [event(2)], freshState(), WINDOW);
    assert.deepEqual(seen[1], { account: undefined, region: 'eu-west-1' }, 'the single account: the record names it');
  });

  test('routes: a high event goes to both webhooks (the mention only on security), routine ones to default only', async () => {
    const h = setUp();
    const events = [event(1), event(2, 'StopLogging'), event(3)];
    const result = await deliverScan(h.deps, events, freshState(), WINDOW);
    assert.equal(result.posted, 4);
    assert.equal(h.slack.security.sent.length, 1);
    assert.ok(h.slack.security.sent[0]!.text.startsWith(`${MENTION} `));
    assert.match(JSON.stringify(h.slack.security.sent[0]), /StopLogging/);
    assert.equal(h.slack.default.sent.length, 3);
    assert.ok(h.slack.default.sent.every((m) => !m.text.includes('subteam')), 'no mention on the default webhook');
    assert.deepEqual(result.state.delivered[events[1]!.id]?.to.sort(), ['default', 'security']);
    assert.deepEqual(result.state.delivered[events[0]!.id]?.to, ['default']);
  });

  test('skips read-only events, counts muted ones, and records neither', async () => {
    const h = setUp();
    const result = await deliverScan(h.deps, [event(1, 'CreateTags', { readOnly: true }), event(2, 'MuteMe'), event(3)], freshState(), WINDOW);
    assert.deepEqual([result.skippedReadOnly, result.muted, result.posted], [1, 1, 1]);
    assert.deepEqual(Object.keys(result.state.delivered), [event(3).id]);
  });

  test('an event delivered to one of its webhooks is posted only to the other; one delivered to all is skipped', async () => {
    const h = setUp();
    const stop = event(2, 'StopLogging');
    const done = event(3);
    const state = freshState();
    state.delivered[stop.id] = { t: stop.time, to: ['default'] };
    state.delivered[done.id] = { t: done.time, to: ['default'] };
    const result = await deliverScan(h.deps, [stop, done], state, WINDOW);
    assert.equal(result.posted, 1);
    assert.equal(result.skippedDelivered, 1);
    assert.equal(h.slack.default.sent.length, 0);
    assert.equal(h.slack.security.sent.length, 1);
    assert.deepEqual(h.commits, [{ webhook: 'security', entries: [{ id: stop.id, t: stop.time }] }]);
  });

  test("a burst is committed one message at a time, each commit holding that message's IDs", async () => {
    const h = setUp();
    const events = Array.from({ length: 120 }, (_, i) => event(i + 1));
    const result = await deliverScan(h.deps, events, freshState(), WINDOW);
    assert.equal(result.posted, 120);
    assert.equal(result.digested, 120);
    assert.equal(h.slack.default.sent.length, 3, 'three digests of at most 50');
    assert.deepEqual(h.commits.map((c) => c.entries.length), [50, 50, 20]);
    assert.deepEqual(h.commits.flatMap((c) => c.entries.map((e) => e.id)), events.map((e) => e.id));
  });

  test('an ID is kept under the window end when its time lies outside the window, and raised when returned again', async () => {
    const h = setUp();
    const odd = { ...event(1), time: 86_400_000 };
    const state = freshState();
    await deliverScan(h.deps, [odd], state, WINDOW);
    assert.equal(state.delivered[odd.id]?.t, WINDOW.end);
    const later = { start: T0 - 10 * MIN, end: T0 + 5 * MIN };
    const again = await deliverScan(h.deps, [odd], state, later);
    assert.equal(again.skippedDelivered, 1);
    assert.equal(state.delivered[odd.id]?.t, later.end, 'kept as long as a scan returns it');
    assert.equal(h.slack.default.sent.length, 1);
  });

  test('a failed commit rejects the scan with its error once nothing is in flight, the IDs kept in memory', async () => {
    const diskFull = Object.assign(new Error('ENOSPC'), { name: 'StateWriteError' });
    const h = setUp({ commit: async () => Promise.reject(diskFull) });
    h.deps.decide = (e) => ({ ...decide(e), routes: [{ webhook: 'default' }] });
    const events = [event(1), event(2)];
    const state = freshState();
    await assert.rejects(deliverScan({ ...h.deps }, events, state, { ...WINDOW }), (e) => e === diskFull);
    assert.equal(h.slack.default.sent.length, 1, 'nothing more is posted while the state cannot be written');
    assert.ok(Object.hasOwn(state.delivered, events[0]!.id), 'what Slack accepted is never posted again by this process');
  });

  test('a route to a webhook without a queue is a fatal error', async () => {
    const h = setUp({ queueFor: () => undefined });
    await assert.rejects(deliverScan(h.deps, [event(1)], freshState(), WINDOW), /no queue for webhook "default"/);
  });
});

describe('deliverScan: delivered-ID bookkeeping never depends on the event time being inside the window', () => {
  const options: WindowOptions = { settleMs: 15 * MIN, settleScanIntervalMs: 5 * MIN, quickOverlapMs: 5 * MIN, maxWindowMs: 60 * MIN };

  // synthetic: events whose times LookupEvents got wrong (1970, unknown, far future)
  for (const [label, time] of [['1970-01-02', 86_400_000], ['unknown (0)', 0], ['the year 2999', Date.UTC(2999, 0, 1)]] as const) {
    test(`an event at ${label}, returned for the window, is kept until the offset passes the window, then pruned`, async () => {
      const odd = { ...event(1), time };
      const h = setUp();
      const plan = planScan(initialState(T0, 20), T0, options);
      const first = await deliverScan(h.deps, [odd], initialState(T0, 20), plan);
      const afterFirst = completeScan(first.state, plan, options, T0);
      assert.deepEqual(afterFirst.delivered[odd.id], { t: plan.end, to: ['default'] }, 'kept with the scanned window end');

      // The next full scans re-read the window: never posted again, and kept while a window can still hold it.
      let state = afterFirst;
      for (let now = T0 + 5 * MIN; now <= T0 + 40 * MIN; now += 5 * MIN) {
        const next = planScan(state, now, options, true);
        const returned = next.start <= plan.end ? [odd] : []; // the service returns it while the window overlaps
        const result = await deliverScan(h.deps, returned, state, next);
        assert.equal(result.posted, 0, `not posted again at +${(now - T0) / MIN} min`);
        state = completeScan(result.state, next, options, now);
      }
      assert.equal(h.slack.default.sent.length, 1);
      assert.equal(Object.hasOwn(state.delivered, odd.id), false, 'pruned once no window can return it');
    });
  }

  test('an event inside the window keeps its own time', async () => {
    const inside = { ...event(1), time: T0 - 5 * MIN };
    const plan = planScan(initialState(T0, 20), T0, options);
    const result = await deliverScan(setUp().deps, [inside], initialState(T0, 20), plan);
    assert.deepEqual(result.state.delivered[inside.id], { t: T0 - 5 * MIN, to: ['default'] });
  });

  test('an event LookupEvents keeps returning is kept as long as it is returned', async () => {
    const stuck = { ...event(1), time: 86_400_000 };
    const h = setUp();
    let state = initialState(T0, 20);
    for (let now = T0; now <= T0 + 60 * MIN; now += 5 * MIN) {
      const plan = planScan(state, now, options, true);
      state = completeScan((await deliverScan(h.deps, [stuck], state, plan)).state, plan, options, now);
    }
    assert.equal(h.slack.default.sent.length, 1, 'posted once in an hour of full scans');
  });

  test('records into the given state in place: the delivered map is never copied', async () => {
    const initial = freshState();
    const map = initial.delivered;
    const result = await deliverScan(setUp().deps, [event(1), event(2), event(3)], initial, WINDOW);
    assert.equal(result.posted, 3);
    assert.equal(result.state.delivered, map, 'the same map, not a copy per event');
    assert.equal(Object.keys(map).length, 3);
  });
});
