import { setTimeout as delay } from 'node:timers/promises';
import { nextChunkMs } from './timers';

/** Time as the daemon sees it. Tests pass a ManualClock; nothing else reads Date.now() or sleeps. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Resolves after `ms` (any length, Infinity included: it then only ends by `signal`); rejects with the signal's
   * reason as soon as `signal` aborts. A negative `ms` is no wait; NaN throws RangeError.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** One wait that a single Node timer can hold (≤ MAX_TIMER_MS); rejects when `signal` aborts. */
export type ShortDelay = (ms: number, signal?: AbortSignal) => Promise<void>;

const nodeDelay: ShortDelay = async (ms, signal) => {
  await delay(ms, undefined, { signal });
};

/**
 * The real clock. `sleep` waits in chunks of at most MAX_TIMER_MS (src/lib/timers.ts): one Node timer cannot
 * hold more, and would fire after 1 ms instead. `shortDelay` is injectable for tests.
 */
export function createSystemClock(shortDelay: ShortDelay = nodeDelay): Clock {
  return {
    now: () => Date.now(),
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      let remaining = Math.max(0, ms);
      nextChunkMs(remaining); // NaN: throw now, not after a chunk
      do {
        const chunk = nextChunkMs(remaining);
        remaining -= chunk;
        try {
          await shortDelay(chunk, signal);
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          throw error;
        }
      } while (remaining > 0);
    },
  };
}

export const systemClock: Clock = createSystemClock();
