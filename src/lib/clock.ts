import { setTimeout as delay } from 'node:timers/promises';

/** Time as the daemon sees it. Tests pass a ManualClock; nothing else reads Date.now() or sleeps. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`; rejects with the signal's reason as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    signal?.throwIfAborted();
    try {
      await delay(Math.max(0, ms), undefined, { signal });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw error;
    }
  },
};
