import { setMaxListeners } from 'node:events';
import type { Logger } from '../logging/logger';
import type { Telemetry } from '../observability/telemetry';
import type { RegionHealth } from '../cloudtrail/region-health';
import type { PollerResult } from '../cloudtrail/poller';
import { isAbortError, ShutdownRequested } from '../lib/errors';
import { makeTarget, type Target } from '../targets/target';

export interface TargetSetOptions {
  log: Logger;
  telemetry: Telemetry;
  /** Told the new list on each change, so auth failures are judged across the regions polled now. */
  health: Pick<RegionHealth, 'setRegions'>;
  /**
   * Runs one target's poller until `signal` aborts (or one pass with --once); resolves with its result. A
   * rejection that is not an abort is fatal for the daemon (onFatal).
   */
  runTarget(target: Target, signal: AbortSignal): Promise<PollerResult>;
  /** A poller failed in a way a human must fix: the daemon stops (src/daemon/run-daemon.ts). */
  onFatal(error: unknown): void;
  /** The pipeline's stop: every poller's own signal follows it. */
  signal: AbortSignal;
}

interface Running {
  controller: AbortController;
  done: Promise<PollerResult>;
}

/**
 * The targets polled right now (src/targets/target.ts: a region of one account, by key), each with its own poller
 * under its own child AbortController, so that region discovery (`-r all`, re-checked daily), organisation
 * discovery and the account supervisor can add a target (its poller starts) or remove one (its poller finishes
 * its current step, saves, and stops) while the daemon runs. A region discovery change is said once in the log;
 * an account's change is said by whoever made it (src/targets/), per target only at debug.
 */
export class TargetSet {
  readonly #options: TargetSetOptions;
  readonly #running = new Map<string, Running>();
  /** Removed regions whose poller has not settled yet: one added again waits for it (one writer per state file). */
  readonly #stopping = new Map<string, Promise<unknown>>();
  /** Every poller run so far, removed ones included: the daemon's exit code reads their results. */
  readonly #all: Array<Promise<PollerResult>> = [];

  constructor(options: TargetSetOptions) {
    this.#options = options;
  }

  /** The keys of the targets polled now (the single account's: its regions), in the order they were added. */
  regions(): string[] {
    return [...this.#running.keys()];
  }

  /**
   * Makes `regions` the polled set of the single account (region discovery): starts a poller for each new region
   * (telemetry.targetStarted comes from the poller once its state is loaded) and stops each region no longer
   * listed (telemetry.targetStopped once its poller has settled). Ignored after the stop. Returns what changed.
   */
  setRegions(regions: readonly string[]): { added: string[]; removed: string[] } {
    return this.setTargets(regions.map((region) => makeTarget(undefined, region)), 'regions');
  }

  /**
   * Makes `targets` the polled set, as setRegions does, by target key. `said`: 'regions' logs each change at info
   * as region discovery always has; 'accounts' (the default) only at debug, the account's own line having said it.
   */
  setTargets(targets: readonly Target[], said: 'regions' | 'accounts' = 'accounts'): { added: string[]; removed: string[] } {
    const { log, signal } = this.#options;
    if (signal.aborted) return { added: [], removed: [] };
    const wanted = new Map(targets.map((target) => [target.key, target]));
    const removed = this.regions().filter((key) => !wanted.has(key));
    const added = [...wanted.keys()].filter((key) => !this.#running.has(key));
    this.#options.health.setRegions([...wanted.keys()]);
    const initial = this.#running.size === 0 && this.#all.length === 0;
    for (const key of removed) {
      if (said === 'regions') log.info({ region: key }, 'region no longer enabled: its poller stops after its current step');
      else log.debug({ target: key }, 'target removed: its poller stops after its current step');
      this.#stop(key);
    }
    for (const key of added) {
      if (initial) {
        // The first set: said by the daemon's start.
      } else if (said === 'regions') log.info({ region: key }, 'region newly enabled: polling it');
      else log.debug({ target: key }, 'target added: polling it');
      this.#start(wanted.get(key) as Target);
    }
    return { added, removed };
  }

  /** Resolves, once no poller runs any more (after the stop, or after a --once pass), with every run's outcome. */
  async settled(): Promise<Array<PromiseSettledResult<PollerResult>>> {
    for (;;) {
      const seen = this.#all.length;
      const results = await Promise.allSettled(this.#all);
      if (this.#all.length === seen) return results;
    }
  }

  #start(target: Target): void {
    const region = target.key;
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    const follow = () => controller.abort(this.#options.signal.reason);
    this.#options.signal.addEventListener('abort', follow, { once: true });
    const previous = this.#stopping.get(region) ?? Promise.resolve();
    const done = previous.then(() => this.#options.runTarget(target, controller.signal)).catch((error: unknown) => {
      if (!isAbortError(error)) this.#options.onFatal(error); // a fatal error in one poller stops them all
      throw error;
    }).finally(() => this.#options.signal.removeEventListener('abort', follow));
    this.#running.set(region, { controller, done });
    this.#all.push(done);
  }

  #stop(region: string): void {
    const running = this.#running.get(region);
    if (!running) return;
    this.#running.delete(region);
    running.controller.abort(new ShutdownRequested());
    const settled = running.done.then(
      (result) => this.#stopped(region, result.ok ? undefined : result.error),
      (error: unknown) => this.#stopped(region, isAbortError(error) ? undefined : String(error)),
    );
    this.#stopping.set(region, settled);
    void settled.then(() => {
      if (this.#stopping.get(region) === settled) this.#stopping.delete(region);
    });
  }

  #stopped(region: string, error: string | undefined): void {
    // Added again while it was stopping: the new poller owns the region now.
    if (this.#running.has(region)) return;
    this.#options.telemetry.targetStopped(region);
    const reason = error === undefined ? {} : { reason: error };
    // An account's targets stop together (paused, or gone from the organisation): its own line said so at info.
    if (region.includes('/')) this.#options.log.debug({ target: region, ...reason }, 'target stopped');
    else this.#options.log.info({ region, ...reason }, 'region stopped');
  }
}
