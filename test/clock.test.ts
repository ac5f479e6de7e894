import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSystemClock, systemClock } from '../src/lib/clock';
import { MAX_TIMER_MS } from '../src/lib/timers';

/** Collects the process warnings emitted while `fn` runs (they are emitted on the next tick). */
async function warningsDuring(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (warning: Error) => seen.push(`${warning.name}: ${warning.message}`);
  process.on('warning', onWarning);
  try {
    await fn();
    await new Promise<void>((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

test('the real clock splits a 30-day sleep into timers Node can hold, and resolves only after the last one', async () => {
  const chunks: number[] = [];
  let release: (() => void) | undefined;
  const clock = createSystemClock((ms) => {
    chunks.push(ms);
    return new Promise<void>((resolve) => (release = resolve));
  });
  const thirtyDays = 30 * 24 * 60 * 60 * 1000; // 2,592,000,000 ms: more than one timer holds
  let resolved = false;
  const sleeping = clock.sleep(thirtyDays).then(() => (resolved = true));
  for (let i = 0; i < 2; i += 1) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(resolved, false, `still asleep after ${chunks.length} chunk(s)`);
    release?.();
  }
  await sleeping;
  assert.deepEqual(chunks, [MAX_TIMER_MS, thirtyDays - MAX_TIMER_MS]);
  assert.ok(chunks.every((ms) => ms <= MAX_TIMER_MS));
});

test('the real clock sleeps a huge duration without a TimeoutOverflowWarning, and an abort ends it', async () => {
  const stop = new AbortController();
  let outcome: unknown = 'pending';
  const warnings = await warningsDuring(async () => {
    const sleeping = systemClock.sleep(1e12, stop.signal).then(
      () => (outcome = 'resolved'),
      (reason: unknown) => (outcome = reason),
    );
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(outcome, 'pending', 'a 1e12 ms sleep must not end by itself');
    stop.abort(new Error('stopped'));
    await sleeping;
  });
  assert.deepEqual(warnings.filter((w) => /TimeoutOverflow/.test(w)), []);
  assert.match(String(outcome), /stopped/);
});

test('the real clock: Infinity sleeps chunk after chunk until aborted, a negative wait is none, NaN is refused', async () => {
  const chunks: number[] = [];
  const clock = createSystemClock((ms, signal) => {
    chunks.push(ms);
    // The first two chunks end by themselves; the third waits for the abort.
    if (chunks.length < 3) return Promise.resolve();
    return new Promise<void>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));
  });
  const stop = new AbortController();
  const forever = clock.sleep(Infinity, stop.signal);
  await new Promise<void>((resolve) => setImmediate(resolve));
  stop.abort(new Error('stop forever'));
  await assert.rejects(forever, /stop forever/);
  assert.deepEqual(chunks, [MAX_TIMER_MS, MAX_TIMER_MS, MAX_TIMER_MS]);

  chunks.length = 0;
  await clock.sleep(-5);
  assert.deepEqual(chunks, [0]);
  await assert.rejects(clock.sleep(Number.NaN), RangeError);
  assert.deepEqual(chunks, [0], 'NaN never reaches a timer');
});
