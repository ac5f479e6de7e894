import { setMaxListeners } from 'node:events';
import type { Config } from '../config/types';
import { describeConfig } from '../config/describe';
import type { Clock } from '../lib/clock';
import type { Logger } from '../logging/logger';
import { scrubSecrets, knownSecretsOf } from '../alerts/scrub';
import { EXIT_FAILURE, EXIT_OK, isAbortError, toError } from '../lib/errors';
import type { LookupClient } from '../cloudtrail/client';
import { RegionHealth } from '../cloudtrail/region-health';
import { unknownRegions } from '../cloudtrail/known-regions';
import { reportUndeliverable } from '../cloudtrail/poll-failures';
import { createStateStore } from '../state/store';
import { createAlerter, type Alerter } from '../alerts/alerter';
import { StatusBoard } from '../observability/status-board';
import type { CallerIdentity } from '../aws/identity';
import { createIdentityCell, learnIdentity, type IdentityCell } from '../aws/learn-identity';
import type { TrailClient } from '../monitors/trail-client';
import { createConfiguredTrailMonitor } from '../monitors/trail-monitor-service';
import { createMonitorServices, type MonitorContext } from './monitors';
import type { WebhookQueue } from '../pipeline/webhook-queue';
import type { Service } from '../lifecycle/service';
import { CleanupStack } from '../lifecycle/cleanup-stack';
import { startServices, untilAborted } from '../lifecycle/start-services';
import { createPipeline, type Pipeline } from '../lifecycle/pipeline';
import { createTargetRunner } from '../lifecycle/target-runner';
import { createStateWriter } from '../lifecycle/state-writer';
import { createRegionDiscovery, discoveryOf } from '../lifecycle/region-discovery';
import type { TargetSet } from '../lifecycle/target-set';
import { createAccountStores } from '../targets/account-stores';
import { AccountDirectory } from '../targets/account-directory';
import { parseTargetKey } from '../targets/target';
import type { AwsCredentials } from '../aws/clients';
import type { AccountCredentials } from '../aws/account-credentials';
import { startAccounts, type ManyAccounts } from '../targets/many-accounts';
import { ownedTargetsOf, sharedFileProfile, shardPidFile } from '../targets/shard-files';
import { handleSignals, type SignalSource } from './signals';
import { holdPidFile } from './hold-pid-file';
import { prepareRun } from './prepare-run';
import { concludeRun } from './conclude-run';
import { reportFatal, type FatalReport } from './report-fatal';
import { createAlertRecovery, STABLE_AFTER_MS } from './recover-alerts';
import { createWebhookQueues } from './webhook-queues';
import { createObservability, type Observability } from '../observability/observability';
import type { Telemetry } from '../observability/telemetry';

export interface DaemonDeps {
  clock: Clock;
  log: Logger;
  proc: SignalSource;
  /** --dry-run output: one Slack payload per line. */
  writeOut(line: string): void;
  /**
   * Replaces the AWS SDK client (tests); default createLookupClient. `account`: with many accounts, the target's
   * account and its credentials (src/aws/account-credentials.ts); undefined for the single account.
   */
  createClient?(region: string, account?: { id: string; credentials: AwsCredentials }): LookupClient & { destroy?(): void };
  /** Replaces the trail monitor's AWS SDK client (tests); default createTrailClient. */
  createTrailClient?(region: string): TrailClient & { destroy?(): void };
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
  /** What /readyz, the status page, the stall alarm and the heartbeat read; default a new one on `clock`. */
  board?: StatusBoard;
  /** Told the daemon's observers once built (tests read the board and the registry). */
  observed?(observability: Observability): void;
  /** The monitor services (stall alarm, heartbeat); default createMonitorServices (src/daemon/monitors.ts). */
  monitors?: (ctx: MonitorContext) => Service[];
  /**
   * Asks STS who the credentials belong to (src/aws/identity.ts; run-command builds it with the profile and the
   * first region, tests with the STS simulator). Absent: the account stays unknown and nothing is asked.
   */
  whoAmI?(signal: AbortSignal): Promise<CallerIdentity>;
  /** Where the identity is kept once known, for whoever needs it (metrics); default a fresh cell. */
  identity?: IdentityCell;
  /**
   * More services (the HTTP server, the trail monitor, the stall alarm, the heartbeat), started before the
   * pipeline in this order and stopped after it in reverse order, within the shutdown budget.
   */
  services?(context: ServiceContext): Service[];
  /**
   * The regions enabled for the account (`-r all`): asked at start and every day; undefined polls the configured
   * list, as before. A failure keeps the last good list.
   */
  discoverRegions?(signal?: AbortSignal): Promise<string[]>;
  /**
   * Many accounts (config `accounts` or `organization`): each account's credentials; default built from the
   * config (base: config.profile or the default chain; STS signed for stsRegionFor(regions)).
   */
  accountCredentials?: AccountCredentials;
  /** STS GetCallerIdentity with an account's credentials (the start-up and retry check); default whoAmI. */
  whoAmIWith?(credentials: AwsCredentials, signal: AbortSignal): Promise<CallerIdentity>;
  /**
   * Config `organization`: the organisation's ACTIVE accounts (Organizations ListAccounts with the base
   * credentials, API-FACTS K.6); asked at start and hourly. Required when the config has `organization`.
   */
  listAccounts?(signal: AbortSignal): Promise<Array<{ id: string; name?: string }>>;
  /** Where the accounts' names are kept (config, organisation listing) for whoever names them; default a new one. */
  accountDirectory?: AccountDirectory;
}

/** What another service may use: the pipeline's queues and targets, the telemetry, the alerter, the config. */
export interface ServiceContext {
  config: Config;
  clock: Clock;
  log: Logger;
  telemetry: Telemetry;
  board: StatusBoard;
  identity: IdentityCell;
  alerter: Alerter;
  queues: ReadonlyMap<string, WebhookQueue>;
  targets: Pick<TargetSet, 'regions' | 'setRegions'>;
  /** The names of the accounts watched (config `accounts`, the organisation listing): "name (id)" in messages. */
  accounts: AccountDirectory;
}

/**
 * The composition root: builds the services (the extra ones from `deps.services`, region discovery with `-r all`,
 * and last the pipeline: webhook queues + one poller per region), starts them under the one stop, and stops them
 * in reverse order within `shutdownTimeoutSeconds` (src/lifecycle/). Resolves to the exit code: 0 after a clean
 * stop or a successful --once, 1 when a --once region failed, 77 on a fatal error (after the alert email), 78 for
 * a configuration error found late. Rejects with PidFileError, before anything started, when the pid file is held
 * or cannot be created.
 */
export async function runDaemon(config: Config, deps: DaemonDeps): Promise<number> {
  const { clock, log } = deps;
  const identity = deps.identity ?? createIdentityCell();
  // Many accounts (issue 10): config `accounts` or `organization`; without either, the single account as before.
  const many = config.accounts !== undefined || config.organization !== undefined;
  const directory = deps.accountDirectory ?? new AccountDirectory();
  // The daemon's one stop: a signal (handleSignals) or a service's fatal error aborts it.
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  // Alert work started from callbacks (Slack status, recoveries): awaited before we return, bounded by the send timeout.
  const pending = new Set<Promise<void>>();
  const track = (work: Promise<void>) => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };
  // The status board, /healthz's liveness and the Prometheus registry, behind one port; the HTTP endpoint if asked.
  const observability = createObservability(config, { now: () => clock.now(), log, extra: deps.telemetry, board: deps.board, accounts: directory });
  const { telemetry, board } = observability;
  identity.onKnown((known) => observability.setIdentity(known.account));
  deps.observed?.(observability);
  const innerAlerter = deps.alerter ?? createAlerter({
    identity: () => identity.current(),
    email: config.email,
    stateDir: config.stateDir,
    // Several shards share the state folder: each keeps its own cooldown file (src/targets/shard-files.ts).
    profile: sharedFileProfile(config),
    clock,
    log,
    cooldownMs: config.alertCooldownMinutes * 60_000,
    secrets: knownSecretsOf(config),
    telemetry,
    accounts: directory,
  });
  // Every alert ends in one place: the evidence below (started, lookups, state, Slack, uptime) closes them.
  // The regions polled (after discovery, when asked for): an alert of a region no longer polled is closed.
  let polled: readonly string[] = config.regions;
  let accounts: ManyAccounts | undefined;
  const recovery = createAlertRecovery(innerAlerter, { regions: () => polled, accounts: () => accounts?.supervisor.accountIds() ?? [], track });
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
  const pidFile = shardPidFile(config.pidFile, config.shard);
  const fatalReport: FatalReport = {
    once: config.once,
    tell: (line) => deps.reportFailure?.(scrubSecrets(line, knownSecretsOf(config))),
  };
  try {
    // Removed by the process 'exit' event, never before (hold-pid-file.ts). Each shard its own (shard-files.ts).
    await holdPidFile(pidFile, { pid: deps.pid ?? process.pid, log, proc: deps.proc });
  } catch (error) {
    removeSignals();
    throw error;
  }
  const cleanup = new CleanupStack(log);
  const uptime = new AbortController();
  // The first fatal error of any service (a poller's included): reported once everything has stopped.
  let fatal: unknown;
  const onFatal = (error: unknown) => {
    fatal ??= error;
    if (!stop.signal.aborted) stop.abort(error); // a fatal error in one service stops them all
  };
  try {
    const decide = await prepareRun(config, log, directory);
    // Who am I, before "ready": bad credentials stop the start (77); STS unreachable: the account stays unknown
    // for now and is asked again in the background until the daemon stops.
    if (deps.whoAmI !== undefined) {
      const ask = deps.whoAmI;
      const learned = await learnIdentity({ whoAmI: (signal) => ask(signal), cell: identity, clock, log }, AbortSignal.any([stop.signal, uptime.signal]))
        .catch((error: unknown): { retrying?: Promise<void> } => {
          // Many accounts: the base credentials may serve none of them (every account by its own profile); each
          // account is checked below, and only all of them unusable stops the start.
          if (!many || stop.signal.aborted) throw error;
          log.warn({ err: error }, 'the base credentials are unusable; checking each account');
          return {};
        });
      if (learned.retrying !== undefined) track(learned.retrying);
    }
    // Bound before "ready" and before the accounts are checked (a hundred accounts take a while: /healthz answers
    // meanwhile): an address in use is a ConfigError (one line, exit 78), never a half-started daemon.
    // Stopped last (pushed first on the cleanup stack): /metrics and /healthz answer until the very end.
    if (observability.http) {
      const http = observability.http;
      await http.listen();
      const httpStop = new AbortController();
      const served = http.run(httpStop.signal);
      cleanup.push({
        name: 'stop http',
        run: async () => {
          httpStop.abort();
          await served;
        },
      });
    }
    // Many accounts: each checked once before "ready"; every one unusable → FatalError (77), else the bad ones pause.
    if (many) {
      // One listener per account check on this signal: a hundred accounts must not warn MaxListenersExceeded.
      const signal = AbortSignal.any([stop.signal, uptime.signal]);
      setMaxListeners(0, signal);
      accounts = await startAccounts(config, { ...deps, telemetry, directory, alerter, track, signal });
    }
    // From here on the daemon runs: tests, the -d parent and pm2's wait_ready rely on this line.
    // Many accounts: the targets this shard polls (and the accounts watched), not the global regions' count.
    const size = accounts === undefined
      ? { regions: config.regions.length }
      : { targets: accounts.supervisor.targets().length, accounts: accounts.supervisor.accountIds().length };
    log.info({ ...size, pidFile }, 'ready');
    deps.notifyReady?.();
    // The store checks the profile as a file name part: the last piece of configuration to pass.
    const store = createStateStore({ dir: config.stateDir, profile: config.stateProfile, clock, log, readOnly: config.dryRun });
    // Many accounts: one store per account, its ID as the file names' profile part (`.<id>.<region>.cloudtrail.state`).
    const storeFor = createAccountStores(store, { dir: config.stateDir, clock, log, readOnly: config.dryRun });
    await recovery.start();
    await accounts?.supervisor.alertPaused();
    // A run that outlives a crash loop's restarts ends a crash alert (not the first save: a crash loop saves too).
    void clock.sleep(STABLE_AFTER_MS, uptime.signal).then(() => recovery.observe({ type: 'stable' }), () => undefined);
    const health = new RegionHealth(config.regions);
    const runner = createTargetRunner({
      config, clock, log, telemetry, alerter, recovery, health, storeFor, decide, createClient: deps.createClient,
      ...(accounts === undefined ? {} : { credentialsFor: accounts.credentialsFor, accounts: accounts.supervisor }),
      writeState: createStateWriter({ dryRun: config.dryRun, alerter, recovery }),
      get queues() {
        return pipeline.queues;
      },
    });
    cleanup.push({ name: 'close cloudtrail clients', run: () => runner.close() });
    // `-r all` asks which regions the daemon's own account has enabled: it says nothing of the other accounts.
    if (many && config.discoverRegions) log.warn({ regions: config.regions }, 'region discovery is for a single account; polling these regions in every account (give an account its own `regions`)');
    const discover = many ? undefined : discoveryOf(config, deps, log);
    const pipeline: Pipeline = createPipeline({
      // A paused account's targets stay on the board as paused once their pollers stop (not gone from it).
      log, telemetry: accounts?.supervisor.keepPausedShown(telemetry) ?? telemetry, health, regions: config.regions, discoverRegions: discover, runTarget: runner.run, onFatal,
      createQueues: (signal) => createWebhookQueues(config, {
        clock, log, fetch: deps.fetch, writeOut: deps.writeOut, signal, recovery, track, telemetry,
        // Many accounts: the daemon's own account is not the events' (each record names its own recipientAccountId).
        account: () => (many ? undefined : identity.current()?.account),
        accounts: directory,
        recordUndeliverable: async (item, error) => {
          const { event } = item;
          const entry = { id: event.id, name: event.name, time: event.time, error, at: clock.now() };
          const { account, region } = parseTargetKey(item.target);
          if (!config.dryRun) await storeFor(account).recordUndeliverable(region, entry);
          await reportUndeliverable({ region: item.target, alerter }, event.id, error, item.webhook);
        },
      }),
      targetsOf: (regions) => accounts?.supervisor.targets() ?? ownedTargetsOf(config.shard, regions),
      onStart: (keys) => {
        polled = keys;
        accounts?.supervisor.attach((targets) => pipeline.targets.setTargets(targets));
        if (many || config.shard.count > 1) {
          log.info({ shard: `${config.shard.index}/${config.shard.count}`, targets: keys.length, accounts: accounts?.supervisor.accountIds().length }, 'shard owns its targets');
        }
        if (!config.dryRun) recovery.observe({ type: 'started' });
      },
    });
    const context: ServiceContext = { config, clock, log, telemetry, board, identity, alerter, queues: pipeline.queues, targets: pipeline.targets, accounts: directory };
    const queueFor = (name: string) => pipeline.queues.get(name);
    // Issue 9 items 5 and 6: the trail monitor, the stall alarm and the heartbeat (none under --once).
    // Organisation-wide monitors run on shard 0 only (issue 10 item 5): one alert per defect, not one per shard.
    const trailMonitor = config.shard.index === 0
      ? createConfiguredTrailMonitor(config, { clock, log, recovery, queues: pipeline.queues, createClient: deps.createTrailClient })
      : undefined;
    const monitors = (deps.monitors ?? createMonitorServices)({ board, recovery, clock, log, fetch: deps.fetch, queueFor, config: { ...config, stateProfile: sharedFileProfile(config) } });
    // Started in this order, stopped in reverse: the pipeline (last) stops first, within the shutdown budget.
    const services = [
      ...(deps.services?.(context) ?? []),
      ...(trailMonitor ? [trailMonitor] : []),
      ...monitors,
      ...(discover && !config.once ? [createRegionDiscovery({ discover, apply: (r) => pipeline.targets.setTargets(ownedTargetsOf(config.shard, r), 'regions'), clock, log })] : []),
      ...(accounts?.discovery && !config.once ? [accounts.discovery] : []),
      pipeline.service,
    ];
    const started = startServices(services, { log, cleanup, onFatal });
    await Promise.race([started[started.length - 1]!.done, untilAborted(stop.signal)]);
    await cleanup.drain(config.shutdownTimeoutSeconds * 1000);
    // --once: a paused account's regions were never polled; the pass failed for them (exit 1).
    const paused = config.once ? accounts?.pausedResults() ?? [] : [];
    const results = [...pipeline.results(), ...paused.map((value) => ({ status: 'fulfilled' as const, value }))];
    return await concludeRun(config, results, fatal, stop.signal, recovery, log, fatalReport);
  } catch (error) {
    await cleanup.drain(config.shutdownTimeoutSeconds * 1000);
    // A stop during start-up (pm2 stop, systemctl restart while STS is slow): a clean stop, never a failure.
    if (stop.signal.aborted && isAbortError(error)) {
      log.info('stopped before the first poll');
      return EXIT_OK;
    }
    // Setup failed (e.g. an unreadable state folder): report it like a fatal poller error.
    return await reportFatal(toError(error), alerter, log, fatalReport);
  } finally {
    uptime.abort();
    await Promise.allSettled([...pending]);
    // Last: until here a second signal or the shutdown watchdog can still cut a slow email short.
    removeSignals();
  }
}
