import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_TIMER_MS, startLongTimer, type TimerFunctions } from '../src/lib/timers';

function fakeTimers() {
  interface FakeTimer {
    ms: number;
    fire: () => void;
    unrefed: boolean;
    cleared: boolean;
    unref(): void;
  }
  const armed: FakeTimer[] = [];
  const timers: TimerFunctions = {
    setTimeout(fire, ms) {
      const timer: FakeTimer = { ms, fire, unrefed: false, cleared: false, unref: () => void (timer.unrefed = true) };
      armed.push(timer);
      return timer;
    },
    clearTimeout(handle) {
      (handle as FakeTimer).cleared = true;
    },
  };
  return { armed, timers };
}

test('a timer longer than 2^31−1 ms is chained in chunks Node can hold, and fires once after the last', () => {
  const { armed, timers } = fakeTimers();
  let fired = 0;
  startLongTimer(5_000_000_000, () => (fired += 1), { timers, unref: true });
  while (armed.at(-1) && fired === 0) {
    const before = armed.length;
    armed.at(-1)?.fire();
    if (armed.length === before) break;
  }
  assert.equal(fired, 1);
  assert.deepEqual(armed.map((t) => t.ms), [MAX_TIMER_MS, MAX_TIMER_MS, 5_000_000_000 - 2 * MAX_TIMER_MS]);
  assert.ok(armed.every((t) => t.unrefed), 'every chunk is unref()ed');
});

test('a short timer is one timer; cancelling a long one stops the chain', () => {
  const { armed, timers } = fakeTimers();
  let fired = 0;
  startLongTimer(10_000, () => (fired += 1), { timers });
  assert.deepEqual(armed.map((t) => t.ms), [10_000]);
  armed[0]?.fire();
  assert.equal(fired, 1);

  const cancel = startLongTimer(3 * MAX_TIMER_MS, () => (fired += 1), { timers });
  armed.at(-1)?.fire(); // the first chunk ends: the second is armed
  cancel();
  assert.equal(armed.at(-1)?.cleared, true);
  armed.at(-1)?.fire(); // a late callback after cancel does nothing
  assert.equal(fired, 1);
});

test('the real timer with a huge duration prints no TimeoutOverflowWarning and does not fire at once', async () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.name);
  process.on('warning', onWarning);
  let fired = false;
  const cancel = startLongTimer(3_000_000_000, () => (fired = true), { unref: true });
  await new Promise<void>((resolve) => setImmediate(resolve));
  process.off('warning', onWarning);
  cancel();
  assert.deepEqual(warnings, []);
  assert.equal(fired, false);
});
