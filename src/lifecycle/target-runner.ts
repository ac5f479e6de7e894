import type { Config } from '../config/types';
import type { Clock } from '../lib/clock';
import type { Logger } from '../logging/logger';
import type { Alerter } from '../alerts/alerter';
import type { Telemetry } from '../observability/telemetry';
import type { AwsCredentials } from '../aws/clients';
import { createRateLimiter } from '../lib/rate-limiter';
import { createLookupClient, type LookupClient } from '../cloudtrail/client';
import { runTargetPoller, type PollerResult } from '../cloudtrail/poller';
import type { RegionHealth } from '../cloudtrail/region-health';
import { DEFAULT_MAX_WINDOW_MS, DEFAULT_QUICK_OVERLAP_MS, type WindowOptions } from '../cloudtrail/window';
import type { ScanDeps } from '../pipeline/deliver-scan';
import type { WebhookQueue } from '../pipeline/webhook-queue';
import type { StateStore } from '../state/store';
import type { Target } from '../targets/target';
import { loadRegionState } from '../daemon/load-region-state';
import { observeLookups, type AlertRecovery } from '../daemon/recover-alerts';
import type { StateWriter } from './state-writer';

export type ClosableClient = LookupClient & { destroy?(): void };

/** An account of many (issue 10), as a target's poller needs it. */
export interface TargetAccount {
  id: string;
  /** Shared by every regional client of the account (src/aws/account-credentials.ts). */
  credentials: AwsCredentials;
}

/** What the account supervisor (src/targets/account-supervisor.ts) hears from the pollers. */
export interface AccountSignals {
  /** Told the account's credentials or permissions fail in all of its regions; it pauses the account. */
  unusable(account: string, failure: { kind: string; reason: string; error: unknown }): Promise<void>;
  /** Told LookupEvents answered in one of the account's regions. */
  answered(account: string): void;
}

export interface TargetRunnerDeps {
  config: Config;
  clock: Clock;
  log: Logger;
  /** Where the pollers report (the poller says targetStarted once its state is loaded; a target whose state
   *  file cannot be used is reported here, as failing). */
  telemetry: Telemetry;
  alerter: Alerter;
  recovery: AlertRecovery;
  health: RegionHealth;
  /** The state store of a target's account: the single account's one store, or one per account (`profile: id`). */
  storeFor(account: string | undefined): StateStore;
  writeState: StateWriter;
  decide: ScanDeps['decide'];
  queues: ReadonlyMap<string, WebhookQueue>;
  /** Many accounts: each account's credentials. Undefined: the single account (config.profile or the default chain). */
  credentialsFor?(account: string): AwsCredentials;
  /** Many accounts: where an account's failure and answers go. */
  accounts?: AccountSignals;
  /** Replaces the AWS SDK client (tests); default createLookupClient. `account`: undefined for the single account. */
  createClient?(region: string, account?: TargetAccount): ClosableClient;
}

/**
 * Builds what runs one target: its CloudTrail client for the target's region with its account's credentials
 * (destroyed by `close()`), its own paced limiter (LookupEvents: 2 requests/s per account and region, API-FACTS
 * A.4; we take `lookupRequestsPerSecond`), its state in its account's store, and the poller loop. The TargetSet
 * calls `run(target, signal)` for each target it polls, at start or later.
 */
export function createTargetRunner(deps: TargetRunnerDeps): {
  run(target: Target, signal: AbortSignal): Promise<PollerResult>;
  close(): void;
} {
  const { config, clock, log, recovery } = deps;
  const clients = new Set<ClosableClient>();
  const window: WindowOptions = {
    settleMs: config.settleMinutes * 60_000,
    settleScanIntervalMs: config.settleScanIntervalSeconds * 1000,
    quickOverlapMs: Math.min(DEFAULT_QUICK_OVERLAP_MS, config.settleMinutes * 60_000),
    maxWindowMs: DEFAULT_MAX_WINDOW_MS,
  };
  const clientFor = (target: Target): ClosableClient => {
    const { region, account } = target;
    if (account === undefined || deps.credentialsFor === undefined) {
      return deps.createClient?.(region) ?? createLookupClient({ region, profile: config.profile, endpoint: config.cloudtrailEndpoint });
    }
    const credentials = deps.credentialsFor(account);
    return deps.createClient?.(region, { id: account, credentials }) ??
      createLookupClient({ region, credentials, endpoint: config.cloudtrailEndpoint });
  };
  const run = async (target: Target, signal: AbortSignal): Promise<PollerResult> => {
    const { key, region, account } = target;
    const store = deps.storeFor(account);
    const client = clientFor(target);
    clients.add(client);
    try {
      const lookups = observeLookups(client, () => {
        recovery.observe({ type: 'lookup', region: key });
        if (account !== undefined) deps.accounts?.answered(account);
      });
      const targetLog = account === undefined ? log.child({ region }) : log.child({ account, region });
      // A state file this target cannot use stops only this target (and says what to do with it). The store is
      // the account's: it names the file by the AWS region.
      const start = await loadRegionState(
        { region: key, store: { load: (_key, options) => store.load(region, options) }, alerter: deps.alerter, clock, log: targetLog, once: config.once,
          loaded: () => recovery.observe({ type: 'state-load', region: key }),
          options: { initialLookbackMinutes: config.initialLookbackMinutes, settleMinutes: config.settleMinutes } },
        signal,
      );
      if ('failed' in start) {
        // Listed as failing (status page, /readyz), though never polled: its state file needs a human.
        deps.telemetry.targetStarted(key, clock.now());
        deps.telemetry.scanFailed(key, start.failed);
        return { region: key, ok: false, posted: 0, printed: 0, requests: 0, error: start.failed };
      }
      if ('stopped' in start) return { region: key, ok: true, posted: 0, printed: 0, requests: 0 };
      const signals = account === undefined ? undefined : deps.accounts;
      return await runTargetPoller(
        {
          target: key,
          region,
          ...(account === undefined ? {} : { account }),
          clock,
          log: targetLog,
          client: lookups,
          limiter: createRateLimiter({ perSecond: config.lookupRequestsPerSecond, clock }),
          health: deps.health,
          alerter: deps.alerter,
          loadState: async () => start.state,
          saveState: (state) => deps.writeState(key, () => store.save(region, state)),
          decide: deps.decide,
          queueFor: (name) => deps.queues.get(name),
          commit: (delta) => deps.writeState(key, () => store.commit(region, delta)),
          now: () => clock.now(),
          window,
          pollIntervalMs: config.pollIntervalSeconds * 1000,
          alertAfterMs: config.alertAfterMinutes * 60_000,
          once: config.once,
          telemetry: deps.telemetry,
          ...(signals === undefined || account === undefined ? {} : { onAccountUnusable: (failure) => signals.unusable(account, failure) }),
        },
        signal,
      );
    } finally {
      // The poller is done with its client (a removed target, the stop, or the end of a --once pass).
      clients.delete(client);
      client.destroy?.();
    }
  };
  return {
    run,
    close: () => {
      for (const client of clients) client.destroy?.();
      clients.clear();
    },
  };
}
