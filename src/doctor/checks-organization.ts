import { createOrganizationsClient } from '../aws/clients';
import { stsRegionFor } from '../aws/identity';
import { readOrganization } from '../aws/organizations';
import type { Config } from '../config/types';
import { classifyError } from '../errors/classify';
import { accountsOfListing } from '../targets/organization-discovery';
import type { AccountSpec, OrganizationConfig } from '../targets/target';
import { bounded, CheckTimeoutError, fail, ok, type CheckResult } from './check';
import { awsOptionsOf } from './checks-aws';
import type { DoctorDeps } from './deps';

/**
 * The `organization` row of `doctor` (issue 10 item 4): Organizations ListAccounts with the base credentials, every
 * page (API-FACTS K.6: only the management account or a delegated administrator may call it; ACTIVE accounts by
 * `State`), as the daemon lists them at start (src/targets/organization-discovery.ts listAtStart). Without a
 * listing the daemon has nothing to watch and stops (exit 77 when refused, 1 otherwise), so a failure is ✗.
 */

const NAME = 'organization';

export interface OrganizationCheck {
  row: CheckResult;
  /** The accounts the daemon would watch (ACTIVE, not excluded), each with its role; undefined when not listed. */
  accounts?: AccountSpec[];
}

/** Never throws for an AWS answer. The whole listing (every page) is bounded by `deps.timeoutMs` × 4. */
export async function checkOrganization(config: Config, organization: OrganizationConfig, deps: DoctorDeps): Promise<OrganizationCheck> {
  const region = stsRegionFor(config.regions);
  const client = createOrganizationsClient(awsOptionsOf(config, deps, region));
  try {
    // A few pages of 20 accounts each answer within one limit; a big organisation gets four.
    const listing = await bounded(deps.timeoutMs * 4, deps.clock, (signal) => readOrganization(client, signal));
    const accounts = accountsOfListing(listing.active, organization, config.regions[0] ?? region);
    const excluded = listing.active.filter((account) => organization.exclude.includes(account.id)).length;
    const extras = [
      excluded > 0 ? `${excluded} excluded` : '',
      listing.inactive > 0 ? `${listing.inactive} not ACTIVE (left out)` : '',
    ].filter((part) => part !== '');
    const detail = `ListAccounts: ${listing.active.length} ACTIVE account${listing.active.length === 1 ? '' : 's'}` +
      `${extras.length === 0 ? '' : ` (${extras.join(', ')})`}; ${accounts.length} watched, each by assuming the role ${organization.roleName}`;
    return { row: ok(NAME, detail), accounts };
  } catch (error) {
    const advice = 'run doctor (and the daemon) with credentials of the management account or of a delegated administrator, allowed organizations:ListAccounts';
    if (error instanceof CheckTimeoutError) {
      return { row: fail(NAME, `Organizations did not answer ListAccounts: ${error.message}; the daemon cannot start without the list`, 'check network access to organizations.us-east-1.amazonaws.com (proxy, firewall, AWS_ENDPOINT_URL_ORGANIZATIONS)') };
    }
    const what = classifyError(error, 'organizations');
    const known = what.kind.startsWith('organizations-') || what.kind === 'access-denied';
    return {
      row: fail(NAME, `ListAccounts refused or failed (${what.kind}): ${what.reason}; the daemon cannot start without the list`,
        known ? `${what.advice}; ${advice}` : what.advice),
    };
  } finally {
    client.destroy();
  }
}
