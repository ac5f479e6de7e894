export interface BackoffOptions {
  /** The ceiling of the first retry's delay. Default 1000 ms. */
  baseMs?: number;
  /** No delay ever exceeds this. Default 20000 ms (the AWS SDK's own cap, API-FACTS B.3). */
  capMs?: number;
  /**
   * 'equal' (default): half the ceiling fixed plus a random half, so a retry always waits at least half the
   * ceiling; a throttled caller never comes straight back. 'full': anywhere from 0 to the ceiling (AWS SDK style).
   */
  jitter?: 'equal' | 'full';
  /** [0, 1) source; inject for deterministic tests. Default Math.random. */
  random?: () => number;
}

const DEFAULT_BASE_MS = 1000;
const DEFAULT_CAP_MS = 20_000;
/** 2^30 already exceeds any sane cap; stops the power from overflowing to Infinity for huge attempts. */
const MAX_EXPONENT = 30;

/**
 * The delay before retry number `attempt` (1 = the first retry): exponential, capped, jittered.
 * Ceiling = min(capMs, baseMs * 2^(attempt - 1)); with equal jitter the delay is ceiling/2 + random * ceiling/2.
 * See "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015) for full vs equal jitter.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const base = Math.max(0, options.baseMs ?? DEFAULT_BASE_MS);
  const cap = Math.max(0, options.capMs ?? DEFAULT_CAP_MS);
  const random = options.random ?? Math.random;
  const exponent = Math.min(MAX_EXPONENT, Math.max(0, Math.floor(Number.isFinite(attempt) ? attempt : 1) - 1));
  const ceiling = Math.min(cap, base * 2 ** exponent);
  const r = Math.min(1, Math.max(0, random()));
  const delay = options.jitter === 'full' ? r * ceiling : ceiling / 2 + (r * ceiling) / 2;
  return Math.round(delay);
}
