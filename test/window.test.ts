import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completeScan, nextCatchUpWindow, planScan, type WindowOptions } from '../src/cloudtrail/window';
import { EVENT_HISTORY_RETENTION_MS } from '../src/cloudtrail/retention';
import { initialState, recordDelivered, type RegionState } from '../src/state/region-state';

const MIN = 60_000;
const options: WindowOptions = {
  settleMs: 15 * MIN,
  settleScanIntervalMs: 5 * MIN,
  quickOverlapMs: 5 * MIN,
  maxWindowMs: 60 * MIN,
};
const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);

test('a first start reads the initial lookback in one full scan', () => {
  const state = initialState(T0, 20);
  assert.deepEqual(planScan(state, T0, options), { kind: 'full', start: T0 - 20 * MIN, end: T0 });
});

test('a full scan moves the offset to end minus the settle window and prunes older IDs', () => {
  const state = initialState(T0, 20);
  recordDelivered(state, 'old', 'default', T0 - 19 * MIN);
  recordDelivered(state, 'recent', 'security', T0 - 10 * MIN);
  const plan = planScan(state, T0, options);
  const next = completeScan(state, plan, options, T0);
  assert.equal(next.offset, T0 - 15 * MIN);
  assert.deepEqual(next.delivered, { recent: { t: T0 - 10 * MIN, to: ['security'] } });
  assert.deepEqual(Object.keys(state.delivered), ['old', 'recent'], 'the input state is not changed');
  assert.equal(next.lastFullScanEnd, T0);
  assert.equal(next.lastScanEnd, T0);
});

test('between settle scans a poll re-reads only the quick overlap', () => {
  const state: RegionState = { ...initialState(T0, 20), offset: T0 - 15 * MIN, lastScanEnd: T0, lastFullScanEnd: T0 };
  const plan = planScan(state, T0 + MIN, options);
  assert.deepEqual(plan, { kind: 'quick', start: T0 - 5 * MIN, end: T0 + MIN });
  const next = completeScan(state, plan, options, T0 + MIN);
  assert.equal(next.offset, state.offset, 'a quick scan never moves the offset');
  assert.equal(next.lastScanEnd, T0 + MIN);
  assert.equal(next.lastFullScanEnd, T0);
});

test('the settle scan comes back once the interval has passed, and --once always scans fully', () => {
  const state: RegionState = { ...initialState(T0, 20), offset: T0 - 15 * MIN, lastScanEnd: T0 + 4 * MIN, lastFullScanEnd: T0 };
  assert.equal(planScan(state, T0 + 4 * MIN, options).kind, 'quick');
  assert.equal(planScan(state, T0 + 4 * MIN, options, true).kind, 'full');
  assert.deepEqual(planScan(state, T0 + 5 * MIN, options), { kind: 'full', start: T0 - 15 * MIN, end: T0 + 5 * MIN });
});

test('an event visible up to the settle window late is inside some full scan', () => {
  // Simulate full scans every 5 minutes for two hours; for every event time t and delay d <= settle, the first
  // full scan at or after t + d must include t.
  let state = initialState(T0, 20);
  const scans: Array<{ start: number; end: number }> = [];
  for (let now = T0; now <= T0 + 120 * MIN; now += 5 * MIN) {
    const plan = planScan(state, now, options, true);
    scans.push(plan);
    state = completeScan(state, plan, options, now);
  }
  for (let t = T0; t <= T0 + 100 * MIN; t += 17_000) {
    for (const delay of [0, MIN, 7 * MIN, 15 * MIN]) {
      const visible = t + delay;
      const first = scans.find((s) => s.end >= visible);
      assert.ok(first, `no scan after ${visible}`);
      assert.ok(first.start <= t, `event at ${t} visible at ${visible} missed by scan [${first.start}, ${first.end}]`);
    }
  }
});

test('after downtime the backlog is read in bounded chunks, oldest first, and the offset follows', () => {
  let state = initialState(T0, 20);
  const now = T0 + 5 * 60 * MIN;
  const plans = [];
  for (let i = 0; i < 10; i += 1) {
    const plan = planScan(state, now, options);
    plans.push(plan);
    state = completeScan(state, plan, options, now);
    if (plan.kind !== 'catch-up') break;
  }
  assert.deepEqual(plans.map((p) => p.kind), ['catch-up', 'catch-up', 'catch-up', 'catch-up', 'catch-up', 'full']);
  for (const plan of plans) assert.ok(plan.end - plan.start <= options.maxWindowMs + 20 * MIN);
  for (let i = 1; i < plans.length; i += 1) assert.equal(plans[i]!.start, plans[i - 1]!.end, 'chunks are contiguous');
  assert.equal(state.offset, now - options.settleMs);
});

test('an offset older than the 90-day retention is clamped inside it', () => {
  const state: RegionState = { ...initialState(T0, 20), offset: T0 - 200 * 24 * 60 * MIN };
  const plan = planScan(state, T0, options);
  assert.ok(plan.start > T0 - EVENT_HISTORY_RETENTION_MS, 'start inside the retention');
  assert.equal(plan.kind, 'catch-up');
});

test('the offset never moves backwards', () => {
  const state: RegionState = { ...initialState(T0, 20), offset: T0 - MIN };
  const next = completeScan(state, { kind: 'full', start: T0 - MIN, end: T0 }, options, T0);
  assert.equal(next.offset, T0 - MIN);
});

test('a clock that stepped back never plans a window that ends before it starts', () => {
  const state: RegionState = { ...initialState(T0, 20), offset: T0 - 15 * MIN, lastScanEnd: T0 + 10 * MIN, lastFullScanEnd: T0 + 10 * MIN };
  const plan = planScan(state, T0, options);
  assert.ok(plan.start <= plan.end, `start ${plan.start} after end ${plan.end}`);
});

test('offsets and starts are whole seconds', () => {
  const state: RegionState = { ...initialState(T0 + 123, 20), lastScanEnd: T0 + 456, lastFullScanEnd: T0 + 456 };
  const quick = planScan(state, T0 + 60_789, options);
  assert.equal(quick.start % 1000, 0);
  const full = planScan(state, T0 + 10 * MIN + 789, options);
  assert.equal(full.start % 1000, 0);
  assert.equal(completeScan(state, full, options, T0 + 10 * MIN + 789).offset % 1000, 0);
});

test('catch-up chunks grow across quiet stretches and shrink in busy ones, within bounds', () => {
  const hour = 60 * MIN;
  assert.equal(nextCatchUpWindow(hour, 0, hour), 4 * hour);
  assert.equal(nextCatchUpWindow(4 * 24 * hour, 10, hour), 7 * 24 * hour, 'capped at a week');
  assert.equal(nextCatchUpWindow(4 * hour, 2_000, hour), 4 * hour, 'a normal chunk keeps its length');
  assert.equal(nextCatchUpWindow(4 * hour, 20_000, hour), 2 * hour);
  assert.equal(nextCatchUpWindow(hour / 4, 20_000, hour), hour / 4, 'never below a quarter of the base');
});

test('an event still pending (held for a digest, or unsent) stops the offset at its second; never backwards', () => {
  const state: RegionState = { ...initialState(T0, 20), offset: T0 - 20 * MIN };
  const plan = planScan(state, T0, options);
  assert.equal(completeScan(state, plan, options, T0, T0 - 17 * MIN - 500).offset, T0 - 17 * MIN - 1000, 'its whole second, so it is re-read');
  assert.equal(completeScan(state, plan, options, T0, T0 - 10 * MIN).offset, T0 - 15 * MIN, 'a pending event after end − settle changes nothing');
  assert.equal(completeScan(state, plan, options, T0, T0 - 60 * MIN).offset, T0 - 20 * MIN, 'never before the old offset');
  const chunk = { kind: 'catch-up' as const, start: T0 - 20 * MIN, end: T0 - 10 * MIN };
  assert.equal(completeScan(state, chunk, options, T0, T0 - 12 * MIN).offset, T0 - 12 * MIN);
  assert.equal(completeScan(state, plan, options, T0, Number.NaN).offset, state.offset, 'a NaN keeps the offset');
});
