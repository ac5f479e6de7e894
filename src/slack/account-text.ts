import { valueText } from './escape';

/**
 * How a Slack message names an AWS account (issue 10 item 4): "prod (123456789012)" when the account's name is
 * known (the config's `accounts[].name`, or the organisation listing: src/targets/account-directory.ts), the ID
 * alone otherwise. A name is set by whoever administers the organisation: untrusted text, escaped and set apart
 * like an event value (valueText: a plain token stays as it is, anything else goes in a code span) and cut.
 */

/** What knows account names: the AccountDirectory, or anything with its `nameOf`. */
export interface AccountNameSource {
  nameOf(id: string): string | undefined;
}

/** An account ID is 12 digits; a hostile record may hold anything, cut like any short value. */
export const MAX_ACCOUNT_ID = 64;
/**
 * Organizations' Account.Name is 1–50 characters (https://docs.aws.amazon.com/organizations/latest/APIReference/API_Account.html);
 * a config `name` may be longer: cut here, like any short event value.
 */
export const MAX_ACCOUNT_NAME = 64;

/** `prod (123456789012)`, `` `Prod &lt;team&gt;` (123456789012) ``, or `123456789012`: mrkdwn, escaped. */
export function accountText(id: string, accounts?: AccountNameSource): string {
  const shownId = valueText(id, MAX_ACCOUNT_ID);
  const name = accounts?.nameOf(id);
  return name === undefined || name === '' || name === id ? shownId : `${valueText(name, MAX_ACCOUNT_NAME)} (${shownId})`;
}
