import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createScrubber, knownSecretsOf } from '../alerts/scrub';
import type { Config } from '../config/types';
import type { Logger } from '../logging/logger';
import type { AccountDirectory } from '../targets/account-directory';
import { createHttpServer, type HttpServerService } from './http-server';
import { Liveness } from './liveness';
import { createPrometheusTelemetry, type PrometheusTelemetry } from './prometheus';
import { StatusBoard } from './status-board';
import { fanOut, type Telemetry } from './telemetry';

/**
 * The daemon's observers, built once by the composition root: the status board, the liveness tracker and the
 * Prometheus registry behind one Telemetry port, and the HTTP endpoint when the config asks for it.
 */
export interface Observability {
  board: StatusBoard;
  prometheus: PrometheusTelemetry;
  /** Every sink (board, liveness, Prometheus, plus `extra`): what the pollers, queues and alerter report to. */
  telemetry: Telemetry;
  /** undefined when `http.listen` is not set (the default). */
  http: HttpServerService | undefined;
  /**
   * The AWS account once known (STS GetCallerIdentity): cloudtrail_slack_identity_info, the status page, and the
   * account of the targets whose key is a region alone (their `account` label, their row).
   */
  setIdentity(account: string): void;
}

/**
 * /readyz: a target is ready when it scanned successfully within 3 poll intervals plus one settle-scan interval:
 * a caught-up region scans once per poll interval, so this allows two missed polls (a retry or two after a
 * throttle) plus a full settle scan that takes long. Default 3 × 60 s + 300 s = 8 min.
 */
export function readyMaxAgeMs(config: Pick<Config, 'pollIntervalSeconds' | 'settleScanIntervalSeconds'>): number {
  return (3 * config.pollIntervalSeconds + config.settleScanIntervalSeconds) * 1000;
}

/**
 * /healthz: the loops are stuck when nothing turned (liveness.ts) for 3 poll intervals plus 15 minutes: longer
 * than a poller's longest backoff (5 min) and a Slack request's timeout, so only a real hang trips it.
 */
export function stuckAfterMs(config: Pick<Config, 'pollIntervalSeconds'>): number {
  return (3 * config.pollIntervalSeconds + 15 * 60) * 1000;
}

/**
 * `deps.accounts`: the names of the accounts (the run's one AccountDirectory), read by the status board for its
 * rows, the status page and /readyz; default none known (accounts named by ID). `deps.board`: a board made by the
 * caller (tests), which then names accounts with its own directory.
 */
export function createObservability(
  config: Config,
  deps: { now(): number; log: Logger; extra?: Telemetry; board?: StatusBoard; accounts?: AccountDirectory },
): Observability {
  let account: string | undefined;
  const board = deps.board ?? new StatusBoard(deps.now, deps.accounts);
  const liveness = new Liveness(deps.now, stuckAfterMs(config));
  const webhooks = Object.keys(config.slack.webhooks);
  const version = packageVersion();
  const prometheus = createPrometheusTelemetry({
    webhooks: webhooks.length > 0 ? webhooks : ['default'],
    version,
    board,
    now: deps.now,
    // Only where something can read them: the event-loop monitor and GC observer cost a little even when idle.
    defaultMetrics: config.http.listen !== undefined,
  });
  const telemetry = fanOut(board, liveness, prometheus, ...(deps.extra ? [deps.extra] : []));
  const listen = config.http.listen;
  const http =
    listen === undefined
      ? undefined
      : createHttpServer({
          address: listen,
          log: deps.log.child({ component: 'http' }),
          metrics: prometheus,
          board,
          liveness,
          readyMaxAgeMs: readyMaxAgeMs(config),
          now: deps.now,
          scrub: createScrubber(knownSecretsOf(config)),
          version,
          account: () => account,
          accounts: deps.accounts,
        });
  const setIdentity = (known: string) => {
    account = known;
    board.setIdentity(known);
    prometheus.setIdentity(known);
  };
  return { board, prometheus, telemetry, http, setIdentity };
}

/** package.json's version, found by walking up from here (src/observability under tsx, dist/observability built). */
export function packageVersion(start = __dirname): string {
  for (let dir = start; dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    try {
      const version = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
      return typeof version === 'string' ? version : 'unknown';
    } catch {
      return 'unknown';
    }
  }
  return 'unknown';
}
