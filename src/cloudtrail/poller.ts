import type { Clock } from '../lib/clock';
import type { Logger } from '../logging/logger';
import { ConfigError, FatalError, isAbortError } from '../lib/errors';
import { backoffDelay } from '../lib/backoff';
import type { RegionState } from '../state/region-state';
import type { LookupClient } from './client';
import { lookupWindow } from './lookup';
import type { RateLimiter } from '../lib/rate-limiter';
import { completeScan, expiredBefore, isCaughtUp, nextCatchUpWindow, planScan, type ScanPlan, type WindowOptions } from './window';
import { StateWriteError } from '../state/store';
import { deliverScan, type DeliverResult, type ScanDeps } from '../pipeline/deliver-scan';
import { noTelemetry, type Telemetry } from '../observability/telemetry';
import type { RegionHealth } from './region-health';
import type { Alerter } from '../alerts/alerter';
import { classifyError } from '../errors/classify';
import type { AuthFailure } from './region-health';
import { authFatal, authMessage, credentialsFatal, fatalOf, loadOrFail, regionAuthDelay, reportExpired } from './poll-failures';

/** The scan's delivery (decide, the shared webhook queues, commit) plus the loop's own needs. */
export interface PollerDeps extends Omit<ScanDeps, 'log' | 'target'> {
  /**
   * The target's key (src/targets/target.ts): what telemetry, health, alerts and results name, and where commits
   * go; default `region` (the single account). `region` itself is the AWS region: events and rules get it.
   */
  target?: string;
  /**
   * Many accounts (issue 10 item 3): this account's credentials are unusable, or it answers AccessDenied or
   * UnrecognizedClient in every one of its regions. Told instead of stopping the daemon: the account supervisor
   * pauses the account (which stops this poller) and retries it later. Undefined (the single account): fatal, as before.
   */
  onAccountUnusable?(failure: { kind: string; reason: string; error: unknown }): Promise<void>;
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
  /** Where this region's counts and states go (metrics, status page); default none. */
  telemetry?: Telemetry;
}

export interface PollerResult {
  region: string;
  ok: boolean;
  posted: number;
  /** --dry-run: written out instead of posted. */
  printed: number;
  requests: number;
  error?: string;
}

/** Expired or missing credentials this many times in a row: the provider could not refresh; a human must. */
const MAX_CREDENTIAL_FAILURES_IN_A_ROW = 3;
const CREDENTIAL_RETRY_MS = 5_000;
const MAX_POLL_BACKOFF_MS = 5 * 60 * 1000;
/** A clock off by more than this is worth a warning: it eats into the settle window if uncorrected. */
const CLOCK_SKEW_WARN_MS = 60_000;

/**
 * One target's loop (a region of one account): plan a scan, read it, deliver it, advance the offset, sleep. Errors are classified once
 * here: auth failures are checked against the other regions (RegionHealth), the rest back off and retry, and
 * only what a human must fix is thrown (FatalError). Returns when `signal` aborts, or after one pass with --once.
 */
export async function runTargetPoller(deps: PollerDeps, signal: AbortSignal): Promise<PollerResult> {
  const log = deps.log;
  // The target's name everywhere but in the AWS request and the events (deps.region).
  const key = deps.target ?? deps.region;
  const result: PollerResult = { region: key, ok: false, posted: 0, printed: 0, requests: 0 };
  let state = await loadOrFail({ ...deps, region: key });
  const telemetry = deps.telemetry ?? noTelemetry;
  telemetry.targetStarted(key, state.lastScanEnd ?? state.offset);
  let failures = 0;
  // After a failed save, nothing new is posted until the state can be written again (else it would repeat).
  // A region that never completed a scan (first start, or a corrupt file set aside) has its starting offset only
  // in memory, and commits go to the journal: save it first, or a restart would plan a new lookback from a later
  // "now" and skip what lies between (events read, not yet posted).
  let unsaved = state.lastScanEnd === undefined;
  let skewWarned = false;
  let authWarned: string | undefined;
  let catchUpWindowMs = deps.window.maxWindowMs;
  let credentialFailures = 0;
  let failingSince: number | undefined;
  // The kind emailed ('region-failing' or 'throttled'), so the recovery closes that same alert.
  let alerted: string | undefined;

  while (!signal.aborted) {
    let delay = deps.pollIntervalMs;
    try {
      if (unsaved) {
        await deps.saveState(state);
        unsaved = false;
      }
      // Plan in the service's time: events become visible by CloudTrail's clock, not ours.
      const skew = deps.client.serverClockOffsetMs?.() ?? 0;
      if (Math.abs(skew) > CLOCK_SKEW_WARN_MS && !skewWarned) {
        skewWarned = true;
        log.warn({ skewMs: skew }, 'local clock differs from AWS; planning windows in AWS time (is NTP running?)');
      }
      const queryNow = deps.clock.now() + skew;
      const plan = planScan(state, queryNow, { ...deps.window, maxWindowMs: catchUpWindowMs }, deps.once);
      const expired = expiredBefore(state, plan);
      if (expired !== undefined) await reportExpired({ ...deps, region: key }, state.offset, expired);
      const scan = await lookupWindow(
        { client: deps.client, limiter: deps.limiter, clock: deps.clock, log, region: deps.region, target: key, telemetry },
        plan,
        signal,
      );
      telemetry.events(key, 'read', scan.events.length);
      result.requests += scan.requests;
      deps.health.succeeded(key);
      // Every item of the scan is delivered (or recorded undeliverable) before this returns, so the offset below
      // never passes an event still held in a queue. deliverScan records commits in `state` itself: what Slack
      // accepted is kept even when it throws (a failed write), and is never posted again by this process.
      const delivered = await deliverScan({ ...deps, target: key, log }, scan.events, state, plan);
      result.posted += delivered.posted;
      result.printed += delivered.printed;
      state = completeScan(delivered.state, plan, deps.window, queryNow);
      await deps.saveState(state);
      reportScan(telemetry, key, delivered, plan);
      log.debug(
        { scan: plan.kind, start: new Date(plan.start).toISOString(), end: new Date(plan.end).toISOString(),
          events: scan.events.length, requests: scan.requests, posted: delivered.posted, printed: delivered.printed,
          digested: delivered.digested, undeliverable: delivered.undeliverable, alreadyDelivered: delivered.skippedDelivered,
          muted: delivered.muted, readOnly: delivered.skippedReadOnly },
        'scan complete',
      );
      failures = 0;
      credentialFailures = 0;
      authWarned = undefined;
      if (failingSince !== undefined) {
        log.info({ failedForMs: deps.clock.now() - failingSince }, 'region recovered');
        if (alerted) await deps.alerter.recovered(alerted, key, 'LookupEvents answers again');
        failingSince = undefined;
        alerted = undefined;
      }
      if (!isCaughtUp(plan)) {
        catchUpWindowMs = nextCatchUpWindow(catchUpWindowMs, scan.events.length, deps.window.maxWindowMs);
        continue; // the next chunk of the backlog, paced by the limiter only
      }
      catchUpWindowMs = deps.window.maxWindowMs;
      if (deps.once) {
        result.ok = true;
        return result;
      }
    } catch (error) {
      if (error instanceof StateWriteError) unsaved = true;
      if (signal.aborted && isAbortError(error)) break;
      // One classifier says what every error means (src/errors/classify.ts); this block only acts on it.
      const what = classifyError(error);
      if (what.action === 'fatal') throw error instanceof FatalError || error instanceof ConfigError ? error : fatalOf(what, error);
      telemetry.scanFailed(key, what.reason, what.kind === 'unrecognized-client' ? 'disabled' : 'failing');
      failingSince ??= deps.clock.now();
      if (what.action === 'pause-target') {
        const kind = what.kind as AuthFailure;
        const scope = deps.health.failed(key, kind);
        delay = regionAuthDelay(kind);
        if (scope === 'fatal') {
          if (deps.onAccountUnusable === undefined) throw authFatal(kind, what.reason, error);
          // The supervisor pauses the account (this poller stops) and says so once; until then, the usual wait.
          await deps.onAccountUnusable({ kind, reason: what.reason, error });
          if (deps.once) {
            result.error = what.reason;
            return result;
          }
          await sleepUnlessAborted(deps.clock, delay, signal);
          continue;
        }
        // Said once at warn level; the rare retries after that only at debug, so a disabled region stays quiet.
        const level = authWarned === `${kind}/${scope}` ? 'debug' : 'warn';
        authWarned = `${kind}/${scope}`;
        log[level]({ err: error, ...(deps.once ? {} : { retryInMs: delay }) }, authMessage(kind, scope));
      } else if (what.action === 'stop-account') {
        // Retried a few times: a provider may refresh them, or an instance role's metadata service may hiccup.
        credentialFailures += 1;
        if ((deps.once || credentialFailures >= MAX_CREDENTIAL_FAILURES_IN_A_ROW) && deps.onAccountUnusable !== undefined) {
          credentialFailures = 0;
          await deps.onAccountUnusable({ kind: what.kind, reason: what.reason, error });
        } else if (deps.once || credentialFailures >= MAX_CREDENTIAL_FAILURES_IN_A_ROW) {
          throw credentialsFatal(what.kind as 'expired-token' | 'no-credentials', what.reason, error);
        }
        delay = CREDENTIAL_RETRY_MS;
        log.warn({ err: error, errorKind: what.kind }, 'aws credentials unusable; retrying so the provider can refresh them');
      } else if (deps.once) {
        log.warn({ err: error, errorKind: what.kind, advice: what.advice }, 'poll failed; --once does not retry it');
      } else {
        failures += 1;
        delay = backoffDelay(failures, { baseMs: 2_000, capMs: MAX_POLL_BACKOFF_MS });
        log.warn({ err: error, errorKind: what.kind, failures, retryInMs: delay }, 'poll failed; backing off');
      }
      if (deps.once) {
        result.error = what.reason;
        return result;
      }
      // A cause alerted where it happens (a state write: one alert for every region) is not alerted again here.
      if (what.escalates && !alerted && deps.clock.now() - failingSince >= deps.alertAfterMs) {
        alerted = what.kind === 'throttled' ? 'throttled' : 'region-failing';
        await deps.alerter.alert({ kind: alerted, region: key, reason: what.reason, action: what.advice });
      }
    }
    await sleepUnlessAborted(deps.clock, delay, signal);
  }
  result.ok = true;
  return result;
}

/** Waits `ms`; returns early, without throwing, when `signal` aborts (the loop then ends). */
async function sleepUnlessAborted(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  try {
    await clock.sleep(ms, signal);
  } catch (error) {
    if (!isAbortError(error) && !signal.aborted) throw error;
  }
}

/** A delivered scan, for the status board and the metrics: what became of its events, and how far it reached. */
function reportScan(telemetry: Telemetry, region: string, delivered: DeliverResult, plan: ScanPlan): void {
  // posted counts --dry-run's printed too (the board's "last posted"); digested is the part of it that went in digests.
  telemetry.events(region, 'posted', delivered.posted + delivered.printed);
  telemetry.events(region, 'digested', delivered.digested);
  telemetry.events(region, 'muted', delivered.muted);
  telemetry.events(region, 'duplicate', delivered.skippedDelivered);
  telemetry.events(region, 'undeliverable', delivered.undeliverable);
  telemetry.scanSucceeded(region, { start: plan.start, end: plan.end }, isCaughtUp(plan));
}
