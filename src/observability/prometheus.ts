import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { ALERT_KIND_NAMES } from '../alerts/alert-kinds';
import { parseTargetKey } from '../targets/target';
import type { TargetView } from './status-board';
import type { EventOutcome, LookupOutcome, SlackOutcome, TargetState, Telemetry } from './telemetry';

/**
 * The Telemetry port over prom-client 15.1.3 (API-FACTS J.1), served at GET /metrics.
 *
 * - Its own `new Registry()`, never the global one, and collectDefaultMetrics once per registry (calling it twice
 *   on one registry throws, J.1).
 * - Our names carry the `cloudtrail_slack_` prefix and follow J.2: base units (`_seconds`), `_total` on counters,
 *   `_timestamp_seconds` for points in time, `_info` for metadata. The default Node process metrics keep their
 *   standard unprefixed names (`process_*`, `nodejs_*`) so stock Node.js dashboards work unchanged.
 * - Labels are bounded (J.2 "Cardinality"): an account ID and a region (every per-target series: `account` is the
 *   target key's account, else the daemon's own from `defaultAccount()`, else `unknown` before STS answered; the
 *   accounts come from the config or the organisation listing only, never from an event), a webhook NAME from
 *   the config (never its URL), an outcome from the closed unions of telemetry.ts, an alert kind from
 *   alert-kinds.ts. A target's series are pre-set to 0 when it starts (targetStarted), the webhooks' and alert
 *   kinds' at creation, as Alertmanager does (J.3), so `rate()` and `increase()` see the first increment.
 * - Lag is computed at scrape time (a `collect()`, J.1) from the status board: now − scanned-up-to.
 */

export const METRIC_PREFIX = 'cloudtrail_slack_';

const LOOKUP_OUTCOMES: readonly LookupOutcome[] = ['ok', 'throttled', 'denied', 'error'];
const EVENT_OUTCOMES: readonly EventOutcome[] = ['read', 'posted', 'digested', 'muted', 'duplicate', 'undeliverable'];
const SLACK_OUTCOMES: readonly SlackOutcome[] = ['ok', 'rate_limited', 'refused', 'error'];
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];
const TARGET_STATES: readonly TargetState[] = ['ok', 'catching_up', 'failing', 'disabled'];

/** The `account` label of a target whose key names no account while the daemon's own is not known yet. */
export const UNKNOWN_ACCOUNT = 'unknown';

export interface PrometheusOptions {
  /**
   * The daemon's own account (STS GetCallerIdentity, learned before "ready"): the `account` label of targets
   * whose key is a region alone. Undefined until known: `unknown`. Default: the last setIdentity.
   */
  defaultAccount?(): string | undefined;
  /** The configured webhook names (config `slack.webhooks` keys, or `default`). Never URLs. */
  webhooks: readonly string[];
  /** The package version, for cloudtrail_slack_build_info. */
  version: string;
  /** Read at scrape time for lag and state: the daemon's StatusBoard. */
  board: { view(): TargetView[] };
  /** Epoch ms. */
  now(): number;
  /** Default true: the standard Node process metrics (process_*, nodejs_*). */
  defaultMetrics?: boolean;
}

export interface PrometheusTelemetry extends Telemetry {
  readonly registry: Registry;
  /** The text exposition format (J.1: `text/plain; version=0.0.4; charset=utf-8`). */
  readonly contentType: string;
  /** The whole exposition, collected now. */
  metrics(): Promise<string>;
  /** The AWS account the credentials belong to (STS GetCallerIdentity): cloudtrail_slack_identity_info{account}. */
  setIdentity(account: string): void;
}

export function createPrometheusTelemetry(options: PrometheusOptions): PrometheusTelemetry {
  const registry = new Registry();
  if (options.defaultMetrics !== false) {
    // The event-loop delay monitor samples every `precision` ms even when idle: 100 ms (prom-client: 10) is plenty for
    // a daemon whose loop sleeps for seconds, and keeps the idle cost down (scripts/bench-idle.ts).
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
    // Gauges named like counters: `promtool check metrics` refuses them (J.2: `_total` is for counters). Each is
    // the sum of its per-type gauge, kept (`nodejs_active_handles{type}`: sum() gives the same figure).
    for (const misnamed of MISNAMED_DEFAULTS) registry.removeSingleMetric(misnamed);
  }
  const name = (suffix: string) => `${METRIC_PREFIX}${suffix}`;
  let account: string | undefined;
  const defaultAccount = options.defaultAccount ?? (() => account);
  /** The labels of a target key: its account (else the daemon's own, else `unknown`) and its region. */
  const labelsOf = (target: string) => {
    const parts = parseTargetKey(target);
    return { account: parts.account ?? defaultAccount() ?? UNKNOWN_ACCOUNT, region: parts.region };
  };
  function labelsOfView(view: TargetView) {
    return { account: view.account ?? defaultAccount() ?? UNKNOWN_ACCOUNT, region: view.region };
  }

  const registers = [registry];

  const lookups = new Counter({
    name: name('lookup_requests_total'),
    help: 'CloudTrail LookupEvents requests, by account, region and outcome (ok, throttled, denied, error).',
    labelNames: ['account', 'region', 'outcome'] as const,
    registers,
  });
  const events = new Counter({
    name: name('events_total'),
    help: 'Events by account, region and outcome: read (records returned), posted (delivered per webhook, digests included), digested (the posted that went in a digest), muted, duplicate (already delivered), undeliverable.',
    labelNames: ['account', 'region', 'outcome'] as const,
    registers,
  });
  const slack = new Counter({
    name: name('slack_messages_total'),
    help: 'Slack webhook POSTs by webhook name and outcome (ok, rate_limited = HTTP 429, refused, error).',
    labelNames: ['webhook', 'outcome'] as const,
    registers,
  });
  const queue = new Gauge({
    name: name('queue_length'),
    help: 'Items (event, webhook) waiting in a webhook queue to be posted, not counting the message in flight.',
    labelNames: ['webhook'] as const,
    registers,
  });
  // Points in time kept here by target key and labelled at scrape time, so a target of the daemon's own account
  // moves from `unknown` to its ID once STS answers, and a stopped target's series are gone, whatever the labels.
  const lastScanAt = new Map<string, number>();
  const watchedAt = new Map<string, number>();
  const pointsOf = (points: Map<string, number>) =>
    function collect(this: Gauge<'account' | 'region'>) {
      this.reset();
      for (const [target, at] of points) this.set(labelsOf(target), at / 1000);
    };
  new Gauge({
    name: name('last_successful_scan_timestamp_seconds'),
    help: 'Unix time of the last successful scan of an account\'s region (absent until one succeeds in this process).',
    labelNames: ['account', 'region'] as const,
    registers,
    collect: pointsOf(lastScanAt),
  });
  new Gauge({
    name: name('watched_since_timestamp_seconds'),
    help: 'Unix time this process started watching an account\'s region (absent once it stops): what an alert on the last successful scan counts from before the first success.',
    labelNames: ['account', 'region'] as const,
    registers,
    collect: pointsOf(watchedAt),
  });
  const alerts = new Counter({
    name: name('alerts_total'),
    help: 'Alerts sent (email, or the log when email is off), by kind.',
    labelNames: ['kind'] as const,
    registers,
  });
  const identity = new Gauge({
    name: name('identity_info'),
    help: 'Always 1: the AWS account the credentials belong to (STS GetCallerIdentity).',
    labelNames: ['account'] as const,
    registers,
  });
  new Gauge({
    name: name('build_info'),
    help: 'Always 1: the running version of cloudtrail-slack.',
    labelNames: ['version'] as const,
    registers,
  }).set({ version: options.version }, 1);
  new Gauge({
    name: name('lag_seconds'),
    help: 'How far an account\'s region trails now: now − the end of its last delivered window, in seconds.',
    labelNames: ['account', 'region'] as const,
    registers,
    collect() {
      this.reset();
      for (const target of options.board.view()) this.set(labelsOfView(target), target.lagSeconds);
    },
  });
  new Gauge({
    name: name('region_state'),
    help: 'An account\'s region\'s state: 1 for the current one of ok, catching_up, failing, disabled; 0 for the others.',
    labelNames: ['account', 'region', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const target of options.board.view()) {
        const labels = labelsOfView(target);
        for (const state of TARGET_STATES) this.set({ ...labels, state }, target.state === state ? 1 : 0);
      }
    },
  });

  for (const webhook of options.webhooks) {
    for (const outcome of SLACK_OUTCOMES) slack.inc({ webhook, outcome }, 0);
    queue.set({ webhook }, 0);
  }
  for (const kind of ALERT_KIND_NAMES) alerts.inc({ kind }, 0);

  // Telemetry never throws (telemetry.ts): a broken metric must not stop a poller.
  const safely = (work: () => void) => {
    try {
      work();
    } catch {
      // ignored on purpose
    }
  };

  return {
    registry,
    contentType: registry.contentType,
    metrics: () => registry.metrics(),
    setIdentity: (next) =>
      safely(() => {
        if (account !== undefined) identity.remove({ account });
        account = next;
        identity.set({ account }, 1);
      }),
    targetStarted: (target) =>
      safely(() => {
        const labels = labelsOf(target);
        if (!watchedAt.has(target)) watchedAt.set(target, options.now());
        for (const outcome of LOOKUP_OUTCOMES) lookups.inc({ ...labels, outcome }, 0);
        for (const outcome of EVENT_OUTCOMES) events.inc({ ...labels, outcome }, 0);
      }),
    targetStopped: (target) =>
      safely(() => {
        lastScanAt.delete(target);
        watchedAt.delete(target);
      }),
    lookupRequest: (target, outcome) => safely(() => lookups.inc({ ...labelsOf(target), outcome })),
    scanSucceeded: (target) => safely(() => lastScanAt.set(target, options.now())),
    scanFailed: () => undefined,
    events: (target, outcome, count) => safely(() => {
      if (count > 0) events.inc({ ...labelsOf(target), outcome }, count);
    }),
    slackMessage: (webhook, outcome) => safely(() => slack.inc({ webhook, outcome })),
    queueDepth: (webhook, depth) => safely(() => queue.set({ webhook }, depth)),
    alertSent: (kind) => safely(() => alerts.inc({ kind })),
  };
}
