import type { Config } from '../config/types';
import type { ListedAccount } from './targets-command';

/** The organisation's ACTIVE accounts, for `targets` (API-FACTS K.6). Wired to src/aws/organizations.ts. */
export async function listOrganizationAccounts(_config: Config, _signal: AbortSignal): Promise<ListedAccount[]> {
  throw new Error('not wired yet');
}
