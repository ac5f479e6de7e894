import type { Config } from '../config/types';
import type { AlertRecovery } from '../daemon/recover-alerts';
import type { Clock } from '../lib/clock';
import type { Service } from '../lifecycle/service';
import type { Logger } from '../logging/logger';
import type { WebhookQueue } from '../pipeline/webhook-queue';
import { createTrailClient, type TrailClient } from './trail-client';
import { createTrailMonitor } from './trail-monitor';

export interface ConfiguredTrailMonitorDeps {
  clock: Clock;
  log: Logger;
  recovery: AlertRecovery;
  /** Every webhook's queue by name (src/daemon/webhook-queues.ts); the monitor posts to `default`. */
  queues: ReadonlyMap<string, WebhookQueue>;
  /** Replaces the SDK client (tests); default createTrailClient with the profile and CloudTrail endpoint. */
  createClient?(region: string): TrailClient & { destroy?(): void };
}

/**
 * The trail monitor as configured (`trailMonitor.*`), or undefined when it does not run: turned off in the config,
 * or a --once pass (one pass over Event history, nothing to watch over time). Home region: `trailMonitor.region`,
 * else the first region polled. Messages go to the `default` webhook, else the first one configured. The service
 * owns its SDK client and destroys it when it ends.
 */
export function createConfiguredTrailMonitor(config: Config, deps: ConfiguredTrailMonitorDeps): Service | undefined {
  const settings = config.trailMonitor;
  const region = settings.region ?? config.regions[0];
  const queue = deps.queues.get('default') ?? [...deps.queues.values()][0];
  if (!settings.enabled || config.once || region === undefined || queue === undefined) {
    deps.log.info({ enabled: settings.enabled, once: config.once }, 'trail monitor is not running');
    return undefined;
  }
  const client =
    deps.createClient?.(region) ?? createTrailClient({ region, profile: config.profile, endpoint: config.cloudtrailEndpoint });
  const monitor = createTrailMonitor({
    client,
    clock: deps.clock,
    log: deps.log,
    recovery: deps.recovery,
    // Through the webhook's queue: the same paced sender as events, one message at a time.
    slack: { send: (message, signal) => queue.post(message, signal) },
    intervalMs: settings.intervalMinutes * 60_000,
  });
  return {
    name: monitor.name,
    async run(signal) {
      try {
        await monitor.run(signal);
      } finally {
        client.destroy?.();
      }
    },
  };
}
