import { setMaxListeners } from 'node:events';
import type { Config } from '../config/types';
import { describeConfig } from '../config/load';
import type { Clock } from '../lib/clock';
import type { Logger } from '../logging/logger';
import { scrubSecrets } from '../alerts/scrub';
import { EXIT_FAILURE, EXIT_OK, isAbortError, toError } from '../lib/errors';
import { createRateLimiter } from '../lib/rate-limiter';
import { createLookupClient, type LookupClient } from '../cloudtrail/client';
import { runRegionPoller, type PollerResult } from '../cloudtrail/poller';
import { RegionHealth } from '../cloudtrail/region-health';
import { unknownRegions } from '../cloudtrail/known-regions';
import { DEFAULT_MAX_WINDOW_MS, DEFAULT_QUICK_OVERLAP_MS, type WindowOptions } from '../cloudtrail/window';
import { reportUndeliverable } from '../cloudtrail/poll-failures';
import { loadRuleSet } from '../rules/load-rule-set';
import { buildDecider } from '../rules/build-decider';
import { createStateStore, StateWriteError } from '../state/store';
import { removeStaleTempFiles } from '../state/temp-files';
import { loadRegionState } from './load-region-state';
import { createAlerter, type Alerter } from '../alerts/alerter';
import { knownSecretsOf } from '../alerts/scrub';
import { handleSignals, type SignalSource } from './signals';
import { holdPidFile } from './hold-pid-file';
import { checkStateDir } from './check-state-dir';
import { reportFatal, type FatalReport } from './report-fatal';
import { createAlertRecovery, observeLookups, STABLE_AFTER_MS, type AlertRecovery } from './recover-alerts';
import { createWebhookQueues } from './webhook-queues';
import { createObservability, type Observability } from '../observability/observability';
import type { Telemetry } from '../observability/telemetry';

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
  /** Second stop signal, or the graceful stop outlived config.shutdownTimeoutSeconds: leave now. */
  forceExit?(code: number): void;
  /** Written to the pid file; default process.pid. */
  pid?: number;
  /** Called once the daemon runs: pid file written, signal handlers installed (pm2 wait_ready, the -d parent). */
  notifyReady?(): void;
  /**
   * Told, once, why the daemon stopped on a fatal error: one human line (what is wrong, what to do) for stderr,
   * where a terminal, pm2's error log or a -d parent shows it. The JSON log keeps the details.
   */
  reportFailure?(line: string): void;
  /** One more telemetry sink, next to the daemon's own status board and Prometheus registry (tests). */
  telemetry?: Telemetry;
  /** Told the daemon's observers once built (tests read the board; the identity helper calls setIdentity). */
  observed?(observability: Observability): void;
}

/**
 * The composition root's run loop: one poller per region, all under one AbortController. Resolves to the exit
 * code: 0 after a clean stop or a successful --once, 1 when a --once region failed, 77 on a fatal error (after
 * the alert email). Rejects with PidFileError, before anything started, when the pid file is held or cannot be
 * created.
 */
export async function runDaemon(config: Config, deps: DaemonDeps): Promise<number> {
  const { clock, log } = deps;
  const stop = new AbortController();
  // Every poller, sleep and request listens on this one signal: 17 regions exceed Node's default of 10.
  setMaxListeners(0, stop.signal);
  // Alert work started from callbacks (Slack status, recoveries): awaited before we return, bounded by the send timeout.
  const pending = new Set<Promise<void>>();
  const track = (work: Promise<void>) => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };
  // The status board, /healthz's liveness and the Prometheus registry, behind one port; the HTTP endpoint if asked.
  const observability = createObservability(config, { now: () => clock.now(), log, extra: deps.telemetry });
  const { telemetry } = observability;
  deps.observed?.(observability);
  const innerAlerter = deps.alerter ?? createAlerter({
    email: config.email,
    stateDir: config.stateDir,
    profile: config.stateProfile,
    clock,
    log,
    cooldownMs: config.alertCooldownMinutes * 60_000,
    secrets: knownSecretsOf(config),
    telemetry,
  });
  // Every alert ends in one place: the evidence below (started, lookups, state, Slack, uptime) closes them.
  const recovery = createAlertRecovery(innerAlerter, { regions: config.regions, track });
  const alerter = recovery.alerter;
  log.info({ config: describeConfig(config) }, 'starting');
  // Said once, as a warning only: AWS opens new regions, which an older SDK does not list yet.
  const unknown = unknownRegions(config.regions);
  if (unknown.length > 0) {
    log.warn({ regions: unknown }, 'region names the AWS SDK does not know: check them for typos (a region newer than the SDK is fine)');
  }
  // Handlers first: a stop signal during start-up is a clean stop (pollers see the abort), never the default
  // action that would leave the pid file behind.
  const removeSignals = handleSignals(deps.proc, {
    stop,
    log,
    reopenLogs: deps.reopenLogs,
    shutdownTimeoutMs: config.shutdownTimeoutSeconds * 1000,
    force: () => (deps.forceExit ?? ((code: number) => process.exit(code)))(EXIT_FAILURE),
  });
  const fatalReport: FatalReport = {
    once: config.once,
    tell: (line) => deps.reportFailure?.(scrubSecrets(line, knownSecretsOf(config))),
  };
  try {
    // Removed by the process 'exit' event, never before (hold-pid-file.ts).
    await holdPidFile(config.pidFile, { pid: deps.pid ?? process.pid, log, proc: deps.proc });
  } catch (error) {
    removeSignals();
    throw error;
  }
  const clients: Array<LookupClient & { destroy?(): void }> = [];
  const uptime = new AbortController();
  let served: Promise<void> | undefined;
  try {
    // A state folder we cannot use fails the start (a -d parent reports it) instead of failing after "ready".
    await checkStateDir(config.stateDir, config.stateProfile, !config.dryRun);
    // Rules compile once, before "ready": a refused rule is one line naming its file; the others still load.
    const ruleSet = await loadRuleSet(config.rules);
    for (const refused of ruleSet.errors) log.error({ file: refused.file, ruleId: refused.id, reason: refused.error }, 'rule refused');
    const decide = buildDecider(config, ruleSet.index, (error: unknown, event: { id: string; name: string }) =>
      log.error({ err: error, eventId: event.id, eventName: event.name }, 'the rules failed on an event; it counts as matching none'),
    );
    // Before anything of ours writes there: what a kill -9 mid-write left behind (never a live process's file).
    if (!config.dryRun) await removeStaleTempFiles({ dir: config.stateDir, profile: config.stateProfile, pid: process.pid, log });
    // Bound before "ready": an address in use is a ConfigError (one line, exit 78), never a half-started daemon.
    if (observability.http) {
      await observability.http.listen();
      served = observability.http.run(uptime.signal); // closed in `finally`, after the pollers stopped
    }
    // From here on the daemon runs: tests, the -d parent and pm2's wait_ready rely on this line.
    log.info({ regions: config.regions.length, pidFile: config.pidFile }, 'ready');
    deps.notifyReady?.();
    // The store checks the profile as a file name part: the last piece of configuration to pass.
    const store = createStateStore({ dir: config.stateDir, profile: config.stateProfile, clock, log, readOnly: config.dryRun });
    await recovery.start();
    if (!config.dryRun) recovery.observe({ type: 'started' });
    // A run that outlives a crash loop's restarts ends a crash alert (not the first save: a crash loop saves too).
    void clock.sleep(STABLE_AFTER_MS, uptime.signal).then(() => recovery.observe({ type: 'stable' }), () => undefined);
    const health = new RegionHealth(config.regions);
    const window: WindowOptions = {
      settleMs: config.settleMinutes * 60_000,
      settleScanIntervalMs: config.settleScanIntervalSeconds * 1000,
      quickOverlapMs: Math.min(DEFAULT_QUICK_OVERLAP_MS, config.settleMinutes * 60_000),
      maxWindowMs: DEFAULT_MAX_WINDOW_MS,
    };
    const failingSaves = new Set<string>();
    /** A state write (snapshot or commit): its success and failure are evidence, and the first failure alerts. */
    const writeState = async (region: string, write: () => Promise<void>) => {
      if (config.dryRun) return; // --dry-run never moves an offset nor records a delivery
      try {
        await write();
        failingSaves.delete(region);
        recovery.observe({ type: 'state-save', region });
      } catch (error) {
        if (error instanceof StateWriteError) {
          recovery.observe({ type: 'state-save-failed', region });
          // One alert when writes start failing anywhere; the first write after all of them work again ends it.
          const first = failingSaves.size === 0;
          failingSaves.add(region);
          if (first) await alerter.alert({ kind: 'state-unwritable', reason: error.message, action: `make ${config.stateDir} writable by this user; until then delivered events may be posted again after a restart` });
        }
        throw error;
      }
    };
    const queues = createWebhookQueues(config, {
      clock,
      log,
      fetch: deps.fetch,
      writeOut: deps.writeOut,
      signal: stop.signal,
      recovery,
      track,
      telemetry,
      recordUndeliverable: async (item, error) => {
        const { event } = item;
        const entry = { id: event.id, name: event.name, time: event.time, error, at: clock.now() };
        if (!config.dryRun) await store.recordUndeliverable(item.target, entry);
        await reportUndeliverable({ region: item.target, alerter }, event.id, error, item.webhook);
      },
    });

    const pollers = config.regions.map((region) => {
      const client = deps.createClient?.(region) ?? createLookupClient({ region, profile: config.profile, endpoint: config.cloudtrailEndpoint });
      clients.push(client);
      const lookups = observeLookups(client, () => recovery.observe({ type: 'lookup', region }));
      const regionLog = log.child({ region });
      const run = async (): Promise<PollerResult> => {
        // A state file this region cannot use stops only this region (and says what to do with it).
        const start = await loadRegionState(
          { region, store, alerter, clock, log: regionLog, once: config.once, loaded: () => recovery.observe({ type: 'state-load', region }),
            options: { initialLookbackMinutes: config.initialLookbackMinutes, settleMinutes: config.settleMinutes } },
          stop.signal,
        );
        if ('failed' in start) return { region, ok: false, posted: 0, printed: 0, requests: 0, error: start.failed };
        if ('stopped' in start) return { region, ok: true, posted: 0, printed: 0, requests: 0 };
        return runRegionPoller(
          {
            region,
            clock,
            log: regionLog,
            client: lookups,
            limiter: createRateLimiter({ perSecond: config.lookupRequestsPerSecond, clock }),
            health,
            alerter,
            loadState: async () => start.state,
            saveState: (state) => writeState(region, () => store.save(region, state)),
            decide,
            queueFor: (name) => queues.get(name),
            commit: (delta) => writeState(region, () => store.commit(region, delta)),
            now: () => clock.now(),
            window,
            pollIntervalMs: config.pollIntervalSeconds * 1000,
            alertAfterMs: config.alertAfterMinutes * 60_000,
            once: config.once,
            telemetry,
          },
          stop.signal,
        );
      };
      return run().catch((error: unknown) => {
        if (!isAbortError(error)) stop.abort(error); // a fatal error in one poller stops them all
        throw error;
      });
    });
    // allSettled: every poller finishes its current step (and saves) before we decide the exit code.
    const results = await Promise.allSettled(pollers);
    return await concludeRun(config, results, stop.signal, recovery, log, fatalReport);
  } catch (error) {
    // Setup failed (e.g. an unreadable state folder): report it like a fatal poller error.
    return await reportFatal(toError(error), alerter, log, fatalReport);
  } finally {
    uptime.abort();
    await served?.catch((error: unknown) => log.error({ err: error }, 'http endpoint failed to close'));
    for (const client of clients) client.destroy?.();
    await Promise.allSettled([...pending]);
    // Last: until here a second signal or the shutdown watchdog can still cut a slow email short.
    removeSignals();
  }
}

async function concludeRun(
  config: Config,
  results: PromiseSettledResult<PollerResult>[],
  signal: AbortSignal,
  recovery: AlertRecovery,
  log: Logger,
  report: FatalReport,
): Promise<number> {
  const fatal = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !isAbortError(r.reason));
  if (fatal) return reportFatal(toError(fatal.reason), recovery.alerter, log, report);
  const done = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = done.filter((r) => !r.ok);
  const posted = done.reduce((sum, r) => sum + r.posted, 0);
  // --dry-run posts nothing: its count is of payloads printed.
  const counts = config.dryRun ? { posted, printed: done.reduce((sum, r) => sum + r.printed, 0) } : { posted };
  const requests = done.reduce((sum, r) => sum + r.requests, 0);
  if (config.once && !signal.aborted) {
    for (const r of failed) log.error({ region: r.region, reason: r.error }, 'region failed');
    log.info({ ...counts, requests, failedRegions: failed.map((r) => r.region) }, 'pass complete');
    if (failed.length > 0) return EXIT_FAILURE;
    recovery.observe({ type: 'stable' }); // a whole pass without a crash
    return EXIT_OK;
  }
  log.info({ ...counts, requests }, 'stopped');
  return EXIT_OK;
}
