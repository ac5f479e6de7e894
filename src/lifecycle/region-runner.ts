import type { Config } from '../config/types';
import type { Clock } from '../lib/clock';
import type { Logger } from '../logging/logger';
import type { Alerter } from '../alerts/alerter';
import type { Telemetry } from '../observability/telemetry';
import { createRateLimiter } from '../lib/rate-limiter';
import { createLookupClient, type LookupClient } from '../cloudtrail/client';
import { runRegionPoller, type PollerResult } from '../cloudtrail/poller';
import type { RegionHealth } from '../cloudtrail/region-health';
import { DEFAULT_MAX_WINDOW_MS, DEFAULT_QUICK_OVERLAP_MS, type WindowOptions } from '../cloudtrail/window';
import type { ScanDeps } from '../pipeline/deliver-scan';
import type { WebhookQueue } from '../pipeline/webhook-queue';
import type { StateStore } from '../state/store';
import { loadRegionState } from '../daemon/load-region-state';
import { observeLookups, type AlertRecovery } from '../daemon/recover-alerts';
import type { StateWriter } from './state-writer';

export type ClosableClient = LookupClient & { destroy?(): void };

export interface RegionRunnerDeps {
  config: Config;
  clock: Clock;
  log: Logger;
  /** Where the pollers report (the poller says targetStarted once its state is loaded; a region whose state
   *  file cannot be used is reported here, as failing). */
  telemetry: Telemetry;
  alerter: Alerter;
  recovery: AlertRecovery;
  health: RegionHealth;
  store: StateStore;
  writeState: StateWriter;
  decide: ScanDeps['decide'];
  queues: ReadonlyMap<string, WebhookQueue>;
  /** Replaces the AWS SDK client (tests); default createLookupClient. */
  createClient?(region: string): ClosableClient;
}

/**
 * Builds what runs one region: its CloudTrail client (destroyed by `close()`), its paced limiter (LookupEvents:
 * 2 requests/s per account and region, API-FACTS A.4; we take `lookupRequestsPerSecond`), its state, and the
 * poller loop. The TargetSet calls `run(region, signal)` for each region it polls, at start or later.
 */
export function createRegionRunner(deps: RegionRunnerDeps): {
  run(region: string, signal: AbortSignal): Promise<PollerResult>;
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
  const run = async (region: string, signal: AbortSignal): Promise<PollerResult> => {
    const client = deps.createClient?.(region) ?? createLookupClient({ region, profile: config.profile, endpoint: config.cloudtrailEndpoint });
    clients.add(client);
    try {
      const lookups = observeLookups(client, () => recovery.observe({ type: 'lookup', region }));
      const regionLog = log.child({ region });
      // A state file this region cannot use stops only this region (and says what to do with it).
      const start = await loadRegionState(
        { region, store: deps.store, alerter: deps.alerter, clock, log: regionLog, once: config.once,
          loaded: () => recovery.observe({ type: 'state-load', region }),
          options: { initialLookbackMinutes: config.initialLookbackMinutes, settleMinutes: config.settleMinutes } },
        signal,
      );
      if ('failed' in start) {
        // Listed as failing (status page, /readyz), though never polled: its state file needs a human.
        deps.telemetry.targetStarted(region, clock.now());
        deps.telemetry.scanFailed(region, start.failed);
        return { region, ok: false, posted: 0, printed: 0, requests: 0, error: start.failed };
      }
      if ('stopped' in start) return { region, ok: true, posted: 0, printed: 0, requests: 0 };
      return await runRegionPoller(
        {
          region,
          clock,
          log: regionLog,
          client: lookups,
          limiter: createRateLimiter({ perSecond: config.lookupRequestsPerSecond, clock }),
          health: deps.health,
          alerter: deps.alerter,
          loadState: async () => start.state,
          saveState: (state) => deps.writeState(region, () => deps.store.save(region, state)),
          decide: deps.decide,
          queueFor: (name) => deps.queues.get(name),
          commit: (delta) => deps.writeState(region, () => deps.store.commit(region, delta)),
          now: () => clock.now(),
          window,
          pollIntervalMs: config.pollIntervalSeconds * 1000,
          alertAfterMs: config.alertAfterMinutes * 60_000,
          once: config.once,
          telemetry: deps.telemetry,
        },
        signal,
      );
    } finally {
      // The poller is done with its client (a removed region, the stop, or the end of a --once pass).
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
