import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRateLimiter } from '../src/lib/rate-limiter';
import { ManualClock } from './support/manual-clock';

/** Starts a take and records the clock time at which it resolved (or the error it rejected with). */
function track(clock: ManualClock, promise: Promise<void>) {
  const state: { at?: number; error?: unknown } = {};
  promise.then(
    () => (state.at = clock.now()),
    (error: unknown) => (state.error = error),
  );
  return state;
}

test('the first take is immediate and the next waits 1000/perSecond ms', async () => {
  const clock = new ManualClock();
  const start = clock.now();
  const limiter = createRateLimiter({ perSecond: 2, clock });
  await limiter.take();
  assert.equal(clock.now(), start);
  const second = track(clock, limiter.take());
  await clock.advance(499);
  assert.equal(second.at, undefined);
  await clock.advance(1);
  assert.equal(second.at, start + 500);
});

test('concurrent callers are served one at a time, in call order, evenly spaced', async () => {
  const clock = new ManualClock();
  const start = clock.now();
  const limiter = createRateLimiter({ perSecond: 1, clock });
  const order: number[] = [];
  const takes = [0, 1, 2, 3].map((i) => limiter.take().then(() => order.push(i) && clock.now() - start));
  await clock.advance(5000);
  assert.deepEqual(await Promise.all(takes), [0, 1000, 2000, 3000]);
  assert.deepEqual(order, [0, 1, 2, 3]);
});

test('time already passed since the last take counts towards the spacing', async () => {
  const clock = new ManualClock();
  const limiter = createRateLimiter({ perSecond: 1, clock });
  await limiter.take();
  await clock.advance(700);
  const next = track(clock, limiter.take());
  await clock.advance(299);
  assert.equal(next.at, undefined);
  await clock.advance(1);
  assert.equal(next.at, clock.now());
  await clock.advance(5000);
  const idle = track(clock, limiter.take());
  await clock.advance(0);
  assert.equal(idle.at, clock.now(), 'after a long pause a take is immediate');
});

test('an abort rejects a waiting caller at once with the reason, and it uses no slot', async () => {
  const clock = new ManualClock();
  const start = clock.now();
  const limiter = createRateLimiter({ perSecond: 1, clock });
  await limiter.take();
  const controller = new AbortController();
  const waiting = track(clock, limiter.take());
  const queued = track(clock, limiter.take(controller.signal));
  const after = track(clock, limiter.take());
  await clock.advance(100);
  const reason = new Error('stop');
  controller.abort(reason);
  await clock.advance(0);
  assert.equal(queued.error, reason, 'rejected before its turn');
  await clock.advance(2000);
  assert.equal(waiting.at, start + 1000);
  assert.equal(after.at, start + 2000, 'the aborted caller did not take the 2000 ms slot');
});

test('an abort while sleeping for its turn rejects, and an aborted signal rejects at once', async () => {
  const clock = new ManualClock();
  const limiter = createRateLimiter({ perSecond: 1, clock });
  await limiter.take();
  const controller = new AbortController();
  const sleeping = track(clock, limiter.take(controller.signal));
  await clock.advance(10);
  controller.abort();
  await clock.advance(0);
  assert.equal((sleeping.error as Error).name, 'AbortError');
  await assert.rejects(limiter.take(AbortSignal.abort()), { name: 'AbortError' });
  const next = track(clock, limiter.take());
  await clock.advance(990);
  assert.equal(next.at, clock.now(), 'the slot is still measured from the last successful take');
});

test('rejects a perSecond that is not a positive number', () => {
  const clock = new ManualClock();
  for (const perSecond of [0, -1, Number.NaN, Infinity]) {
    assert.throws(() => createRateLimiter({ perSecond, clock }), RangeError, String(perSecond));
  }
});
