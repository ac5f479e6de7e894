import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deliverEvents, type DeliverDeps } from '../src/cloudtrail/deliver';
import { completeScan, planScan, type WindowOptions } from '../src/cloudtrail/window';
import { fromRecord } from '../src/events/parse';
import type { TrailEvent } from '../src/events/types';
import type { SlackMessage } from '../src/slack/types';
import { formatEventMessage, formatPlainMessage } from '../src/slack/format';
import { initialState, type RegionState } from '../src/state/region-state';
import { captureLogger } from './support/daemon-harness';
import { loadFixtureRecords } from './support/fixtures';

const writes = loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin');
const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

function setUp(overrides: Partial<DeliverDeps> = {}) {
  const sent: SlackMessage[] = [];
  const undeliverable: Array<{ id: string; error: string }> = [];
  const alerted: string[] = [];
  const saved: RegionState[] = [];
  const logs = captureLogger();
  const deps: DeliverDeps = {
    region: 'us-east-1',
    log: logs.log,
    filter: () => ({ post: true }),
    format: (e) => formatEventMessage(e),
    formatPlain: (e) => formatPlainMessage(e),
    send: async (m) => {
      sent.push(m);
      return { delivered: true };
    },
    save: async (s) => void saved.push(s),
    recordUndeliverable: async (entry) => void undeliverable.push(entry),
    onUndeliverable: async (event) => void alerted.push(event.id),
    now: () => NOW,
    ...overrides,
  };
  return { deps, sent, undeliverable, alerted, saved, logs };
}

const events = (n: number): TrailEvent[] => writes.slice(0, n).map((r) => fromRecord(r)!);

describe('deliverEvents: an event that cannot be formatted', () => {
  test('is recorded as undeliverable (with an alert) and the events after it are still posted', async () => {
    const [bad, good] = events(2);
    const broken = (e: TrailEvent): SlackMessage => {
      if (e.id === bad!.id) throw new TypeError('formatter bug');
      return formatEventMessage(e);
    };
    const h = setUp({ format: broken, formatPlain: broken });
    const result = await deliverEvents(h.deps, [bad!, good!], initialState(NOW, 20));
    assert.equal(result.posted, 1);
    assert.equal(result.undeliverable, 1);
    assert.deepEqual(h.undeliverable.map((u) => u.id), [bad!.id]);
    assert.match(h.undeliverable[0]!.error, /could not be formatted/);
    assert.deepEqual(h.alerted, [bad!.id]);
    assert.equal(h.sent.length, 1);
    assert.ok(JSON.stringify(h.sent[0]).includes(good!.id));
    assert.ok(Object.hasOwn(result.state.delivered, bad!.id), 'recorded, so it is not tried again on every poll');
  });
});

describe('deliverEvents: delivered-ID bookkeeping never depends on the event time being inside the window', () => {
  const MIN = 60_000;
  const options: WindowOptions = { settleMs: 15 * MIN, settleScanIntervalMs: 5 * MIN, quickOverlapMs: 5 * MIN, maxWindowMs: 60 * MIN };

  // synthetic: real events whose times LookupEvents got wrong (1970, unknown, far future)
  for (const [label, time] of [['1970-01-02', 86_400_000], ['unknown (0)', 0], ['the year 2999', Date.UTC(2999, 0, 1)]] as const) {
    test(`an event at ${label}, returned for the window, is kept until the offset passes the window, then pruned`, async () => {
      const [event] = events(1);
      const odd = { ...event!, time };
      const h = setUp();
      const plan = planScan(initialState(NOW, 20), NOW, options);
      const first = await deliverEvents(h.deps, [odd], initialState(NOW, 20), undefined, plan);
      const afterFirst = completeScan(first.state, plan, options, NOW);
      assert.deepEqual(afterFirst.delivered[odd.id], { t: plan.end, to: ['default'] }, 'kept with the scanned window end');

      // The next full scans re-read the window: never posted again, and kept while a window can still hold it.
      let state = afterFirst;
      for (let now = NOW + 5 * MIN; now <= NOW + 40 * MIN; now += 5 * MIN) {
        const next = planScan(state, now, options, true);
        const returned = next.start <= plan.end ? [odd] : []; // the service returns it while the window overlaps
        const result = await deliverEvents(h.deps, returned, state, undefined, next);
        assert.equal(result.posted, 0, `not posted again at +${(now - NOW) / MIN} min`);
        state = completeScan(result.state, next, options, now);
      }
      assert.equal(h.sent.length, 1);
      assert.equal(Object.hasOwn(state.delivered, odd.id), false, 'pruned once no window can return it');
    });
  }

  test('an event inside the window keeps its own time', async () => {
    const [event] = events(1);
    const inside = { ...event!, time: NOW - 5 * MIN };
    const plan = planScan(initialState(NOW, 20), NOW, options);
    const result = await deliverEvents(setUp().deps, [inside], initialState(NOW, 20), undefined, plan);
    assert.deepEqual(result.state.delivered[inside.id], { t: NOW - 5 * MIN, to: ['default'] });
  });

  test('an event LookupEvents keeps returning is kept as long as it is returned', async () => {
    const [event] = events(1);
    const stuck = { ...event!, time: 86_400_000 };
    const h = setUp();
    let state = initialState(NOW, 20);
    for (let now = NOW; now <= NOW + 60 * MIN; now += 5 * MIN) {
      const plan = planScan(state, now, options, true);
      state = completeScan((await deliverEvents(h.deps, [stuck], state, undefined, plan)).state, plan, options, now);
    }
    assert.equal(h.sent.length, 1, 'posted once in an hour of full scans');
  });
});

describe('deliverEvents: state bookkeeping costs O(1) per event', () => {
  test('records into the given state in place: the delivered map is never copied', async () => {
    const initial = initialState(NOW, 20);
    const map = initial.delivered;
    const result = await deliverEvents(setUp().deps, events(3), initial);
    assert.equal(result.posted, 3);
    assert.equal(result.state.delivered, map, 'the same map, not a copy per event');
    assert.equal(Object.keys(map).length, 3);
  });
});
