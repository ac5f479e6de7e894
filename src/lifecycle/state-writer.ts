import type { Alerter } from '../alerts/alerter';
import { classifyError } from '../errors/classify';
import { StateWriteError } from '../state/store';
import type { AlertRecovery } from '../daemon/recover-alerts';

/** Runs one state write (a snapshot or a commit) of `region`; rejects with the write's error. */
export type StateWriter = (region: string, write: () => Promise<void>) => Promise<void>;

/**
 * Every state write goes through here: its success and failure are evidence for the alert recovery, and the
 * first failure anywhere (while no other region's writes fail) sends the one `state-unwritable` alert, with the
 * classifier's advice (src/errors/classify.ts). --dry-run writes nothing (no offset moves, no delivery recorded).
 */
export function createStateWriter(options: { dryRun: boolean; alerter: Pick<Alerter, 'alert'>; recovery: Pick<AlertRecovery, 'observe'> }): StateWriter {
  const failingSaves = new Set<string>();
  return async (region, write) => {
    if (options.dryRun) return;
    try {
      await write();
      failingSaves.delete(region);
      options.recovery.observe({ type: 'state-save', region });
    } catch (error) {
      if (error instanceof StateWriteError) {
        options.recovery.observe({ type: 'state-save-failed', region });
        // One alert when writes start failing anywhere; the first write after all of them work again ends it.
        const first = failingSaves.size === 0;
        failingSaves.add(region);
        const what = classifyError(error);
        if (first) await options.alerter.alert({ kind: what.kind, reason: what.reason, action: what.advice });
      }
      throw error;
    }
  };
}
