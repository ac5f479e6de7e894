import { setMaxListeners } from 'node:events';
import type { Logger } from '../logging/logger';
import type { PollerResult } from '../cloudtrail/poller';
import type { WebhookQueue } from '../pipeline/webhook-queue';
import type { Telemetry } from '../observability/telemetry';
import type { RegionHealth } from '../cloudtrail/region-health';
import { TargetSet } from './target-set';
import { makeTarget, type Target } from '../targets/target';
import { discoverOnce } from './region-discovery';
import { untilAborted } from './start-services';
import type { Service } from './service';

export interface PipelineOptions {
  log: Logger;
  telemetry: Telemetry;
  health: RegionHealth;
  /** The configured list: polled as is without discovery, and the fallback when the first discovery fails. */
  regions: readonly string[];
  /** `-r all`: the account's enabled regions; undefined polls `regions`. */
  discoverRegions?: (signal?: AbortSignal) => Promise<string[]>;
  /** Builds the queues on the pipeline's own stop signal (waiting items are released when it aborts). */
  createQueues(signal: AbortSignal): Map<string, WebhookQueue>;
  runTarget(target: Target, signal: AbortSignal): Promise<PollerResult>;
  /**
   * The targets to poll, given the regions (configured or discovered): what this shard owns of them. Default the
   * single account's, one per region. With many accounts, the account supervisor's (its usable accounts).
   */
  targetsOf?(regions: readonly string[]): Target[];
  /** The targets are known: the pollers start now (the alert recovery's "started" evidence); `keys` are theirs. */
  onStart?(keys: readonly string[]): void;
  onFatal(error: unknown): void;
}

export interface Pipeline {
  /** The event path as one service: every webhook queue and every region's poller share its stop. */
  service: Service;
  queues: ReadonlyMap<string, WebhookQueue>;
  targets: TargetSet;
  /** Every poller run's outcome, once the service has settled (empty before). */
  results(): Array<PromiseSettledResult<PollerResult>>;
}

/**
 * The pollers and the webhook queues: built before the other services (which may read the queues and the
 * targets), started last, stopped first. Its run resolves after a --once pass, or once every poller has finished
 * its current step after the stop.
 */
export function createPipeline(options: PipelineOptions): Pipeline {
  const stop = new AbortController();
  // Every poller, sleep and request listens on this one signal: 17 regions exceed Node's default of 10.
  setMaxListeners(0, stop.signal);
  const queues = options.createQueues(stop.signal);
  const targets = new TargetSet({
    log: options.log,
    telemetry: options.telemetry,
    health: options.health,
    runTarget: options.runTarget,
    onFatal: options.onFatal,
    signal: stop.signal,
  });
  let results: Array<PromiseSettledResult<PollerResult>> = [];
  const service: Service = {
    name: 'pipeline',
    async run(signal) {
      const follow = () => stop.abort(signal.reason);
      if (signal.aborted) follow();
      signal.addEventListener('abort', follow, { once: true });
      try {
        let regions = options.regions;
        if (options.discoverRegions !== undefined && !stop.signal.aborted) {
          const discover = options.discoverRegions;
          // A stop during the first discovery does not wait for its answer.
          const found = await Promise.race([discoverOnce({ discover, log: options.log }, stop.signal), untilAborted(stop.signal).then(() => undefined)]);
          if (stop.signal.aborted) return;
          if (found === undefined) options.log.warn({ regions }, 'polling the configured regions until discovery answers');
          else options.log.info({ regions: found }, 'regions discovered');
          regions = found ?? regions;
        }
        const first = options.targetsOf?.(regions) ?? regions.map((region) => makeTarget(undefined, region));
        options.onStart?.(first.map((target) => target.key));
        targets.setTargets(first, 'regions');
        results = await targets.settled();
      } finally {
        signal.removeEventListener('abort', follow);
      }
    },
  };
  return { service, queues, targets, results: () => results };
}
