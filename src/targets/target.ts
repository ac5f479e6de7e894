/**
 * The unit of work (issue 10): a target is one (account, region) pair. Every poller, rate limiter, state file,
 * metric series and status row belongs to one target, named by its key:
 *
 * - the single-account daemon (no `accounts` nor `organization` in the config) keys its targets by region alone
 *   (`eu-west-1`), so state file names, logs and alert keys stay what they were;
 * - with `accounts` or `organization`, the key is `<account-id>/<region>` (`123456789012/eu-west-1`). Neither an
 *   account ID (12 digits) nor a region name holds a `/`, so the key splits back without ambiguity.
 *
 * The key is also what shards hash (src/targets/shard.ts).
 */

/** An AWS account ID: exactly 12 digits (https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html). */
export const ACCOUNT_ID_PATTERN = /^\d{12}$/;

/**
 * One account of the config's `accounts` list, or one found by `organization` discovery. Reached by, in order:
 * `roleArn` (AssumeRole from the base credentials, session `cloudtrail-slack`, API-FACTS K.4), else `profile` (its
 * own profile in ~/.aws), else the base credentials themselves (the account they belong to).
 */
export interface AccountSpec {
  /** 12 digits. */
  id: string;
  /** A human name (config `name`, or the organisation's account name): shown beside the ID everywhere. */
  name?: string;
  roleArn?: string;
  /** AssumeRole's ExternalId, 2–1224 characters of `[\w+=,.@:/-]` (API-FACTS K.3). */
  externalId?: string;
  profile?: string;
  /** Overrides the global region list for this account. */
  regions?: string[];
}

/** Config `organization`: the accounts come from Organizations ListAccounts (API-FACTS K.6), refreshed hourly. */
export interface OrganizationConfig {
  /** The role assumed in each member account: `arn:<partition>:iam::<id>:role/<roleName>`. */
  roleName: string;
  externalId?: string;
  /** Account IDs never watched. */
  exclude: string[];
  /** Overrides the global region list for every discovered account. */
  regions?: string[];
}

export interface Target {
  /** `region`, or `<account-id>/<region>` (module docstring). */
  key: string;
  /** The account's ID; undefined for the single account of the credentials (its ID comes from STS, if at all). */
  account: string | undefined;
  region: string;
}

/** The key of (account, region): the region alone for the single account (`account` undefined). */
export function targetKey(account: string | undefined, region: string): string {
  return account === undefined ? region : `${account}/${region}`;
}

/** Splits a target key back into its parts (the inverse of targetKey). */
export function parseTargetKey(key: string): { account: string | undefined; region: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { account: undefined, region: key } : { account: key.slice(0, slash), region: key.slice(slash + 1) };
}

/**
 * What an alert's key concerns: a target key (`eu-west-1`, `<account-id>/<region>`), or an account ID alone for an
 * account-wide alert (`account-unusable`: no region, a region name is never 12 digits).
 */
export function parseAlertKey(key: string): { account: string | undefined; region: string | undefined } {
  return ACCOUNT_ID_PATTERN.test(key) ? { account: key, region: undefined } : parseTargetKey(key);
}

export function makeTarget(account: string | undefined, region: string): Target {
  return { key: targetKey(account, region), account, region };
}

/**
 * Every target of `accounts` (each with its own regions, else `regions`), in the accounts' order then the regions';
 * undefined `accounts`: the single account's targets, one per region. Duplicates are dropped.
 */
export function targetsOf(accounts: readonly AccountSpec[] | undefined, regions: readonly string[]): Target[] {
  const seen = new Set<string>();
  const out: Target[] = [];
  const add = (target: Target) => {
    if (seen.has(target.key)) return;
    seen.add(target.key);
    out.push(target);
  };
  if (accounts === undefined) for (const region of regions) add(makeTarget(undefined, region));
  else for (const account of accounts) for (const region of account.regions ?? regions) add(makeTarget(account.id, region));
  return out;
}

/** "prod (123456789012)" when the account has a name, else the ID; the ID alone is never hidden. */
export function describeAccount(id: string, name?: string): string {
  return name === undefined || name === '' || name === id ? id : `${name} (${id})`;
}
