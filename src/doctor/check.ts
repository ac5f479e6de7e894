import type { Clock } from '../lib/clock';

/**
 * The shape of `cloudtrail-slack doctor`'s answer (issue 9 item 8): one row per check, in the order they are made,
 * and the verdict. `--json` prints a DoctorReport as it is; the table renderer (render.ts) draws the same rows.
 */

/** ok ✓; warn ! (the daemon runs, something is worth fixing); fail ✗ (blocks the daemon); skipped (not checked). */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skipped';

export interface CheckResult {
  /** The row's name: `configuration`, `LookupEvents eu-west-1`, `webhook alerts`, … */
  name: string;
  status: CheckStatus;
  /** What was found, one line. May quote AWS answers (trail names): the renderer makes it visible-safe. */
  detail: string;
  /** What to do; present on every row that is not ok. */
  action?: string;
  /** With config `accounts` or `organization`: the 12-digit ID of the account the row is about. */
  account?: string;
  /** That account's name (the config's or the organisation's: untrusted text, escaped when rendered). */
  accountName?: string;
}

export interface DoctorReport {
  /** No row failed: nothing blocks the daemon (warnings allowed). */
  ok: boolean;
  checks: CheckResult[];
}

export function reportOf(checks: readonly CheckResult[]): DoctorReport {
  return { ok: !checks.some((check) => check.status === 'fail'), checks: [...checks] };
}

export function ok(name: string, detail: string): CheckResult {
  return { name, status: 'ok', detail };
}

export function warn(name: string, detail: string, action: string): CheckResult {
  return { name, status: 'warn', detail, action };
}

export function fail(name: string, detail: string, action: string): CheckResult {
  return { name, status: 'fail', detail, action };
}

export function skipped(name: string, detail: string, action: string): CheckResult {
  return { name, status: 'skipped', detail, action };
}

/** The reason a bounded call's signal aborts when its time is up. */
export class CheckTimeoutError extends Error {
  override name = 'CheckTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${formatSeconds(timeoutMs)}`);
  }
}

/**
 * Runs `call` with a signal that aborts after `timeoutMs` (on `clock`), and settles by then whatever `call` does:
 * a call that ignores its signal is left behind (each caller also bounds its sockets, so nothing lingers long).
 * Resolves to the call's value, or rejects with its error or with CheckTimeoutError.
 */
export async function bounded<T>(timeoutMs: number, clock: Clock, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = new AbortController();
  const timeout = clock.sleep(timeoutMs, timer.signal).then(
    () => {
      const error = new CheckTimeoutError(timeoutMs);
      controller.abort(error);
      throw error;
    },
    () => new Promise<never>(() => undefined), // the call settled first and cancelled this timer
  );
  try {
    return await Promise.race([call(controller.signal), timeout]);
  } catch (error) {
    // The SDK rejects an aborted call with its own AbortError: say it was our timeout.
    if (controller.signal.reason instanceof CheckTimeoutError) throw controller.signal.reason;
    throw error;
  } finally {
    timer.abort();
  }
}

/** `5 s`, `1.5 s`, `2 min` */
export function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  if (seconds >= 120 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${Number(seconds.toFixed(1))} s`;
}
