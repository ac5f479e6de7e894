import { ListRegionsCommand, type ListRegionsCommandOutput, type RegionOptStatus } from '@aws-sdk/client-account';
import { classifyError } from '../errors/classify';
import { createAccountClient, createEc2Client, type AwsClientOptions } from './clients';

/**
 * Which regions are enabled for the account (`-r all`), from Account Management's ListRegions, else EC2's
 * DescribeRegions (API-FACTS K.7). The runtime target set (another module) calls listEnabledRegions at start and
 * daily; this file only asks.
 */

export type RegionSource = 'account:ListRegions' | 'ec2:DescribeRegions';

export interface EnabledRegions {
  /** Region names, sorted, each once. */
  regions: string[];
  source: RegionSource;
  /** Why ListRegions was not used, when DescribeRegions answered instead (one line, no secret). */
  listRegionsFailure?: string;
}

/** K.7: ListRegions' MaxResults is 1–50; the largest page means the fewest calls. */
const LIST_REGIONS_PAGE = 50;
/** AWS has about 40 regions: one page. More pages than this means a NextToken loop; stop rather than spin. */
const MAX_PAGES = 20;
/** K.7: the statuses of a region that can be called. ENABLING and DISABLING are not (yet, any more). */
const ENABLED_STATUSES: RegionOptStatus[] = ['ENABLED', 'ENABLED_BY_DEFAULT'];
/** K.7: EC2's names for the same two states. */
const OPTED_IN = ['opt-in-not-required', 'opted-in'];

/** Neither API answered: the message names both failures and the IAM actions that would make one work. */
export class RegionDiscoveryError extends Error {
  override name = 'RegionDiscoveryError';
  constructor(
    readonly listRegionsError: unknown,
    readonly describeRegionsError: unknown,
  ) {
    super(
      `cannot list the regions enabled for this account: account:ListRegions failed (${classifyError(listRegionsError).reason}) ` +
        `and ec2:DescribeRegions failed (${classifyError(describeRegionsError).reason}); grant account:ListRegions ` +
        '(or ec2:DescribeRegions) to these credentials, or list the regions to poll with -r / regions',
      { cause: describeRegionsError },
    );
  }

  /** 'access-denied' when both were denied (a human must grant one), else how the last failure classifies. */
  get kind(): string {
    const first = classifyError(this.listRegionsError).kind;
    const second = classifyError(this.describeRegionsError).kind;
    return first === 'access-denied' && second === 'access-denied' ? 'access-denied' : second;
  }
}

/**
 * The enabled regions' names, sorted. `options.region` signs the calls and picks EC2's regional endpoint
 * (Account's is global). Rejects with RegionDiscoveryError when both APIs fail, or with `signal`'s reason.
 */
export async function listEnabledRegions(options: AwsClientOptions, signal?: AbortSignal): Promise<string[]> {
  return (await discoverEnabledRegions(options, signal)).regions;
}

/** listEnabledRegions, saying which API answered (for the log and `doctor`). */
export async function discoverEnabledRegions(options: AwsClientOptions, signal?: AbortSignal): Promise<EnabledRegions> {
  let listRegionsError: unknown;
  try {
    return { regions: await listRegions(options, signal), source: 'account:ListRegions' };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    // Denied (no account:ListRegions), or not served (a partition without Account Management, a proxy): ask EC2.
    listRegionsError = error;
  }
  try {
    const regions = await describeRegions(options, signal);
    return { regions, source: 'ec2:DescribeRegions', listRegionsFailure: classifyError(listRegionsError).reason };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw new RegionDiscoveryError(listRegionsError, error);
  }
}

async function listRegions(options: AwsClientOptions, signal: AbortSignal | undefined): Promise<string[]> {
  const client = createAccountClient(options);
  try {
    const names: string[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      // A fresh input each page, the filter identical on every page (the token is bound to it).
      const output: ListRegionsCommandOutput = await client.send(
        new ListRegionsCommand({
          RegionOptStatusContains: [...ENABLED_STATUSES],
          MaxResults: LIST_REGIONS_PAGE,
          ...(nextToken === undefined ? {} : { NextToken: nextToken }),
        }),
        { abortSignal: signal },
      );
      for (const region of output.Regions ?? []) {
        // Filtered again here: a status outside the filter must never become a polled region.
        if (region.RegionName && region.RegionOptStatus !== undefined && ENABLED_STATUSES.includes(region.RegionOptStatus)) names.push(region.RegionName);
      }
      nextToken = output.NextToken || undefined;
      if (nextToken === undefined) return sortedUnique(names);
    }
    throw new Error(`ListRegions still had a NextToken after ${MAX_PAGES} pages`);
  } finally {
    client.destroy();
  }
}

async function describeRegions(options: AwsClientOptions, signal: AbortSignal | undefined): Promise<string[]> {
  const { DescribeRegionsCommand } = await import('@aws-sdk/client-ec2');
  const client = await createEc2Client(options);
  try {
    const output = await client.send(
      new DescribeRegionsCommand({ Filters: [{ Name: 'opt-in-status', Values: [...OPTED_IN] }] }),
      { abortSignal: signal },
    );
    const names = (output.Regions ?? [])
      .filter((region) => OPTED_IN.includes(region.OptInStatus ?? ''))
      .flatMap((region) => (region.RegionName ? [region.RegionName] : []));
    return sortedUnique(names);
  } finally {
    client.destroy();
  }
}

function sortedUnique(names: readonly string[]): string[] {
  return [...new Set(names)].sort();
}
