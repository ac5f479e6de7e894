import { noTelemetry, type Telemetry } from './telemetry';

/**
 * What GET /healthz checks besides the event loop answering the request: that the daemon's loops still turn. A
 * Telemetry sink that remembers when anything last turned: a LookupEvents request or a scan's end (success or
 * failure) in any region, a Slack POST attempted by any webhook sender, or a target (re)started. A poller that
 * waits for Slack (an outage) is not stuck while its sender keeps trying; a poller in backoff reports each retry.
 * Only when nothing at all turned for `stuckAfterMs` are the loops stuck (a hung request without timeout, a
 * deadlock): a restart is then the right cure, which is what a liveness probe does.
 */
export class Liveness implements Telemetry {
  #lastTurn: number;
  #lastWhat = 'started';

  constructor(
    private readonly now: () => number,
    /** Nothing turned for this long (ms) → unhealthy. */
    readonly stuckAfterMs: number,
  ) {
    this.#lastTurn = now();
  }

  #turned(what: string): void {
    this.#lastTurn = this.now();
    this.#lastWhat = what;
  }

  targetStarted = (region: string) => this.#turned(`${region} started`);
  targetStopped = noTelemetry.targetStopped;
  lookupRequest = (region: string) => this.#turned(`${region} LookupEvents request`);
  scanSucceeded = (region: string) => this.#turned(`${region} scan succeeded`);
  scanFailed = (region: string) => this.#turned(`${region} scan failed`);
  events = noTelemetry.events;
  slackMessage = (webhook: string) => this.#turned(`Slack POST to webhook ${webhook}`);
  queueDepth = noTelemetry.queueDepth;
  alertSent = noTelemetry.alertSent;

  /** `healthy` false once nothing turned for stuckAfterMs; `reason` says what turned last and when (seconds). */
  check(): { healthy: boolean; lastTurnSecondsAgo: number; lastTurn: string } {
    const ago = Math.max(0, this.now() - this.#lastTurn);
    return { healthy: ago <= this.stuckAfterMs, lastTurnSecondsAgo: Math.round(ago / 1000), lastTurn: this.#lastWhat };
  }
}
