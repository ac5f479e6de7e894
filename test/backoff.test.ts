import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from '../src/lib/backoff';

const max = () => 1 - Number.EPSILON;
const min = () => 0;

test('the ceiling doubles per attempt from baseMs', () => {
  const delays = [1, 2, 3, 4].map((attempt) => backoffDelay(attempt, { baseMs: 100, random: max }));
  assert.deepEqual(delays, [100, 200, 400, 800]);
});

test('equal jitter (the default) never goes below half the ceiling', () => {
  assert.deepEqual([1, 2, 3].map((attempt) => backoffDelay(attempt, { baseMs: 100, random: min })), [50, 100, 200]);
  assert.equal(backoffDelay(1, { baseMs: 1000, random: () => 0.5 }), 750);
});

test('full jitter spans zero to the ceiling', () => {
  assert.equal(backoffDelay(3, { baseMs: 100, jitter: 'full', random: min }), 0);
  assert.equal(backoffDelay(3, { baseMs: 100, jitter: 'full', random: () => 0.5 }), 200);
  assert.equal(backoffDelay(3, { baseMs: 100, jitter: 'full', random: max }), 400);
});

test('is capped at capMs, also for huge attempt numbers', () => {
  assert.equal(backoffDelay(10, { baseMs: 1000, capMs: 5000, random: max }), 5000);
  assert.equal(backoffDelay(10, { baseMs: 1000, capMs: 5000, random: min }), 2500);
  const huge = backoffDelay(10_000, { random: max });
  assert.ok(Number.isFinite(huge) && huge === 20_000, `default cap 20 s, got ${huge}`);
});

test('defaults: base 1 s, equal jitter, Math.random within bounds', () => {
  for (let i = 0; i < 200; i += 1) {
    const delay = backoffDelay(1);
    assert.ok(delay >= 500 && delay <= 1000, String(delay));
  }
});

test('attempts below 1 or not finite count as the first retry; random outside [0,1) is clamped', () => {
  for (const attempt of [0, -3, Number.NaN]) {
    assert.equal(backoffDelay(attempt, { baseMs: 100, random: max }), 100, String(attempt));
  }
  assert.equal(backoffDelay(1, { baseMs: 100, random: () => 7 }), 100);
  assert.equal(backoffDelay(1, { baseMs: 100, random: () => -1 }), 50);
});
