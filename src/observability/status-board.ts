import { AccountDirectory } from '../targets/account-directory';
import { parseTargetKey } from '../targets/target';
import type { EventOutcome, LookupOutcome, SlackOutcome, TargetState, Telemetry } from './telemetry';

/**
 * What the daemon knows of its own health, in memory: one row per target (an account's region, keyed by its
 * target key, src/targets/target.ts) and the last alerts. It is a Telemetry sink; /healthz, /readyz, the status
 * page, the stall alarm and the heartbeat read it. Pure apart from the injected `now` (epoch ms). Account names
 * come from the AccountDirectory given at construction and are read at each view(), so a name learned later (the
 * organisation listing) shows at once; they are untrusted text, escaped by whoever shows them.
 */

export interface TargetStatus {
  /** The target key: `eu-west-1` (the daemon's own account) or `123456789012/eu-west-1`. */
  key: string;
  /** The account ID of the key; undefined for the daemon's own account (single-account daemon). */
  account: string | undefined;
  /** The AWS region alone. */
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
  /** The account ID the target reads: the key's, else the daemon's own (setIdentity), undefined until STS said. */
  accountId: string | undefined;
  /** The account's name (AccountDirectory), when known: untrusted text. */
  accountName: string | undefined;
}

/** One /readyz entry: a target not ready and why (`target` `*` when nothing is watched yet). */
export interface NotReady {
  target: string;
  /** The account ID (as TargetView.accountId), when known. */
  account?: string;
  accountName?: string;
  region: string;
  reason: string;
}

export interface AlertRecord {
  at: number;
  kind: string;
  summary: string;
  /** The target key the alert concerns (a region for the daemon's own account), when it concerns one. */
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

  /** The daemon's own account (STS GetCallerIdentity): the account of the targets whose key names none. */
  private identity: string | undefined;

  /** `accounts`: the names of accounts (default: none known, so accounts are named by ID). */
  constructor(
    private readonly now: () => number,
    private readonly accounts: Pick<AccountDirectory, 'nameOf'> = new AccountDirectory(),
  ) {
    this.startedAt = now();
  }

  /** The account the credentials belong to, once STS has said (12 digits). */
  setIdentity(account: string): void {
    this.identity = account;
  }

  // ---- Telemetry (each `target` is a target key) ----

  targetStarted(target: string, scannedUpTo: number): void {
    const known = this.targets.get(target);
    if (known) {
      known.scannedUpTo = scannedUpTo;
      if (known.state === 'disabled') known.state = 'catching_up';
      return;
    }
    const { account, region } = parseTargetKey(target);
    this.targets.set(target, { key: target, account, region, state: 'catching_up', scannedUpTo, counts: zeroEvents() });
  }

  targetStopped(target: string): void {
    this.targets.delete(target);
    this.cycleSucceeded.delete(target);
    this.checkCycle();
  }

  lookupRequest(target: string, outcome: LookupOutcome): void {
    this.totals.lookups[outcome] += 1;
    // A request that failed (timeout, 5xx, network) shows the region as failing at once, not only once the scan's
    // page retries are spent minutes later; the scan's success (or its final failure) says what it is then.
    const row = this.targets.get(target);
    if (outcome !== 'error' || row === undefined || row.state === 'disabled') return;
    row.state = 'failing';
    row.lastError ??= 'LookupEvents requests are failing (timeout, 5xx or network); retrying';
    row.failingSince ??= this.now();
  }

  scanSucceeded(target: string, window: { start: number; end: number }, caughtUp: boolean): void {
    const row = this.targets.get(target);
    if (!row) return;
    row.scannedUpTo = Math.max(row.scannedUpTo, window.end);
    row.lastScanAt = this.now();
    row.state = caughtUp ? 'ok' : 'catching_up';
    row.lastError = undefined;
    row.failingSince = undefined;
    this.cycleSucceeded.add(target);
    this.checkCycle();
  }

  scanFailed(target: string, reason: string, state: 'failing' | 'disabled' = 'failing'): void {
    const row = this.targets.get(target);
    if (!row) return;
    row.state = state;
    row.lastError = reason;
    row.failingSince ??= this.now();
    if (state === 'failing') this.cycleFailed = true;
    this.checkCycle();
  }

  events(target: string, outcome: EventOutcome, count: number): void {
    if (count <= 0) return;
    this.totals.events[outcome] += count;
    const row = this.targets.get(target);
    if (!row) return;
    row.counts[outcome] += count;
    if (outcome === 'posted') row.lastPostedAt = this.now();
  }

  slackMessage(_webhook: string, outcome: SlackOutcome): void {
    this.totals.slack[outcome] += 1;
  }

  queueDepth(webhook: string, depth: number): void {
    this.depths.set(webhook, depth);
  }

  alertSent(kind: string, summary: string, target?: string): void {
    this.totals.alerts += 1;
    this.alerts.unshift({ at: this.now(), kind, summary, ...(target === undefined ? {} : { region: target }) });
    this.alerts.length = Math.min(this.alerts.length, RECENT_ALERTS);
  }

  // ---- readers ----

  /**
   * Every watched target with its lag as of now and its account, sorted by account (name, then ID; the daemon's
   * own account first) and then by region.
   */
  view(): TargetView[] {
    const now = this.now();
    const rows = [...this.targets.values()].map((t): TargetView => {
      const accountId = t.account ?? this.identity;
      const accountName = accountId === undefined ? undefined : this.accounts.nameOf(accountId);
      return { ...t, counts: { ...t.counts }, lagSeconds: Math.max(0, (now - t.scannedUpTo) / 1000), accountId, accountName };
    });
    const sortKey = (v: TargetView) => (v.account === undefined ? '' : `${v.accountName ?? ''}\u0000${v.account}`);
    return rows.sort((a, b) => sortKey(a).localeCompare(sortKey(b)) || a.region.localeCompare(b.region));
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
  readiness(maxAgeMs: number): { ready: boolean; notReady: NotReady[] } {
    const now = this.now();
    const notReady: NotReady[] = [];
    const entry = (t: TargetView, reason: string): NotReady => ({
      target: t.key,
      ...(t.accountId === undefined ? {} : { account: t.accountId }),
      ...(t.accountName === undefined ? {} : { accountName: t.accountName }),
      region: t.region,
      reason,
    });
    for (const t of this.view()) {
      if (t.state === 'disabled') continue;
      if (t.lastScanAt === undefined) {
        notReady.push(entry(t, t.lastError ?? 'no successful scan yet'));
      } else if (now - t.lastScanAt > maxAgeMs) {
        const ago = Math.round((now - t.lastScanAt) / 1000);
        notReady.push(entry(t, `last successful scan ${ago} s ago${t.lastError ? `: ${t.lastError}` : ''}`));
      }
    }
    const watched = this.targets.size > 0;
    const none: NotReady = { target: '*', region: '*', reason: 'no target is watched yet' };
    return { ready: watched && notReady.length === 0, notReady: watched ? notReady : [none] };
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
    if (enabled.length === 0 || !enabled.every((t) => this.cycleSucceeded.has(t.key))) return;
    const clean = !this.cycleFailed;
    this.cycleSucceeded = new Set();
    this.cycleFailed = false;
    for (const listener of [...this.cycleListeners]) listener(clean);
  }
}
