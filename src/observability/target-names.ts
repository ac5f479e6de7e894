import { parseTargetKey } from '../targets/target';

/**
 * How people read a target (issue 10 item 4): the daemon's own account's targets (key = the region) are named
 * by their region alone, as before accounts existed; another account's by region and account, "name (id)" when
 * the account's name is known (src/targets/account-directory.ts). Account names are untrusted text: callers
 * escape the result for where it goes (Slack mrkdwn, HTML), as they escape event text.
 */

/** What names accounts: AccountDirectory or anything with its `describe`. */
export interface AccountNames {
  /** "prod (123456789012)", or the ID alone. */
  describe(id: string): string;
}

/** "region eu-west-1" (key `eu-west-1`), "region eu-west-1 of account prod (123456789012)" (key `123…/eu-west-1`). */
export function describeTarget(key: string, accounts?: AccountNames): string {
  const { account, region } = parseTargetKey(key);
  if (account === undefined) return `region ${region}`;
  return `region ${region} of account ${accounts === undefined ? account : accounts.describe(account)}`;
}
