import type { Classification } from './classify';

/**
 * What an AWS Organizations failure (ListAccounts, organisation discovery) means, for the errors whose meaning
 * differs from CloudTrail's: "access denied" here is not a missing cloudtrail:LookupEvents in one region but a
 * call from the wrong account (K.6: "You can only call this operation from the management account or a member
 * account that is a delegated administrator"), which only a human can fix. undefined for every other error:
 * the caller classifies it like any AWS error (network, expired token, 5xx).
 */
export function classifyOrganizationsError(error: unknown, reason: string): Classification | undefined {
  const name = (error as { name?: unknown } | null)?.name;
  const fatal = { action: 'fatal' as const, scope: 'process' as const, reason, escalates: false };
  switch (name) {
    case 'AccessDeniedException':
    case 'AccessDenied':
      return {
        ...fatal,
        kind: 'organizations-denied',
        advice:
          'call from the management account or a delegated administrator, with organizations:ListAccounts allowed (or list the accounts in config `accounts`)',
      };
    case 'AWSOrganizationsNotInUseException':
      return {
        ...fatal,
        kind: 'organizations-not-in-use',
        advice:
          'these credentials belong to no organisation: call from the management account or a delegated administrator (or list the accounts in config `accounts`)',
      };
    case 'TooManyRequestsException':
      return {
        action: 'back-off', scope: 'request', kind: 'throttled', reason, escalates: true,
        advice: 'Organizations is throttling ListAccounts: another tool may be calling it; discovery retries on its own',
      };
    default:
      return undefined;
  }
}
