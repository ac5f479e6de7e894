/**
 * The telemetry port (DESIGN.md "Next shape": telemetry is a port). Code on the event path reports what happened
 * through it; it never imports prom-client. Implementations: `noTelemetry` (the default), the status board
 * (status-board.ts: what /readyz, the status page, the stall alarm and the heartbeat read) and the Prometheus
 * registry (prometheus.ts). `fanOut` joins several. Every method is cheap and never throws: a broken metric must
 * not stop a poller.
 *
 * Every `target` is a target KEY (src/targets/target.ts, issue 10): the region alone for the daemon's own account
 * (`eu-west-1`: a single-account daemon reads as before), `<account-id>/<region>` for an account of the config's
 * `accounts` or of the organisation listing. Sinks split it with parseTargetKey when they need labels.
 *
 * Labels are bounded (API-FACTS J.2): an account and a region (from the target key, so only accounts the config or
 * the organisation listing gave), a webhook name from the config (≤ 16), an outcome from the closed unions below,
 * an alert kind from alert-kinds.ts. Never an event ID, a user name or an account an event names.
 */

/** One LookupEvents request's answer: `throttled` is ThrottlingException (A.4), `denied` AccessDenied or
 *  UnrecognizedClient (A.5), `error` anything else (network, 5xx, a page we could not read). */
export type LookupOutcome = 'ok' | 'throttled' | 'denied' | 'error';

/** What became of events: `read` counts every record a scan returned (write or not); the others count write
 *  events once per (event, webhook) delivery, as DeliverResult does. */
export type EventOutcome = 'read' | 'posted' | 'digested' | 'muted' | 'duplicate' | 'undeliverable';

/** One Slack POST's answer: `ok` (200 "ok"), `rate_limited` (429, C.1), `refused` (a 4xx that will not change:
 *  bad webhook, invalid payload), `error` (5xx, network, timeout). */
export type SlackOutcome = 'ok' | 'rate_limited' | 'refused' | 'error';

/** What a person should read of a target: `ok` scanned and caught up; `catching_up` reading a backlog;
 *  `failing` its last attempt failed; `disabled` the region is not enabled for the account, or was removed. */
export type TargetState = 'ok' | 'catching_up' | 'failing' | 'disabled';

export interface Telemetry {
  /** A target is watched from now on; `scannedUpTo` (epoch ms) is where its state says it has read up to. */
  targetStarted(target: string, scannedUpTo: number): void;
  /** A target is no longer watched (region discovery dropped it, or the daemon stopped it). */
  targetStopped(target: string): void;
  lookupRequest(target: string, outcome: LookupOutcome): void;
  /** A scan was read and delivered: the window [start, end] (epoch ms); `caughtUp` false while a backlog remains. */
  scanSucceeded(target: string, window: { start: number; end: number }, caughtUp: boolean): void;
  /** A scan failed; `reason` is one human line (scrubbed), `state` what the failure means for the target. */
  scanFailed(target: string, reason: string, state?: Extract<TargetState, 'failing' | 'disabled'>): void;
  events(target: string, outcome: EventOutcome, count: number): void;
  slackMessage(webhook: string, outcome: SlackOutcome): void;
  /** Messages waiting to be posted to one webhook (a gauge: the latest value wins). */
  queueDepth(webhook: string, depth: number): void;
  /** An alert was sent (email or Slack); `target` (a key) when it concerns one; `summary` one scrubbed line. */
  alertSent(kind: string, summary: string, target?: string): void;
}

/** Does nothing: the default when nobody observes. */
export const noTelemetry: Telemetry = {
  targetStarted: () => undefined,
  targetStopped: () => undefined,
  lookupRequest: () => undefined,
  scanSucceeded: () => undefined,
  scanFailed: () => undefined,
  events: () => undefined,
  slackMessage: () => undefined,
  queueDepth: () => undefined,
  alertSent: () => undefined,
};

/** One port that reports to each of `sinks`, in order. A sink that throws is skipped, never the caller. */
export function fanOut(...sinks: Telemetry[]): Telemetry {
  const each = <K extends keyof Telemetry>(method: K) =>
    ((...args: Parameters<Telemetry[K]>) => {
      for (const sink of sinks) {
        try {
          (sink[method] as (...a: Parameters<Telemetry[K]>) => void)(...args);
        } catch {
          // telemetry must never stop the event path
        }
      }
    }) as Telemetry[K];
  return {
    targetStarted: each('targetStarted'),
    targetStopped: each('targetStopped'),
    lookupRequest: each('lookupRequest'),
    scanSucceeded: each('scanSucceeded'),
    scanFailed: each('scanFailed'),
    events: each('events'),
    slackMessage: each('slackMessage'),
    queueDepth: each('queueDepth'),
    alertSent: each('alertSent'),
  };
}
