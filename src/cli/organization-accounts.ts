import { createOrganizationsClient } from '../aws/clients';
import { stsRegionFor } from '../aws/identity';
import { listActiveAccounts } from '../aws/organizations';
import type { Config } from '../config/types';
import type { ListedAccount } from './targets-command';

/** Each ListAccounts page must answer within this (ms): the command is interactive. */
const PAGE_TIMEOUT_MS = 10_000;

/**
 * The organisation's ACTIVE accounts for `targets` (API-FACTS K.6), asked with the base credentials (config
 * `profile`, else the SDK's chain). Organizations' endpoint is global; the region only picks the partition.
 * Rejects with the SDK's error when the caller is not the management account or a delegated administrator.
 */
export async function listOrganizationAccounts(config: Config, signal: AbortSignal): Promise<ListedAccount[]> {
  const client = createOrganizationsClient({
    region: stsRegionFor(config.regions, process.env.AWS_REGION),
    ...(config.profile === undefined ? {} : { profile: config.profile }),
    requestTimeoutMs: PAGE_TIMEOUT_MS,
  });
  try {
    return await listActiveAccounts(client, signal);
  } finally {
    client.destroy();
  }
}
