import type { Config } from '../config/types';
import { describeConfig } from '../config/load';
import type { Clock } from '../lib/clock';
import type { Logger } from '../logging/logger';
import { EXIT_FAILURE, EXIT_FATAL, EXIT_OK, FatalError, isAbortError, toError } from '../lib/errors';
import { createRateLimiter } from '../lib/rate-limiter';
import { createLookupClient, type LookupClient } from '../cloudtrail/client';
import { runRegionPoller, type PollerResult } from '../cloudtrail/poller';
import { RegionHealth } from '../cloudtrail/region-health';
import { DEFAULT_MAX_WINDOW_MS, DEFAULT_QUICK_OVERLAP_MS, type WindowOptions } from '../cloudtrail/window';
import { createEventFilter } from '../rules/filter';
import { formatEventMessage, formatPlainMessage } from '../slack/format';
import { createDryRunSender, createSlackSender, type SlackSender } from '../slack/sender';
import { createStateStore, StateWriteError } from '../state/store';
import { createAlerter, type Alerter } from '../alerts/alerter';
import { handleSignals, type SignalSource } from './signals';

export interface DaemonDeps {
  clock: Clock;
  log: Logger;
  proc: SignalSource;
  /** --dry-run output: one Slack payload per line. */
  writeOut(line: string): void;
  /** Replaces the AWS SDK client (tests); default createLookupClient. */
  createClient?(region: string): LookupClient & { destroy?(): void };
  fetch?: typeof fetch;
  alerter?: Alerter;
  reopenLogs?(): void;
  /** Second stop signal: leave now. */
  forceExit?(code: number): void;
}

/**
 * The composition root's run loop: one poller per region, all under one AbortController. Resolves to the exit
 * code: 0 after a clean stop or a successful --once, 1 when a --once region failed, 77 on a fatal error (after
 * the alert email).
 */
export async function runDaemon(config: Config, deps: DaemonDeps): Promise<number> {
  const { clock, log } = deps;
  const stop = new AbortController();
  const alerter = deps.alerter ?? createAlerter({
    email: config.email,
    stateDir: config.stateDir,
    profile: config.stateProfile,
    clock,
    log,
    cooldownMs: config.alertCooldownMinutes * 60_000,
    secrets: [config.slack.webhookUrl],
  });
  const removeSignals = handleSignals(deps.proc, {
    stop,
    log,
    reopenLogs: deps.reopenLogs,
    force: () => (deps.forceExit ?? ((code: number) => process.exit(code)))(EXIT_FAILURE),
  });
  const clients: Array<LookupClient & { destroy?(): void }> = [];
  try {
    log.info({ config: describeConfig(config) }, 'starting');
    const store = createStateStore({ dir: config.stateDir, profile: config.stateProfile, clock, log });
    const sender = createSender(config, deps, alerter);
    const filter = createEventFilter(config.exclude);
    const health = new RegionHealth(config.regions);
    const window: WindowOptions = {
      settleMs: config.settleMinutes * 60_000,
      settleScanIntervalMs: config.settleScanIntervalSeconds * 1000,
      quickOverlapMs: Math.min(DEFAULT_QUICK_OVERLAP_MS, config.settleMinutes * 60_000),
      maxWindowMs: DEFAULT_MAX_WINDOW_MS,
    };
    let stateAlerted = false;
    const saveState = async (region: string, state: Parameters<typeof store.save>[1]) => {
      if (config.dryRun) return; // --dry-run never moves an offset
      try {
        await store.save(region, state);
        if (stateAlerted) {
          stateAlerted = false;
          await alerter.recovered('state-unwritable', undefined, 'state files are written again');
        }
      } catch (error) {
        if (error instanceof StateWriteError && !stateAlerted) {
          stateAlerted = true;
          await alerter.alert({ kind: 'state-unwritable', reason: error.message, action: `make ${config.stateDir} writable by this user; until then delivered events may be posted again after a restart` });
        }
        throw error;
      }
    };

    const pollers = config.regions.map((region) => {
      const client = deps.createClient?.(region) ?? createLookupClient({ region, profile: config.profile, endpoint: config.cloudtrailEndpoint });
      clients.push(client);
      const regionLog = log.child({ region });
      return runRegionPoller(
        {
          region,
          clock,
          log: regionLog,
          client,
          limiter: createRateLimiter({ perSecond: config.lookupRequestsPerSecond, clock }),
          health,
          alerter,
          loadState: async () => (await store.load(region, { initialLookbackMinutes: config.initialLookbackMinutes })).state,
          saveState: (state) => saveState(region, state),
          recordUndeliverable: (entry) => (config.dryRun ? Promise.resolve() : store.recordUndeliverable(region, entry)),
          filter,
          format: (event) => formatEventMessage(event),
          formatPlain: formatPlainMessage,
          send: (message, signal) => sender.send(message, signal),
          now: () => clock.now(),
          window,
          pollIntervalMs: config.pollIntervalSeconds * 1000,
          alertAfterMs: config.alertAfterMinutes * 60_000,
          once: config.once,
          profile: config.stateProfile,
        },
        stop.signal,
      ).catch((error: unknown) => {
        if (!isAbortError(error)) stop.abort(error); // a fatal error in one poller stops them all
        throw error;
      });
    });
    // allSettled: every poller finishes its current step (and saves) before we decide the exit code.
    const results = await Promise.allSettled(pollers);
    return await concludeRun(config, results, stop.signal, alerter, log);
  } catch (error) {
    // Setup failed (e.g. an unreadable state folder): report it like a fatal poller error.
    return await reportFatal(toError(error), alerter, log);
  } finally {
    removeSignals();
    for (const client of clients) client.destroy?.();
  }
}

function createSender(config: Config, deps: DaemonDeps, alerter: Alerter): SlackSender {
  if (config.dryRun || !config.slack.webhookUrl) return createDryRunSender((line) => deps.writeOut(line));
  return createSlackSender({
    webhookUrl: config.slack.webhookUrl,
    clock: deps.clock,
    log: deps.log.child({ component: 'slack' }),
    fetch: deps.fetch,
    messagesPerSecond: config.slackMessagesPerSecond,
    onRefused: config.once ? 'throw' : 'wait',
    onStatusChange: (status) => {
      if (status.healthy) void alerter.recovered('slack-refused', undefined, 'Slack accepts the webhook again');
      else
        void alerter.alert({
          kind: 'slack-refused',
          reason: `Slack refused the webhook: ${status.reason ?? 'unknown'}`,
          action: 'check that the incoming webhook still exists and its channel is not archived; posting resumes on its own, nothing is lost meanwhile',
        });
    },
  });
}

async function concludeRun(
  config: Config,
  results: PromiseSettledResult<PollerResult>[],
  signal: AbortSignal,
  alerter: Alerter,
  log: Logger,
): Promise<number> {
  const fatal = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !isAbortError(r.reason));
  if (fatal) return reportFatal(toError(fatal.reason), alerter, log);
  const done = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = done.filter((r) => !r.ok);
  const posted = done.reduce((sum, r) => sum + r.posted, 0);
  const requests = done.reduce((sum, r) => sum + r.requests, 0);
  if (signal.aborted) {
    log.info({ posted, requests }, 'stopped');
    return EXIT_OK;
  }
  if (config.once) {
    for (const r of failed) log.error({ region: r.region, reason: r.error }, 'region failed');
    log.info({ posted, requests, failedRegions: failed.map((r) => r.region) }, 'pass complete');
    return failed.length === 0 ? EXIT_OK : EXIT_FAILURE;
  }
  log.info({ posted, requests }, 'stopped');
  return EXIT_OK;
}

async function reportFatal(error: Error, alerter: Alerter, log: Logger): Promise<number> {
  const kind = error instanceof FatalError ? error.kind : 'fatal';
  log.fatal({ err: error, errorKind: kind }, 'fatal error; stopping');
  await alerter.alert({
    kind,
    reason: error.message,
    action: error instanceof FatalError ? 'fix the cause above, then restart the daemon' : 'read the daemon log; it stopped and pm2 will restart it',
  });
  return error instanceof FatalError ? EXIT_FATAL : EXIT_FAILURE;
}

