import type { Clock } from '../lib/clock';
import { FatalError, isAbortError } from '../lib/errors';
import type { Logger } from '../logging/logger';
import type { Service } from '../lifecycle/service';
import { classifyError } from '../errors/classify';
import { backoffDelay } from '../lib/backoff';
import { ACCOUNT_ID_PATTERN, type AccountSpec, type OrganizationConfig } from './target';

/**
 * Organisation discovery (issue 10 item 4, config `organization`): the accounts come from Organizations
 * ListAccounts with the base credentials (API-FACTS K.6: the management account or a delegated administrator; only
 * ACTIVE accounts, by `State`), minus `exclude`, each reached by assuming `roleName` in it. Asked before "ready"
 * (denied: fatal, with that advice) and then every DISCOVERY_INTERVAL_MS; a failed refresh keeps the last list.
 */

/**
 * Hourly (the issue's own figure): a new account is watched within the hour it joins, and the listing costs one
 * paged call (20 accounts a page, K.6) an hour, nothing next to the LookupEvents quota.
 */
export const ORGANIZATION_REFRESH_MS = 60 * 60_000;
/** After a failed refresh: a quarter of the interval, so a brief outage does not delay a new account an hour. */
export const ORGANIZATION_RETRY_MS = 15 * 60_000;

/** One account of the listing (src/aws/organizations.ts listActiveAccounts: ACTIVE ones only). */
export interface ListedAccount {
  id: string;
  name?: string;
}

export type ListAccounts = (signal: AbortSignal) => Promise<ListedAccount[]>;

/** The partition of a region, for ARNs (`aws`, `aws-cn`, `aws-us-gov`). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * The accounts to watch from one listing: valid 12-digit IDs only (the answer is not ours), without the excluded
 * ones, each reached by `arn:<partition of the first region>:iam::<id>:role/<roleName>` with the ExternalId.
 */
export function accountsOfListing(listed: readonly ListedAccount[], organization: OrganizationConfig, firstRegion: string): AccountSpec[] {
  const partition = partitionOf(firstRegion);
  const seen = new Set<string>();
  const out: AccountSpec[] = [];
  for (const { id, name } of listed) {
    if (typeof id !== 'string' || !ACCOUNT_ID_PATTERN.test(id) || seen.has(id) || organization.exclude.includes(id)) continue;
    seen.add(id);
    out.push({
      id,
      ...(typeof name === 'string' && name !== '' ? { name } : {}),
      roleArn: `arn:${partition}:iam::${id}:role/${organization.roleName}`,
      ...(organization.externalId === undefined ? {} : { externalId: organization.externalId }),
      ...(organization.regions === undefined ? {} : { regions: organization.regions }),
    });
  }
  return out;
}

/**
 * Between tries of the first listing: from 2 s (a throttled Organizations, K.6, answers again within seconds),
 * doubling, capped at 1 minute, so an Organizations outage is picked up within a minute of its end and costs at most
 * one call a minute meanwhile.
 */
export const START_RETRY_BASE_MS = 2_000;
export const START_RETRY_CAP_MS = 60_000;

export interface ListAtStartOptions {
  clock: Clock;
  log: Logger;
  /** [0, 1) source for the backoff's jitter (tests); default Math.random. */
  random?: () => number;
}

/**
 * The first listing, before "ready". Denied (not the management account nor a delegated administrator, or no
 * organisation at all) is fatal with that advice (FatalError, exit 77). Any other failure (throttled, 5xx, a
 * timeout, the network) is transient: said once per try at warn and tried again after a capped backoff
 * (START_RETRY_BASE_MS … START_RETRY_CAP_MS) until it answers; the stop (`signal`) ends the wait (rejects with
 * its reason).
 */
export async function listAtStart(list: ListAccounts, organization: OrganizationConfig, firstRegion: string, signal: AbortSignal, options: ListAtStartOptions): Promise<AccountSpec[]> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return accountsOfListing(await list(signal), organization, firstRegion);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const what = classifyError(error, 'organizations');
      if (what.action === 'fatal' || what.action === 'stop-account' || what.action === 'pause-target') {
        throw new FatalError(`cannot list the organisation's accounts (${what.reason}); ${what.kind.startsWith('organizations-') ? what.advice : `${what.advice}, then start again`}`,
          what.kind.startsWith('organizations-') ? what.kind : 'organizations-denied', { cause: error });
      }
      const retryInMs = backoffDelay(attempt, { baseMs: START_RETRY_BASE_MS, capMs: START_RETRY_CAP_MS, ...(options.random ? { random: options.random } : {}) });
      options.log.warn({ err: what.reason, errorKind: what.kind, attempt, retryInMs }, 'cannot list the organisation\'s accounts yet; trying again before starting');
      await options.clock.sleep(retryInMs, signal);
    }
  }
}

export interface OrganizationDiscoveryOptions {
  list: ListAccounts;
  organization: OrganizationConfig;
  firstRegion: string;
  /** Where a new list goes (the account supervisor); resolves once the new accounts are checked. */
  apply(accounts: AccountSpec[]): Promise<void>;
  clock: Clock;
  log: Logger;
  intervalMs?: number;
  retryMs?: number;
}

/** The hourly refresh (the first listing is the start's): a failure is logged and retried sooner, the last list stays. */
export function createOrganizationDiscovery(options: OrganizationDiscoveryOptions): Service {
  const intervalMs = options.intervalMs ?? ORGANIZATION_REFRESH_MS;
  const retryMs = options.retryMs ?? ORGANIZATION_RETRY_MS;
  return {
    name: 'organization-discovery',
    async run(signal) {
      let wait = intervalMs;
      while (!signal.aborted) {
        try {
          await options.clock.sleep(wait, signal);
          const accounts = accountsOfListing(await options.list(signal), options.organization, options.firstRegion);
          await options.apply(accounts);
          wait = intervalMs;
        } catch (error) {
          if (isAbortError(error) || signal.aborted) return;
          const what = classifyError(error, 'organizations');
          options.log.warn({ err: what.reason, errorKind: what.kind, retryInMs: retryMs }, 'organisation listing failed; keeping the current accounts and trying again later');
          wait = retryMs;
        }
      }
    },
  };
}
