import type { Alerter } from '../alerts/alerter';
import type { Clock } from '../lib/clock';
import { isAbortError } from '../lib/errors';
import type { Logger } from '../logging/logger';
import type { RegionState } from '../state/region-state';
import { StateReadError, StateWriteError, type LoadOptions, type StateStore } from '../state/store';

/** A region whose state file cannot be used tries again this often, so fixing the file needs no restart. */
export const STATE_RETRY_MS = 5 * 60_000;

export interface RegionStateDeps {
  region: string;
  store: Pick<StateStore, 'load'>;
  options: LoadOptions;
  alerter: Pick<Alerter, 'alert'>;
  clock: Clock;
  /** The region's logger. */
  log: Logger;
  /** --once: give up on the region at once (the pass fails, exit 1) instead of waiting for a fix. */
  once: boolean;
  /** Called after each successful read: the evidence that ends a state-unreadable alert. */
  loaded(): void;
}

export type RegionStart = { state: RegionState } | { failed: string } | { stopped: true };

/**
 * Reads a region's state before its poller starts. A state file the store set aside as corrupt is a notice
 * (state-corrupt). One that cannot be used at all (a directory in its place, no permission) affects only this
 * region: an alert with what to do, then --once fails the region, and the daemon retries every STATE_RETRY_MS
 * until it reads (or `signal` stops it) while the other regions run. Other errors reject, as before: fatal.
 */
export async function loadRegionState(deps: RegionStateDeps, signal: AbortSignal): Promise<RegionStart> {
  const { region, log } = deps;
  let alerted = false;
  for (;;) {
    try {
      const { state, corrupt } = await deps.store.load(region, deps.options);
      deps.loaded();
      if (corrupt?.movedTo !== undefined) {
        await deps.alerter.alert({
          kind: 'state-corrupt',
          region,
          reason: `the state file ${corrupt.file} was unusable (${corrupt.reason}); it was moved to ${corrupt.movedTo}`,
          action:
            `the region restarted from the initial lookback (${deps.options.initialLookbackMinutes} minutes): events before that ` +
            'which were not yet posted are missing; look them up in the CloudTrail console. If nobody edited the file, check the ' +
            'disk and who can write to the state folder',
        });
      }
      return { state };
    } catch (error) {
      if (!(error instanceof StateReadError || error instanceof StateWriteError)) throw error;
      const advice = error instanceof StateReadError ? error.advice : 'make the state folder writable by this user';
      const problem = error instanceof StateReadError ? error.problem : error.message;
      if (!alerted) {
        alerted = true;
        log.error(
          { file: error.path, code: error.code, advice, retryInMs: deps.once ? undefined : STATE_RETRY_MS },
          deps.once ? 'cannot use the state file; this region is skipped' : 'cannot use the state file; this region waits until it is fixed',
        );
        await deps.alerter.alert({ kind: 'state-unreadable', region, reason: problem, action: `${advice}; the other regions run meanwhile` });
      }
      if (deps.once) return { failed: problem };
    }
    try {
      await deps.clock.sleep(STATE_RETRY_MS, signal);
    } catch (error) {
      if (signal.aborted || isAbortError(error)) return { stopped: true };
      throw error;
    }
  }
}
