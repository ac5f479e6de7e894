import type { Alerter } from '../alerts/alerter';
import type { Config } from '../config/types';
import type { Evidence } from '../daemon/recover-alerts';
import type { Clock } from '../lib/clock';
import { isAbortError } from '../lib/errors';
import type { Service } from '../lifecycle/service';
import type { Logger } from '../logging/logger';
import type { TargetView } from '../observability/status-board';
import { describeAccount } from '../targets/target';

/**
 * The stall alarm (issue 9 item 5): a target (an account's region, by its key) whose lag (now − scanned-up-to, StatusBoard.view) stays above
 * `stallAlertMinutes` raises one `stalled` alert (email, log line; the alerter counts it in `cloudtrail_slack_alerts_total`), and a "recovered" once its
 * lag is back under the threshold. Whatever the cause: throttling, failures, a hung request, a busy region read
 * slower than real time. A region reading a backlog after downtime shrinks its lag and is left alone.
 */

/** How often the lag is looked at (the issue: "checked every minute"). */
export const STALL_CHECK_INTERVAL_MS = 60_000;

export interface StallAlarmDeps {
  board: { view(): TargetView[] };
  /** The alert recovery's alerter (src/daemon/recover-alerts.ts), so the alert it raises is known to be open. */
  alerter: Alerter;
  /** The alert recovery's `observe`: `caught-up` evidence is what closes a `stalled` alert (alerts/alert-kinds.ts). */
  observe(evidence: Evidence): void;
  clock: Clock;
  log: Logger;
  config: Pick<Config, 'stallAlertMinutes'>;
}

/** `region`: the target key (a region for the daemon's own account, `<account-id>/<region>` for another). */
export type StallVerdict = { region: string; change: 'stalled' | 'caught-up'; view: TargetView };

/**
 * One check, pure. A region is newly stalled when its lag exceeds `thresholdSeconds` now and at the previous check
 * and has not shrunk in between (one look could be a region that is catching up); it is caught up when its lag is
 * at or under the threshold. Disabled regions are skipped. `previousLag` and `stalled` are updated in place.
 */
export function judgeStalls(
  views: readonly TargetView[],
  thresholdSeconds: number,
  previousLag: Map<string, number>,
  stalled: Set<string>,
): StallVerdict[] {
  const verdicts: StallVerdict[] = [];
  const seen = new Set<string>();
  for (const view of views) {
    const { key: region, lagSeconds } = view;
    if (view.state === 'disabled') continue;
    seen.add(region);
    const before = previousLag.get(region);
    previousLag.set(region, lagSeconds);
    if (lagSeconds <= thresholdSeconds) {
      stalled.delete(region);
      verdicts.push({ region, change: 'caught-up', view });
    } else if (!stalled.has(region) && before !== undefined && before > thresholdSeconds && lagSeconds >= before) {
      stalled.add(region);
      verdicts.push({ region, change: 'stalled', view });
    }
  }
  // A region no longer watched (or disabled) is forgotten: no alert for it, and a later start (its 'started'
  // evidence) closes an alert left open for a region that is no longer polled.
  for (const region of [...previousLag.keys()]) if (!seen.has(region)) previousLag.delete(region);
  for (const region of [...stalled]) if (!seen.has(region)) stalled.delete(region);
  return verdicts;
}

export function createStallAlarm(deps: StallAlarmDeps): Service {
  const { clock, config } = deps;
  const log = deps.log.child({ component: 'stall-alarm' });
  const thresholdSeconds = config.stallAlertMinutes * 60;
  const previousLag = new Map<string, number>();
  const stalled = new Set<string>();

  const check = async () => {
    for (const { region, change, view } of judgeStalls(deps.board.view(), thresholdSeconds, previousLag, stalled)) {
      if (change === 'caught-up') {
        // Every minute for every healthy region: it also closes a `stalled` alert an earlier run left open.
        deps.observe({ type: 'caught-up', region });
        continue;
      }
      const behind = describeLag(view.lagSeconds);
      const where = view.account === undefined ? {} : { account: view.account };
      log.warn({ region: view.region, ...where, lagSeconds: Math.round(view.lagSeconds), stallAlertMinutes: config.stallAlertMinutes }, 'region stalled');
      await deps.alerter.alert({ kind: 'stalled', region, reason: reasonOf(view, behind, config.stallAlertMinutes), action: ACTION });
    }
  };

  return {
    name: 'stall-alarm',
    async run(signal) {
      log.debug({ stallAlertMinutes: config.stallAlertMinutes }, 'stall alarm on');
      while (!signal.aborted) {
        try {
          await clock.sleep(STALL_CHECK_INTERVAL_MS, signal);
        } catch (error) {
          if (signal.aborted || isAbortError(error)) return;
          throw error;
        }
        await check();
      }
    },
  };
}

const ACTION =
  'look at this region in the log (throttling, access, network, a slow Slack); the daemon keeps trying and sends a ' +
  '"recovered" email once the region has caught up. Nothing is lost while Event history still holds the events (90 days)';

function reasonOf(view: TargetView, behind: string, minutes: number): string {
  const upTo = new Date(view.scannedUpTo).toISOString();
  const why = view.lastError === undefined ? '' : `; last error: ${view.lastError}`;
  return `${targetOf(view)} has been read up to ${upTo} only: ${behind} behind, more than stallAlertMinutes (${minutes}); state ${view.state}${why}`;
}

/**
 * "region eu-west-1" for the daemon's own account, as before accounts; "region eu-west-1 of account prod
 * (222233334444)" for another (the name as the board knows it, untrusted: the alerter shows it as text).
 */
function targetOf(view: TargetView): string {
  return view.account === undefined ? `region ${view.region}` : `region ${view.region} of account ${describeAccount(view.account, view.accountName)}`;
}

/** "42 min", "3 h 05 min", "2 d 4 h". */
export function describeLag(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

