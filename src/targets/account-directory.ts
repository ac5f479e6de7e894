import { describeAccount } from './target';

/**
 * The account names the daemon knows: from the config's `accounts` (`name`) and from each organisation listing.
 * Messages, digests, alerts, the status page and doctor name an account as "name (id)" through it; an account
 * it does not know is named by its ID alone. Account names are set by whoever administers the organisation: treat
 * them as untrusted text (escape them like event text).
 */
export class AccountDirectory {
  readonly #names = new Map<string, string>();

  /** Adds or replaces names; an entry without a name leaves a known name as it is. */
  learn(accounts: Iterable<{ id: string; name?: string }>): void {
    for (const { id, name } of accounts) if (name !== undefined && name !== '') this.#names.set(id, name);
  }

  nameOf(id: string): string | undefined {
    return this.#names.get(id);
  }

  /** "prod (123456789012)", or the ID alone. */
  describe(id: string): string {
    return describeAccount(id, this.#names.get(id));
  }
}
