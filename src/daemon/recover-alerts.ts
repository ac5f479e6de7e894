import type { Alerter } from '../alerts/alerter';

/** Alerts that end the process (or outlive it): a later run that works again is what clears them. */
const PROCESS_KINDS = ['config', 'credentials', 'access-denied', 'state-unwritable', 'state-unreadable'] as const;
/** pm2 resets its restart backoff after 30 s of uptime; a run twice that long is no longer part of a crash loop. */
const CRASH_STABLE_MS = 60_000;
/** Per-region alerts an earlier process may have left open (a restart between alert and recovery). */
const REGION_KINDS = ['region-failing', 'throttled'] as const;

/**
 * Sends the "recovered" emails for alerts a previous run left open: the alert state file remembers them, so the
 * first state save of this run (CloudTrail answered, state is writable) closes the process-wide ones, and each
 * region's first save closes that region's. The alerter emails only records that are still open, so this sends
 * nothing in the usual case. Returns the hook to call after every successful state save.
 */
export function createRecoveryOnSave(
  alerter: Pick<Alerter, 'recovered'>,
  track: (work: Promise<void>) => void,
  uptime: { now(): number; startedAt: number } = { now: () => 0, startedAt: 0 },
) {
  const seen = new Set<string>();
  let first = true;
  let crashClosed = false;
  return (region: string): void => {
    if (first) {
      first = false;
      for (const kind of PROCESS_KINDS) track(alerter.recovered(kind, undefined, 'the daemon runs and saves state again'));
    }
    // A crash (kind 'fatal') is over only once a run has outlived a crash loop's restarts, not at its first save:
    // else every restart of a crash loop would send a "recovered" email.
    if (!crashClosed && uptime.now() - uptime.startedAt >= CRASH_STABLE_MS) {
      crashClosed = true;
      track(alerter.recovered('fatal', undefined, `the daemon has run for ${CRASH_STABLE_MS / 60_000} minutes without crashing`));
    }
    if (seen.has(region)) return;
    seen.add(region);
    for (const kind of REGION_KINDS) track(alerter.recovered(kind, region, 'LookupEvents answers again'));
  };
}
