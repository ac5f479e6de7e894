import type { Clock } from '../lib/clock';
import type { Logger } from '../logging/logger';
import { createStateStore, type StateStore } from '../state/store';

/**
 * The state stores of the daemon's targets: the single account's one store (files `.<profile>.<region>…`, as
 * ever), and with many accounts one store per account, created on first use, whose profile part is the account ID
 * (`.<account-id>.<region>.cloudtrail.state`, issue 10 item 4).
 */
export function createAccountStores(
  single: StateStore,
  options: { dir: string; clock: Clock; log: Logger; readOnly: boolean },
): (account: string | undefined) => StateStore {
  const stores = new Map<string, StateStore>();
  return (account) => {
    if (account === undefined) return single;
    let found = stores.get(account);
    if (found === undefined) {
      found = createStateStore({ dir: options.dir, profile: account, clock: options.clock, log: options.log, readOnly: options.readOnly });
      stores.set(account, found);
    }
    return found;
  };
}
