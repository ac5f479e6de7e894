import type { Clock } from '../lib/clock';
import { isAbortError } from '../lib/errors';
import type { Logger } from '../logging/logger';
import type { Config } from '../config/types';
import { isRegion } from '../config/schema';
import type { Service } from './service';

/** Issue 9 item 7: a region enabled (or disabled) later is picked up within a day. */
export const DISCOVERY_INTERVAL_MS = 24 * 60 * 60 * 1000;
/** After a failed check: try again sooner than a day, but without hammering a denied API. */
export const DISCOVERY_RETRY_MS = 60 * 60 * 1000;

export interface RegionDiscoveryOptions {
  /** The regions enabled for the account (account:ListRegions, fallback ec2:DescribeRegions; API-FACTS K.7). */
  /** Rejects with an AbortError once `signal` aborts (a hung call must not hold up the stop). */
  discover(signal?: AbortSignal): Promise<string[]>;
  /** Where a new list goes (the daemon's TargetSet). */
  apply(regions: string[]): void;
  clock: Clock;
  log: Logger;
  intervalMs?: number;
  retryMs?: number;
}

/**
 * Asks once; resolves to the usable region names (sorted, deduplicated), or undefined after logging why not: a
 * failure, or an empty or unusable answer. The caller keeps its last good list then.
 */
export async function discoverOnce(
  options: Pick<RegionDiscoveryOptions, 'discover' | 'log'>,
  signal?: AbortSignal,
): Promise<string[] | undefined> {
  try {
    const answer = await options.discover(signal);
    const regions = [...new Set(answer.filter((name) => typeof name === 'string' && isRegion(name)))].sort();
    if (regions.length > 0) return regions;
    options.log.warn({ answered: answer.length }, 'region discovery found no usable region; keeping the current list');
  } catch (error) {
    if (isAbortError(error)) throw error;
    options.log.warn({ err: error }, 'region discovery failed; keeping the current list and trying again later');
  }
  return undefined;
}

/**
 * The daily re-check (`-r all`): every `intervalMs` (default 24 h, on the injected clock), discovers the enabled
 * regions and applies the list; a failed check is logged and retried after `retryMs` (default 1 h), and the last
 * good list stays in force meanwhile. The first discovery, at start, is the composition root's (run-daemon).
 */
export function createRegionDiscovery(options: RegionDiscoveryOptions): Service {
  const intervalMs = options.intervalMs ?? DISCOVERY_INTERVAL_MS;
  const retryMs = options.retryMs ?? DISCOVERY_RETRY_MS;
  return {
    name: 'region-discovery',
    async run(signal) {
      let wait = intervalMs;
      while (!signal.aborted) {
        try {
          await options.clock.sleep(wait, signal);
          const regions = await discoverOnce(options, signal);
          if (regions !== undefined) options.apply(regions);
          wait = regions === undefined ? retryMs : intervalMs;
        } catch (error) {
          if (isAbortError(error) || signal.aborted) return;
          throw error;
        }
      }
    },
  };
}

/** `-r all` without a discovery function (not wired in this build): said once; the configured list is polled. */
export function discoveryOf(config: Pick<Config, 'discoverRegions' | 'regions'>, deps: { discoverRegions?(signal?: AbortSignal): Promise<string[]> }, log: Logger): ((signal?: AbortSignal) => Promise<string[]>) | undefined {
  if (deps.discoverRegions !== undefined) return deps.discoverRegions;
  if (config.discoverRegions) log.warn({ regions: config.regions }, 'region discovery is not available here; polling the default regions');
  return undefined;
}

