import type { Clock } from '../../src/lib/clock';

interface Sleeper {
  wakeAt: number;
  resolve: () => void;
}

/**
 * A clock that moves only when the test says so. `sleep` registers a sleeper; `advance(ms)` wakes the due ones
 * in time order. `autoAdvance()` lets a whole run proceed instantly: whenever every task is asleep, time jumps
 * to the next wake-up.
 */
export class ManualClock implements Clock {
  #now: number;
  #sleepers: Sleeper[] = [];
  #auto: NodeJS.Timeout | undefined;
  /** Every sleep duration requested, for assertions on pacing and backoff. */
  readonly sleeps: number[] = [];

  constructor(start = Date.UTC(2026, 10, 26, 12, 0, 0)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const sleeper: Sleeper = {
        wakeAt: this.#now + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#sleepers.push(sleeper);
    });
  }

  /** Number of tasks asleep right now. */
  get pending(): number {
    return this.#sleepers.length;
  }

  /** Moves time forward by `ms`, waking sleepers in order (letting each woken task run before the next). */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await flushMicrotasks();
      const due = this.#sleepers.filter((s) => s.wakeAt <= target).sort((a, b) => a.wakeAt - b.wakeAt)[0];
      if (!due) break;
      this.#now = Math.max(this.#now, due.wakeAt);
      this.#sleepers = this.#sleepers.filter((s) => s !== due);
      due.resolve();
    }
    this.#now = target;
    await flushMicrotasks();
  }

  /**
   * Jumps to the next wake-up whenever real I/O has gone quiet and someone sleeps. Real sockets still take
   * real (tiny) time; only the daemon's sleeps are skipped. Call the returned function to stop.
   */
  autoAdvance(options: { minSleepers?: number } = {}): () => void {
    // With minSleepers = the number of concurrent tasks, time only jumps once every task is asleep, so simulated
    // time never races ahead of a request still in flight (what rate figures need; correctness tests don't).
    const minSleepers = options.minSleepers ?? 1;
    const tick = () => {
      const next = this.#sleepers.reduce((min, s) => Math.min(min, s.wakeAt), Infinity);
      if (next !== Infinity && this.#sleepers.length >= minSleepers) void this.advance(Math.max(0, next - this.#now));
      this.#auto = setTimeout(tick, 1);
    };
    this.#auto = setTimeout(tick, 1);
    return () => clearTimeout(this.#auto);
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
  await new Promise<void>((resolve) => setImmediate(resolve));
}
