import type { EventOutcome, LookupOutcome, SlackOutcome, TargetState, Telemetry } from './telemetry';

/**
 * What the daemon knows of its own health, in memory: one row per target (region) and the last alerts. It is a
 * Telemetry sink; /healthz, /readyz, the status page, the stall alarm and the heartbeat read it. Pure apart from
 * the injected `now` (epoch ms).
 */

export interface TargetStatus {
  region: string;
  state: TargetState;
  /** Epoch ms up to which the target has been read and delivered (the end of its newest scanned window). */
  scannedUpTo: number;
  /** Epoch ms of the last successful scan; undefined until one succeeds in this process. */
  lastScanAt?: number;
  /** Epoch ms when an event of this target was last posted (or printed, --dry-run). */
  lastPostedAt?: number;
  /** The last failure's one line, until the next success. */
  lastError?: string;
  /** Epoch ms of the first failure in the current run of failures. */
  failingSince?: number;
  /** Since the start of this process. */
  counts: Record<EventOutcome, number>;
}

export interface TargetView extends TargetStatus {
  /** now − scannedUpTo, in seconds (never negative). */
  lagSeconds: number;
}

export interface AlertRecord {
  at: number;
  kind: string;
  summary: string;
  region?: string;
}

export interface BoardTotals {
  lookups: Record<LookupOutcome, number>;
  events: Record<EventOutcome, number>;
  slack: Record<SlackOutcome, number>;
  alerts: number;
}

/** The alerts kept for the status page. */
export const RECENT_ALERTS = 20;

const zeroEvents = (): Record<EventOutcome, number> => ({ read: 0, posted: 0, digested: 0, muted: 0, duplicate: 0, undeliverable: 0 });

export class StatusBoard implements Telemetry {
  readonly startedAt: number;
  private readonly targets = new Map<string, TargetStatus>();
  private readonly alerts: AlertRecord[] = [];
  private readonly depths = new Map<string, number>();
  private readonly totals: BoardTotals = {
    lookups: { ok: 0, throttled: 0, denied: 0, error: 0 },
    events: zeroEvents(),
    slack: { ok: 0, rate_limited: 0, refused: 0, error: 0 },
    alerts: 0,
  };
  /** Targets that succeeded since the current cycle began; a cycle ends when every watched target has. */
  private cycleSucceeded = new Set<string>();
  private cycleFailed = false;
  private readonly cycleListeners: Array<(clean: boolean) => void> = [];

  constructor(private readonly now: () => number) {
    this.startedAt = now();
  }

  // ---- Telemetry ----

  targetStarted(region: string, scannedUpTo: number): void {
    const known = this.targets.get(region);
    if (known) {
      known.scannedUpTo = scannedUpTo;
      if (known.state === 'disabled') known.state = 'catching_up';
      return;
    }
    this.targets.set(region, { region, state: 'catching_up', scannedUpTo, counts: zeroEvents() });
  }

  targetStopped(region: string): void {
    this.targets.delete(region);
    this.cycleSucceeded.delete(region);
    this.checkCycle();
  }

  lookupRequest(region: string, outcome: LookupOutcome): void {
    this.totals.lookups[outcome] += 1;
    // A request that failed (timeout, 5xx, network) shows the region as failing at once, not only once the scan's
    // page retries are spent minutes later; the scan's success (or its final failure) says what it is then.
    const target = this.targets.get(region);
    if (outcome !== 'error' || target === undefined || target.state === 'disabled') return;
    target.state = 'failing';
    target.lastError ??= 'LookupEvents requests are failing (timeout, 5xx or network); retrying';
    target.failingSince ??= this.now();
  }

  scanSucceeded(region: string, window: { start: number; end: number }, caughtUp: boolean): void {
    const target = this.targets.get(region);
    if (!target) return;
    target.scannedUpTo = Math.max(target.scannedUpTo, window.end);
    target.lastScanAt = this.now();
    target.state = caughtUp ? 'ok' : 'catching_up';
    target.lastError = undefined;
    target.failingSince = undefined;
    this.cycleSucceeded.add(region);
    this.checkCycle();
  }

  scanFailed(region: string, reason: string, state: 'failing' | 'disabled' = 'failing'): void {
    const target = this.targets.get(region);
    if (!target) return;
    target.state = state;
    target.lastError = reason;
    target.failingSince ??= this.now();
    if (state === 'failing') this.cycleFailed = true;
    this.checkCycle();
  }

  events(region: string, outcome: EventOutcome, count: number): void {
    if (count <= 0) return;
    this.totals.events[outcome] += count;
    const target = this.targets.get(region);
    if (!target) return;
    target.counts[outcome] += count;
    if (outcome === 'posted') target.lastPostedAt = this.now();
  }

  slackMessage(_webhook: string, outcome: SlackOutcome): void {
    this.totals.slack[outcome] += 1;
  }

  queueDepth(webhook: string, depth: number): void {
    this.depths.set(webhook, depth);
  }

  alertSent(kind: string, summary: string, region?: string): void {
    this.totals.alerts += 1;
    this.alerts.unshift({ at: this.now(), kind, summary, ...(region === undefined ? {} : { region }) });
    this.alerts.length = Math.min(this.alerts.length, RECENT_ALERTS);
  }

  // ---- readers ----

  /** Every watched target, sorted by region, with its lag as of now. */
  view(): TargetView[] {
    const now = this.now();
    return [...this.targets.values()]
      .sort((a, b) => a.region.localeCompare(b.region))
      .map((t) => ({ ...t, counts: { ...t.counts }, lagSeconds: Math.max(0, (now - t.scannedUpTo) / 1000) }));
  }

  /** Newest first, at most RECENT_ALERTS. */
  recentAlerts(): AlertRecord[] {
    return this.alerts.map((a) => ({ ...a }));
  }

  queueDepths(): Map<string, number> {
    return new Map(this.depths);
  }

  /** Counts since the process started (the heartbeat's daily message takes differences of these). */
  snapshotTotals(): BoardTotals {
    return structuredClone(this.totals);
  }

  /**
   * Ready when every watched target that is not disabled has scanned successfully within `maxAgeMs` (and
   * at least one target is watched). `notReady` names each other target and why, for /readyz's 503 body.
   */
  readiness(maxAgeMs: number): { ready: boolean; notReady: Array<{ region: string; reason: string }> } {
    const now = this.now();
    const notReady: Array<{ region: string; reason: string }> = [];
    for (const t of this.view()) {
      if (t.state === 'disabled') continue;
      if (t.lastScanAt === undefined) {
        notReady.push({ region: t.region, reason: t.lastError ?? 'no successful scan yet' });
      } else if (now - t.lastScanAt > maxAgeMs) {
        const ago = Math.round((now - t.lastScanAt) / 1000);
        notReady.push({ region: t.region, reason: `last successful scan ${ago} s ago${t.lastError ? `: ${t.lastError}` : ''}` });
      }
    }
    const watched = this.targets.size > 0;
    return { ready: watched && notReady.length === 0, notReady: watched ? notReady : [{ region: '*', reason: 'no target is watched yet' }] };
  }

  /**
   * `listener(clean)` is called each time a cycle ends: every watched, enabled target has scanned successfully
   * since the previous cycle ended; `clean` is false when some scan failed during the cycle. Returns unsubscribe.
   */
  onCycle(listener: (clean: boolean) => void): () => void {
    this.cycleListeners.push(listener);
    return () => {
      const i = this.cycleListeners.indexOf(listener);
      if (i >= 0) this.cycleListeners.splice(i, 1);
    };
  }

  private checkCycle(): void {
    const enabled = [...this.targets.values()].filter((t) => t.state !== 'disabled');
    if (enabled.length === 0 || !enabled.every((t) => this.cycleSucceeded.has(t.region))) return;
    const clean = !this.cycleFailed;
    this.cycleSucceeded = new Set();
    this.cycleFailed = false;
    for (const listener of [...this.cycleListeners]) listener(clean);
  }
}
