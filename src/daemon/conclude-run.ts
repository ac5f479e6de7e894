import type { Config } from '../config/types';
import type { Logger } from '../logging/logger';
import { EXIT_FAILURE, EXIT_OK, isAbortError, toError } from '../lib/errors';
import type { PollerResult } from '../cloudtrail/poller';
import type { AlertRecovery } from './recover-alerts';
import { reportFatal, type FatalReport } from './report-fatal';

/**
 * The exit code once every service has stopped: a fatal error (the first one any service raised, or a poller's)
 * is reported (alert, one stderr line) and gives 77/78/1; a --once pass gives 1 when a region failed, else 0; a
 * stop gives 0. Logs the run's counts.
 */
export async function concludeRun(
  config: Config,
  results: PromiseSettledResult<PollerResult>[],
  fatalError: unknown,
  signal: AbortSignal,
  recovery: AlertRecovery,
  log: Logger,
  report: FatalReport,
): Promise<number> {
  const failed0 = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !isAbortError(r.reason));
  const fatal = fatalError !== undefined && !isAbortError(fatalError) ? fatalError : failed0?.reason;
  if (fatal !== undefined) return reportFatal(toError(fatal), recovery.alerter, log, report);
  const done = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = done.filter((r) => !r.ok);
  const posted = done.reduce((sum, r) => sum + r.posted, 0);
  // --dry-run posts nothing: its count is of payloads printed.
  const counts = config.dryRun ? { posted, printed: done.reduce((sum, r) => sum + r.printed, 0) } : { posted };
  const requests = done.reduce((sum, r) => sum + r.requests, 0);
  if (config.once && !signal.aborted) {
    for (const r of failed) log.error({ region: r.region, reason: r.error }, 'region failed');
    log.info({ ...counts, requests, failedRegions: failed.map((r) => r.region) }, 'pass complete');
    if (failed.length > 0) return EXIT_FAILURE;
    recovery.observe({ type: 'stable' }); // a whole pass without a crash
    return EXIT_OK;
  }
  log.info({ ...counts, requests }, 'stopped');
  return EXIT_OK;
}
