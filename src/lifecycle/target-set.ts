import { setMaxListeners } from 'node:events';
import type { Logger } from '../logging/logger';
import type { Telemetry } from '../observability/telemetry';
import type { RegionHealth } from '../cloudtrail/region-health';
import type { PollerResult } from '../cloudtrail/poller';
import { isAbortError, ShutdownRequested } from '../lib/errors';

export interface TargetSetOptions {
  log: Logger;
  telemetry: Telemetry;
  /** Told the new list on each change, so auth failures are judged across the regions polled now. */
  health: Pick<RegionHealth, 'setRegions'>;
  /**
   * Runs one region's poller until `signal` aborts (or one pass with --once); resolves with its result. A
   * rejection that is not an abort is fatal for the daemon (onFatal).
   */
  runTarget(region: string, signal: AbortSignal): Promise<PollerResult>;
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
 * The regions polled right now, each with its own poller under its own child AbortController, so that region
 * discovery (`-r all`, re-checked daily) can add a region (its poller starts) or remove one (its poller finishes
 * its current step, saves, and stops) while the daemon runs. Each change is said once in the log.
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

  /** The regions polled now, in the order they were added. */
  regions(): string[] {
    return [...this.#running.keys()];
  }

  /**
   * Makes `regions` the polled set: starts a poller for each new region (telemetry.targetStarted comes from the
   * poller once its state is loaded) and stops each region no longer listed (telemetry.targetStopped once its
   * poller has settled). Ignored after the stop. Returns what changed.
   */
  setRegions(regions: readonly string[]): { added: string[]; removed: string[] } {
    const { log, signal } = this.#options;
    if (signal.aborted) return { added: [], removed: [] };
    const wanted = [...new Set(regions)];
    const removed = this.regions().filter((region) => !wanted.includes(region));
    const added = wanted.filter((region) => !this.#running.has(region));
    this.#options.health.setRegions(wanted);
    const initial = this.#running.size === 0 && this.#all.length === 0;
    for (const region of removed) {
      log.info({ region }, 'region no longer enabled: its poller stops after its current step');
      this.#stop(region);
    }
    for (const region of added) {
      if (!initial) log.info({ region }, 'region newly enabled: polling it');
      this.#start(region);
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

  #start(region: string): void {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    const follow = () => controller.abort(this.#options.signal.reason);
    this.#options.signal.addEventListener('abort', follow, { once: true });
    const previous = this.#stopping.get(region) ?? Promise.resolve();
    const done = previous.then(() => this.#options.runTarget(region, controller.signal)).catch((error: unknown) => {
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
    this.#options.log.info({ region, ...(error === undefined ? {} : { reason: error }) }, 'region stopped');
  }
}
