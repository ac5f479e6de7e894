import type { Clock } from './clock';

export interface RateLimiter {
  /**
   * Resolves when the caller may make one request. Callers are served one at a time in call order, each at least
   * 1000/perSecond ms after the previous one. Rejects with the signal's reason as soon as `signal` aborts; an
   * aborted caller does not use up a slot.
   */
  take(signal?: AbortSignal): Promise<void>;
}

export interface RateLimiterOptions {
  /** Requests per second, e.g. 1 for LookupEvents (AWS allows 2 per account per region; we keep headroom). */
  perSecond: number;
  clock: Clock;
}

function abortedPromise(signal: AbortSignal | undefined): { promise: Promise<never>; dispose(): void } {
  let onAbort = () => {};
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => {}); // only observed through the race below
  return { promise, dispose: () => signal?.removeEventListener('abort', onAbort) };
}

/** A spacing limiter: no burst, the steady pace a per-second quota such as LookupEvents' needs. */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { perSecond, clock } = options;
  if (!Number.isFinite(perSecond) || perSecond <= 0) {
    throw new RangeError(`perSecond must be a positive number, got ${perSecond}`);
  }
  const intervalMs = 1000 / perSecond;
  let lastAt: number | undefined;
  // The tail of the queue: each caller waits for the previous caller's turn to finish (or fail) first.
  let tail: Promise<void> = Promise.resolve();

  async function waitTurn(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted(); // aborted while queued: leave without using a slot
    const waitMs = lastAt === undefined ? 0 : lastAt + intervalMs - clock.now();
    if (waitMs > 0) await clock.sleep(waitMs, signal);
    lastAt = clock.now();
  }

  return {
    take(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      const turn = tail.then(() => waitTurn(signal));
      tail = turn.catch(() => {});
      if (!signal) return turn;
      const aborted = abortedPromise(signal);
      return Promise.race([turn, aborted.promise]).finally(aborted.dispose);
    },
  };
}
