import type { Clock } from '../lib/clock';
import type { Logger } from '../logging/logger';
import { FatalError, isAbortError } from '../lib/errors';
import { backoffDelay } from '../lib/backoff';
import type { RegionState } from '../state/region-state';
import { classifyAwsError, describeAwsError, type LookupClient } from './client';
import { lookupWindow } from './lookup';
import type { RateLimiter } from '../lib/rate-limiter';
import { completeScan, isCaughtUp, planScan, type WindowOptions } from './window';
import { deliverEvents, type DeliverDeps } from './deliver';
import type { RegionHealth } from './region-health';
import type { Alerter } from '../alerts/alerter';

export interface PollerDeps extends Omit<DeliverDeps, 'log' | 'save'> {
  clock: Clock;
  log: Logger;
  client: LookupClient;
  limiter: RateLimiter;
  health: RegionHealth;
  alerter: Pick<Alerter, 'alert' | 'recovered'>;
  loadState(): Promise<RegionState>;
  saveState(state: RegionState): Promise<void>;
  window: WindowOptions;
  pollIntervalMs: number;
  /** A region failing this long sends an alert email. */
  alertAfterMs: number;
  /** --once: one full pass, then return; failures are returned instead of retried. */
  once: boolean;
  profile: string;
}

export interface PollerResult {
  region: string;
  ok: boolean;
  posted: number;
  requests: number;
  error?: string;
}

/** How long a region that answered "not enabled" or "access denied" waits before asking again. */
export const DISABLED_REGION_RETRY_MS = 60 * 60 * 1000;
export const DENIED_REGION_RETRY_MS = 30 * 60 * 1000;
/** Expired or missing credentials this many times in a row: the provider could not refresh; a human must. */
const MAX_CREDENTIAL_FAILURES_IN_A_ROW = 3;
const CREDENTIAL_RETRY_MS = 5_000;
const MAX_POLL_BACKOFF_MS = 5 * 60 * 1000;

/**
 * One region's loop: plan a scan, read it, deliver it, advance the offset, sleep. Errors are classified once
 * here: auth failures are checked against the other regions (RegionHealth), the rest back off and retry, and
 * only what a human must fix is thrown (FatalError). Returns when `signal` aborts, or after one pass with --once.
 */
export async function runRegionPoller(deps: PollerDeps, signal: AbortSignal): Promise<PollerResult> {
  const log = deps.log;
  const result: PollerResult = { region: deps.region, ok: false, posted: 0, requests: 0 };
  let state = await deps.loadState();
  let failures = 0;
  let credentialFailures = 0;
  let failingSince: number | undefined;
  let alerted = false;

  while (!signal.aborted) {
    let delay = deps.pollIntervalMs;
    try {
      const queryNow = deps.clock.now();
      const plan = planScan(state, queryNow, deps.window, deps.once);
      const scan = await lookupWindow(
        { client: deps.client, limiter: deps.limiter, clock: deps.clock, log, region: deps.region },
        plan,
        signal,
      );
      result.requests += scan.requests;
      deps.health.succeeded(deps.region);
      const delivered = await deliverEvents({ ...deps, save: deps.saveState }, scan.events, state, signal);
      result.posted += delivered.posted;
      state = completeScan(delivered.state, plan, deps.window, deps.clock.now());
      await deps.saveState(state);
      log.debug(
        { scan: plan.kind, start: new Date(plan.start).toISOString(), end: new Date(plan.end).toISOString(),
          events: scan.events.length, requests: scan.requests, posted: delivered.posted,
          alreadyDelivered: delivered.skippedDelivered, filtered: delivered.filtered },
        'scan complete',
      );
      failures = 0;
      credentialFailures = 0;
      if (failingSince !== undefined) {
        log.info({ failedForMs: deps.clock.now() - failingSince }, 'region recovered');
        if (alerted) await deps.alerter.recovered('region-failing', deps.region, 'LookupEvents answers again');
        failingSince = undefined;
        alerted = false;
      }
      if (!isCaughtUp(plan)) continue; // the next chunk of the backlog, paced by the limiter only
      if (deps.once) {
        result.ok = true;
        return result;
      }
    } catch (error) {
      if (signal.aborted && isAbortError(error)) break;
      if (error instanceof FatalError) throw error;
      const kind = classifyAwsError(error);
      const reason = describeAwsError(error);
      failingSince ??= deps.clock.now();
      if (kind === 'unrecognized-client' || kind === 'access-denied') {
        if (deps.health.failed(deps.region, kind) === 'fatal') throw authFatal(kind, reason, error);
        delay = regionAuthDelay(kind);
        log.warn({ err: error, retryInMs: delay }, kind === 'unrecognized-client'
          ? 'region answers UnrecognizedClientException while others work: it is probably not enabled for this account'
          : 'access denied in this region only (an SCP or a region condition in the IAM policy?)');
      } else if (kind === 'expired-token' || kind === 'no-credentials') {
        // Retried a few times: a provider may refresh them, or an instance role's metadata service may hiccup.
        credentialFailures += 1;
        if (deps.once || credentialFailures >= MAX_CREDENTIAL_FAILURES_IN_A_ROW) {
          throw credentialsFatal(kind, reason, error);
        }
        delay = CREDENTIAL_RETRY_MS;
        log.warn({ err: error, errorKind: kind }, 'aws credentials unusable; retrying so the provider can refresh them');
      } else {
        failures += 1;
        delay = backoffDelay(failures, { baseMs: 2_000, capMs: MAX_POLL_BACKOFF_MS });
        log.warn({ err: error, errorKind: kind, failures, retryInMs: delay }, 'poll failed; backing off');
      }
      if (deps.once) {
        result.error = reason;
        return result;
      }
      if (!alerted && deps.clock.now() - failingSince >= deps.alertAfterMs) {
        alerted = true;
        await deps.alerter.alert({
          kind: kind === 'throttled' ? 'throttled' : 'region-failing',
          region: deps.region,
          reason,
          action: actionFor(kind),
        });
      }
    }
    try {
      await deps.clock.sleep(delay, signal);
    } catch (error) {
      if (!isAbortError(error) && !signal.aborted) throw error;
    }
  }
  result.ok = true;
  return result;
}

function regionAuthDelay(kind: 'unrecognized-client' | 'access-denied'): number {
  return kind === 'unrecognized-client' ? DISABLED_REGION_RETRY_MS : DENIED_REGION_RETRY_MS;
}

function authFatal(kind: 'unrecognized-client' | 'access-denied', reason: string, cause: unknown): FatalError {
  if (kind === 'access-denied') {
    return new FatalError(
      `access denied in every region (${reason}); grant cloudtrail:LookupEvents to these credentials (see the README's IAM policy)`,
      'access-denied',
      { cause },
    );
  }
  return new FatalError(
    `AWS rejected the credentials in every region (${reason}); check the profile or access keys`,
    'credentials',
    { cause },
  );
}

function credentialsFatal(kind: 'expired-token' | 'no-credentials', reason: string, cause: unknown): FatalError {
  const what = kind === 'expired-token'
    ? 'AWS credentials have expired and were not refreshed'
    : 'no usable AWS credentials were found';
  return new FatalError(
    `${what} (${reason}); check --creds-profile / AWS_PROFILE, renew them (aws sso login, new keys, or an instance role) and restart`,
    'credentials',
    { cause },
  );
}

function actionFor(kind: string): string {
  switch (kind) {
    case 'throttled':
      return 'LookupEvents keeps being throttled: another tool may be calling it in this account and region; lower its rate or lookupRequestsPerSecond';
    case 'unrecognized-client':
      return 'enable the region for the account, or remove it from regions';
    case 'access-denied':
      return 'allow cloudtrail:LookupEvents in this region (check SCPs and IAM conditions)';
    default:
      return 'check network access to CloudTrail and the daemon log; the region retries on its own';
  }
}
