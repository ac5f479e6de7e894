import { ListAccountsCommand, type Account, type OrganizationsClient } from '@aws-sdk/client-organizations';

/**
 * The accounts of an organisation, for organisation discovery (issue 10): every page of Organizations
 * ListAccounts (API-FACTS K.6: called from the management account or a delegated administrator; "always check the
 * NextToken … even if you receive an empty result set"), keeping only accounts whose `State` is ACTIVE (K.6:
 * `Status` was retired on 2026-09-09; it is read only when `State` is absent). What the service answers is
 * checked like any input: an ID that is not 12 digits is skipped and counted, a repeated ID kept once, a name
 * kept as untrusted text cut to 50 characters (AWS's account-name limit). The name keeps its text, control and
 * format characters included (it is the organisation's own; refusing it would drop the account): every surface
 * shows it through makeVisible (src/slack/visible.ts), so an RLO or zero-width character reads `[U+202E]`.
 *
 * Errors are the SDK's, thrown as they come (an abort included): classify them with
 * `classifyError(error, 'organizations')` (src/errors/classify.ts), which tells the wrong caller account apart.
 */

/** One ACTIVE account of the organisation. `name` is untrusted text (at most ACCOUNT_NAME_MAX characters). */
export interface OrganizationAccount {
  id: string;
  name?: string;
}

export interface OrganizationListing {
  /** ACTIVE accounts, in listing order, each ID once. */
  active: OrganizationAccount[];
  /** Well-formed accounts left out because they are not ACTIVE (closed, suspended, …). */
  inactive: number;
  /** Entries without a 12-digit Id (never expected from AWS: counted so that the caller can log it once). */
  malformed: number;
}

/** AWS Organizations' account-name limit (the `AccountName` shape: 1–50 characters). */
export const ACCOUNT_NAME_MAX = 50;
/** 1–20 per K.6: the largest page, so that a big organisation takes the fewest calls. */
const PAGE_SIZE = 20;
/**
 * A stop for a service that never ends its listing (a NextToken seen twice ends it at once): 1,000 pages of 20
 * is 20,000 accounts, above any organisation's account quota.
 */
const MAX_PAGES = 1000;
const ACCOUNT_ID = /^\d{12}$/;

function isActive(account: Account): boolean {
  if (account.State !== undefined && account.State !== null) return account.State === 'ACTIVE';
  return account.Status === 'ACTIVE';
}

/** The name as untrusted text (shown visible, never raw): a string, cut to ACCOUNT_NAME_MAX characters (whole code points), or undefined. */
function nameOf(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw === '') return undefined;
  return [...raw].slice(0, ACCOUNT_NAME_MAX).join('');
}

/** Every page of ListAccounts, sorted into active, inactive and malformed. Throws the SDK's errors. */
export async function readOrganization(client: OrganizationsClient, signal: AbortSignal): Promise<OrganizationListing> {
  const listing: OrganizationListing = { active: [], inactive: 0, malformed: 0 };
  const seenIds = new Set<string>();
  const seenTokens = new Set<string>();
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    signal.throwIfAborted();
    const answer = await client.send(new ListAccountsCommand({ MaxResults: PAGE_SIZE, NextToken: token }), { abortSignal: signal });
    for (const account of answer.Accounts ?? []) {
      const id = account?.Id;
      if (typeof id !== 'string' || !ACCOUNT_ID.test(id)) {
        listing.malformed += 1;
        continue;
      }
      if (seenIds.has(id)) continue;
      seenIds.add(id);
      if (!isActive(account)) {
        listing.inactive += 1;
        continue;
      }
      const name = nameOf(account.Name);
      listing.active.push(name === undefined ? { id } : { id, name });
    }
    token = answer.NextToken ?? undefined;
    if (token === undefined || token === '' || seenTokens.has(token)) break;
    seenTokens.add(token);
  }
  return listing;
}

/** The organisation's ACTIVE accounts (readOrganization without the counts). Throws the SDK's errors. */
export async function listActiveAccounts(client: OrganizationsClient, signal: AbortSignal): Promise<OrganizationAccount[]> {
  return (await readOrganization(client, signal)).active;
}
