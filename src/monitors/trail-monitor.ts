import { alertKindInfo } from '../alerts/alert-kinds';
import type { AlertRecovery } from '../daemon/recover-alerts';
import type { Clock } from '../lib/clock';
import { isAbortError } from '../lib/errors';
import type { Service } from '../lifecycle/service';
import type { Logger } from '../logging/logger';
import { formatTrailAlert, formatTrailRecovered } from '../slack/format-trail';
import type { SlackSender } from '../slack/sender';
import { checkTrails, TRAIL_MONITOR_ACTIONS, type TrailCheck } from './trail-check';
import type { TrailClient } from './trail-client';
import { TRAIL_FINDING_KINDS, type TrailFinding } from './trail-findings';

/**
 * The trail monitor (issue 9 item 6, the Ruby original's TODO 1): every `intervalMs`, in the home region, looks at
 * the account's trails (checkTrails) and tells a human when coverage breaks: ONE high-severity Slack message (to
 * the default webhook, through its paced sender) and ONE alert email per defect, none again while the defect
 * persists (the alert state survives restarts), and a "recovered" message and email once it is gone. Alerts end
 * in one place (recover-alerts.ts, `trail-check` evidence); this service only reads which ones are open.
 *
 * AccessDenied: on the very first check (the permission was never granted) one warning names the actions to
 * grant and the monitor stops, the daemon runs on; after the calls have worked (in this run, or an earlier one
 * that left its alert open) it is an alert of its own: someone removed the permission. Throttling, network and
 * other failures are logged and retried at the next interval, never alerted.
 */

export const TRAIL_ALERT_KINDS = [...TRAIL_FINDING_KINDS, 'trail-monitor-denied'] as const;
const DENIED = 'trail-monitor-denied';

export interface TrailMonitorDeps {
  /** The SDK client in the home region (trail-client.ts); the monitor does not destroy it. */
  client: TrailClient;
  clock: Clock;
  log: Logger;
  /** The daemon's alert recovery: its alerter sends the emails, its `trail-check` evidence closes them. */
  recovery: AlertRecovery;
  /** The default webhook's paced sender (--dry-run: the printer). */
  slack: Pick<SlackSender, 'send'>;
  /** Between two checks, ms; config trailMonitor.intervalMinutes (bounds: src/config/bounds.ts). */
  intervalMs: number;
}

/** The monitor as a Service: `run` checks at once, then every intervalMs, until the signal aborts. */
export function createTrailMonitor(deps: TrailMonitorDeps): Service {
  const log = deps.log.child({ component: 'trail-monitor', region: deps.client.region });
  const region = deps.client.region;
  const { recovery } = deps;

  const post = async (message: Parameters<SlackSender['send']>[0], kind: string, signal: AbortSignal) => {
    const outcome = await deps.slack.send(message, signal);
    if (!outcome.delivered) log.error({ kind, slackError: outcome.error }, 'trail monitor message not delivered to Slack');
  };

  /** One alert: its email (with the alerter's cooldown) and its Slack message, side by side. */
  const raise = async (finding: Omit<TrailFinding, 'kind'> & { kind: string }, signal: AbortSignal) => {
    log.warn({ kind: finding.kind, trails: finding.trails, reason: finding.reason }, 'trail monitor: coverage problem');
    await Promise.all([
      recovery.alerter.alert({ kind: finding.kind, reason: finding.reason, action: finding.action }),
      post(formatTrailAlert({ ...finding, region }), finding.kind, signal),
    ]);
  };

  /** The calls answered: recover what is gone (one place: recover-alerts.ts), then raise what is new. */
  const settle = async (check: Extract<TrailCheck, { outcome: 'checked' }>, signal: AbortSignal) => {
    const found = check.findings.map((finding) => finding.kind);
    const openBefore = TRAIL_ALERT_KINDS.filter((kind) => recovery.isOpen(kind));
    // A deleted trail fixes none of its defects: while no multi-region trail exists, nothing about its logging,
    // coverage or selectors is "recovered" (no false all-clear); they close once a healthy trail is back.
    const unjudged = found.includes('trail-missing') ? ['trail-not-logging', 'trail-coverage', 'trail-selectors'] : [];
    recovery.observe({ type: 'trail-check', found: [...found, ...unjudged] });
    const ended = openBefore.filter((kind) => !recovery.isOpen(kind));
    for (const kind of ended) {
      log.info({ kind }, 'trail monitor: recovered');
      await post(formatTrailRecovered({ kind, note: alertKindInfo(kind).note, region }), kind, signal);
    }
    for (const finding of check.findings) {
      if (!recovery.isOpen(finding.kind)) await raise(finding, signal);
    }
  };

  return {
    name: 'trail-monitor',
    async run(signal) {
      // Worked before: in this run, or in an earlier one whose "permission removed" alert is still open.
      let answered = recovery.isOpen(DENIED);
      log.info({ intervalMs: deps.intervalMs }, 'trail monitor started');
      while (!signal.aborted) {
        try {
          const check = await checkTrails(deps.client, signal);
          if (check.outcome === 'checked') {
            answered = true;
            await settle(check, signal);
          } else if (check.outcome === 'denied' && !answered) {
            log.warn(
              { refused: check.action, grant: TRAIL_MONITOR_ACTIONS, reason: check.message },
              'trail monitor is off: AccessDenied on its first check; grant these read-only actions and restart to turn it on',
            );
            return;
          } else if (check.outcome === 'denied') {
            if (!recovery.isOpen(DENIED)) await raise(deniedFinding(check.action, check.message), signal);
          } else {
            log.warn({ errorKind: check.kind, reason: check.message }, 'trail check failed; trying again at the next interval');
          }
        } catch (error) {
          if (signal.aborted || isAbortError(error)) return;
          // Nothing here should throw (checkTrails and the alerter never do); if it does, the pollers go on.
          log.error({ err: error }, 'trail check failed unexpectedly; trying again at the next interval');
        }
        try {
          await deps.clock.sleep(deps.intervalMs, signal);
        } catch {
          return; // the stop signal
        }
      }
    },
  };
}

function deniedFinding(action: string, message: string): Omit<TrailFinding, 'kind'> & { kind: string } {
  return {
    kind: DENIED,
    trails: [],
    reason: `the trail monitor's calls worked before and now answer AccessDenied (${action}): ${message}`,
    action:
      `grant ${TRAIL_MONITOR_ACTIONS.join(', ')} again, and find out who removed them (IAM policy changes in Event ` +
      'history): losing the permission to watch the trail is itself a warning sign. Trail coverage is unknown meanwhile',
  };
}
