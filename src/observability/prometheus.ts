import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { ALERT_KIND_NAMES } from '../alerts/alert-kinds';
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
 * - Labels are bounded (J.2 "Cardinality"): a region, a webhook NAME from the config (never its URL), an outcome
 *   from the closed unions of telemetry.ts, an alert kind from alert-kinds.ts. Every combination known at start
 *   is pre-initialised to 0, as Alertmanager does (J.3), so `rate()` and `increase()` see the first increment.
 * - Lag is computed at scrape time (a `collect()`, J.1) from the status board: now − scanned-up-to.
 */

export const METRIC_PREFIX = 'cloudtrail_slack_';

const LOOKUP_OUTCOMES: readonly LookupOutcome[] = ['ok', 'throttled', 'denied', 'error'];
const EVENT_OUTCOMES: readonly EventOutcome[] = ['read', 'posted', 'digested', 'muted', 'duplicate', 'undeliverable'];
const SLACK_OUTCOMES: readonly SlackOutcome[] = ['ok', 'rate_limited', 'refused', 'error'];
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];
const TARGET_STATES: readonly TargetState[] = ['ok', 'catching_up', 'failing', 'disabled'];

export interface PrometheusOptions {
  /** The configured regions: their series start at 0. Others (region discovery) appear when first reported. */
  regions: readonly string[];
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
  const registers = [registry];

  const lookups = new Counter({
    name: name('lookup_requests_total'),
    help: 'CloudTrail LookupEvents requests, by region and outcome (ok, throttled, denied, error).',
    labelNames: ['region', 'outcome'] as const,
    registers,
  });
  const events = new Counter({
    name: name('events_total'),
    help: 'Events by region and outcome: read (records returned), posted (delivered per webhook, digests included), digested (the posted that went in a digest), muted, duplicate (already delivered), undeliverable.',
    labelNames: ['region', 'outcome'] as const,
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
  const lastScan = new Gauge({
    name: name('last_successful_scan_timestamp_seconds'),
    help: 'Unix time of the last successful scan of a region (absent until one succeeds in this process).',
    labelNames: ['region'] as const,
    registers,
  });
  const watchedSince = new Gauge({
    name: name('watched_since_timestamp_seconds'),
    help: 'Unix time this process started watching a region (absent once it stops): what an alert on the last successful scan counts from before the first success.',
    labelNames: ['region'] as const,
    registers,
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
    help: 'How far a region trails now: now − the end of its last delivered window, in seconds.',
    labelNames: ['region'] as const,
    registers,
    collect() {
      this.reset();
      for (const target of options.board.view()) this.set({ region: target.region }, target.lagSeconds);
    },
  });
  new Gauge({
    name: name('region_state'),
    help: 'A region\'s state: 1 for the current one of ok, catching_up, failing, disabled; 0 for the others.',
    labelNames: ['region', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const target of options.board.view()) {
        for (const state of TARGET_STATES) this.set({ region: target.region, state }, target.state === state ? 1 : 0);
      }
    },
  });

  for (const region of options.regions) {
    for (const outcome of LOOKUP_OUTCOMES) lookups.inc({ region, outcome }, 0);
    for (const outcome of EVENT_OUTCOMES) events.inc({ region, outcome }, 0);
  }
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
  let account: string | undefined;

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
    targetStarted: (region) => safely(() => watchedSince.set({ region }, options.now() / 1000)),
    targetStopped: (region) =>
      safely(() => {
        lastScan.remove({ region });
        watchedSince.remove({ region });
      }),
    lookupRequest: (region, outcome) => safely(() => lookups.inc({ region, outcome })),
    scanSucceeded: (region) => safely(() => lastScan.set({ region }, options.now() / 1000)),
    scanFailed: () => undefined,
    events: (region, outcome, count) => safely(() => {
      if (count > 0) events.inc({ region, outcome }, count);
    }),
    slackMessage: (webhook, outcome) => safely(() => slack.inc({ webhook, outcome })),
    queueDepth: (webhook, depth) => safely(() => queue.set({ webhook }, depth)),
    alertSent: (kind) => safely(() => alerts.inc({ kind })),
  };
}
