/**
 * Timers that honour any duration. Node keeps a timer's delay in a signed 32-bit integer: a longer delay prints a
 * TimeoutOverflowWarning and fires after 1 ms (Node docs, `setTimeout`: "When delay is larger than 2147483647 or
 * less than 1, the delay will be set to 1"). Every timer of the daemon goes through here or through
 * `Clock.sleep`, which splits a long wait into chunks of at most MAX_TIMER_MS.
 */

/** The longest delay one Node timer can hold: 2^31 − 1 ms, about 24.8 days. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The part of the timer API a long timer needs; tests pass fakes. */
export interface TimerFunctions {
  setTimeout(fire: () => void, ms: number): { unref?(): unknown };
  clearTimeout(handle: unknown): void;
}

const nodeTimers: TimerFunctions = {
  setTimeout: (fire, ms) => setTimeout(fire, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * The chunks a wait of `ms` is split into, none longer than MAX_TIMER_MS. Throws RangeError for NaN (a bug: Node
 * would silently make it 1 ms); a negative wait is no wait; Infinity is never split to the end (callers loop).
 */
export function nextChunkMs(ms: number): number {
  if (Number.isNaN(ms)) throw new RangeError('a timer duration must be a number of milliseconds, got NaN');
  return Math.min(MAX_TIMER_MS, Math.max(0, ms));
}

/**
 * Calls `fire` once after `ms` (any length: chained timers of at most MAX_TIMER_MS each). With `unref`, the timer
 * never keeps the process alive (a watchdog for an exit already under way). Returns the cancel function.
 */
export function startLongTimer(
  ms: number,
  fire: () => void,
  options: { unref?: boolean; timers?: TimerFunctions } = {},
): () => void {
  const timers = options.timers ?? nodeTimers;
  let remaining = Math.max(0, ms);
  let handle: unknown;
  let cancelled = false;
  const arm = () => {
    const chunk = nextChunkMs(remaining);
    remaining -= chunk;
    const timer = timers.setTimeout(() => {
      if (cancelled) return;
      if (remaining > 0) arm();
      else fire();
    }, chunk);
    if (options.unref) timer.unref?.();
    handle = timer;
  };
  arm();
  return () => {
    cancelled = true;
    timers.clearTimeout(handle);
  };
}
