import http from 'node:http';
import type { Clock } from '../src/lib/clock';

interface Sleeper {
  wakeAt: number;
  seq: number;
  resolve: () => void;
  cancelled: boolean;
}

/**
 * A simulated clock for the benchmarks with thousands of sleepers (1,700 pollers): sleepers in a binary heap, and
 * a driver that moves time to the next wake-up only when nothing tracked is in flight (LookupEvents, STS, Slack
 * POSTs) and nothing has happened for one real millisecond, so simulated time never runs ahead of a request and
 * the rate figures (the simulators' 2 requests/s, Slack's 1 message/s) stay true. Benchmark support, not a test.
 */
export class BenchClock implements Clock {
  #now: number;
  #heap: Sleeper[] = [];
  #seq = 0;
  #inFlight = 0;
  #activity = 0;

  constructor(start = Date.UTC(2026, 10, 26, 12, 0, 0)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (Number.isNaN(ms)) throw new RangeError('sleep(NaN)');
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.#activity += 1;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        sleeper.cancelled = true;
        reject(signal?.reason);
      };
      const sleeper: Sleeper = {
        wakeAt: this.#now + Math.max(0, ms),
        seq: (this.#seq += 1),
        cancelled: false,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#push(sleeper);
    });
  }

  /** Counts `work` as in flight until it settles. */
  busy<T>(work: Promise<T>): Promise<T> {
    this.#inFlight += 1;
    this.#activity += 1;
    return work.finally(() => {
      this.#inFlight -= 1;
      this.#activity += 1;
    });
  }

  /**
   * Counts every node:http request of this process as in flight from its start until it closes (the SDK's
   * handler reads http.request when its first client sends). Counting the HTTP exchange, not the SDK call, matters:
   * a call may wait on this clock inside (the STS pace of src/aws/account-credentials.ts) and must not hold time.
   * Returns the function that restores http.request.
   */
  trackHttp(): () => void {
    const original = http.request;
    const clock = this;
    const patched = function (this: unknown, ...args: unknown[]) {
      const req = (original as (...a: unknown[]) => http.ClientRequest).apply(this, args);
      clock.#inFlight += 1;
      clock.#activity += 1;
      let open = true;
      req.once('close', () => {
        if (open) {
          open = false;
          clock.#inFlight -= 1;
          clock.#activity += 1;
        }
      });
      return req;
    };
    (http as { request: unknown }).request = patched;
    return () => {
      (http as { request: unknown }).request = original;
    };
  }

  /** Sleepers and requests in flight, for a progress line. */
  debug(): string {
    return `sleepers ${this.#heap.filter((s) => !s.cancelled).length} in flight ${this.#inFlight}`;
  }

  /** Starts moving time; returns the function that stops it. */
  drive(): () => void {
    let seen = -1;
    let stopped = false;
    const tick = () => {
      if (stopped) return;
      if (this.#inFlight === 0 && seen === this.#activity) this.#wakeNext();
      seen = this.#activity;
      setTimeout(tick, 1);
    };
    setTimeout(tick, 1);
    return () => {
      stopped = true;
    };
  }

  /** Jumps to the earliest wake-up and wakes every sleeper due then. */
  #wakeNext(): void {
    while (this.#heap.length > 0 && this.#heap[0]!.cancelled) this.#pop();
    const first = this.#heap[0];
    if (first === undefined) return;
    this.#now = Math.max(this.#now, first.wakeAt);
    while (this.#heap.length > 0 && this.#heap[0]!.wakeAt <= this.#now) {
      const sleeper = this.#pop();
      if (!sleeper.cancelled) sleeper.resolve();
    }
    this.#activity += 1;
  }

  #less(a: Sleeper, b: Sleeper): boolean {
    return a.wakeAt < b.wakeAt || (a.wakeAt === b.wakeAt && a.seq < b.seq);
  }

  #push(sleeper: Sleeper): void {
    const h = this.#heap;
    h.push(sleeper);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  #pop(): Sleeper {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.#less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.#less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
