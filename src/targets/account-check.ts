import type { AwsCredentials } from '../aws/clients';
import type { AccountCredentials } from '../aws/account-credentials';
import type { CallerIdentity } from '../aws/identity';
import type { LookupClient } from '../cloudtrail/client';
import { classifyError } from '../errors/classify';
import type { Logger } from '../logging/logger';
import { describeAccount, type AccountSpec } from './target';

/**
 * Whether an account can be reached (issue 10 item 3), asked before "ready" and on each retry of a paused account:
 * STS GetCallerIdentity with the account's own credentials. It needs no permission (API-FACTS K.2), so it fails
 * only on the credentials themselves; for an account reached by a role it first assumes the role, which fails on
 * the trust policy or the base identity's sts:AssumeRole. The answer's account must be the one configured: a
 * profile pointing at the wrong account would otherwise have its events named after another one.
 */

export type AccountVerdict =
  | { usable: true }
  | { usable: false; kind: string; reason: string; advice: string };

export type AccountCheck = (account: AccountSpec, signal: AbortSignal) => Promise<AccountVerdict>;

export interface AccountCheckDeps {
  credentials: AccountCredentials;
  /** GetCallerIdentity with these credentials (src/aws/identity.ts whoAmI, signed for the STS region). */
  whoAmI(credentials: AwsCredentials, signal: AbortSignal): Promise<CallerIdentity>;
  log: Logger;
  /** Names accounts in log lines ("prod (123456789012)"). */
  describe(id: string): string;
}

/** The kinds that mean "this account's credentials are unusable"; anything else (network, 5xx) is not the account's. */
const UNUSABLE = new Set(['access-denied', 'unrecognized-client', 'expired-token', 'no-credentials']);

export function createAccountCheck(deps: AccountCheckDeps): AccountCheck {
  return async (account, signal) => {
    try {
      await deps.credentials.stsLimiter.take(signal);
      const identity = await deps.whoAmI(deps.credentials.providerFor(account), signal);
      if (identity.account !== account.id) {
        return {
          usable: false,
          kind: 'account-mismatch',
          reason: `its credentials belong to account ${identity.account}, not ${account.id}`,
          advice: `${howReached(account)} reaches another account: fix the account's id, roleArn or profile in the config`,
        };
      }
      return { usable: true };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const what = classifyError(error);
      if (UNUSABLE.has(what.kind)) return { usable: false, kind: what.kind, reason: what.reason, advice: adviceFor(account, what.kind, 'credentials') };
      // STS unreachable or failing: not the account's fault. Its pollers try, and judge it by LookupEvents' answers.
      deps.log.warn({ account: account.id, err: what.reason, errorKind: what.kind }, 'cannot check the account\'s credentials now; polling it anyway');
      return { usable: true };
    }
  };
}

/** How the account is reached, for advice. */
function howReached(account: AccountSpec): string {
  if (account.roleArn !== undefined) return `the role ${account.roleArn}`;
  if (account.profile !== undefined) return `the profile "${account.profile}"`;
  return 'the daemon\'s own credentials';
}

/**
 * What a human should do about an unusable account: `stage` 'credentials' (STS refused) or 'lookup' (its
 * credentials work, LookupEvents is refused in every region).
 */
export function adviceFor(account: AccountSpec, kind: string, stage: 'credentials' | 'lookup'): string {
  const who = describeAccount(account.id, account.name);
  if (stage === 'lookup' && kind === 'access-denied') {
    return `allow cloudtrail:LookupEvents to ${howReached(account)} in ${who} (check its IAM policy and any SCP); the account is retried every few minutes`;
  }
  if (stage === 'lookup') {
    // A.5: UnrecognizedClientException in every region, while STS accepts the credentials: no region is enabled.
    return `none of the regions polled answers for ${who} (opt-in regions not enabled?): enable them, or give the account its own \`regions\` in the config`;
  }
  if (account.roleArn !== undefined) {
    if (kind === 'access-denied') {
      return `let the daemon assume ${account.roleArn}: the role's trust policy must trust the daemon's account or principal` +
        `${account.externalId === undefined ? '' : ' with this ExternalId (sts:ExternalId condition)'}, and the daemon's identity needs sts:AssumeRole on the role`;
    }
    return 'the base credentials that assume the role are unusable: check --creds-profile / AWS_PROFILE or the host\'s credentials, and renew them';
  }
  if (account.profile !== undefined) {
    return `check the profile "${account.profile}" in ~/.aws/credentials and ~/.aws/config (it must exist, with valid, unexpired keys or a role)`;
  }
  return 'check the daemon\'s own credentials (--creds-profile / AWS_PROFILE, keys, SSO or an instance role) and renew them';
}

export interface LookupProbeDeps {
  /** The account's credentials provider (src/aws/account-credentials.ts). */
  credentialsFor(account: AccountSpec): AwsCredentials;
  /** A CloudTrail client for one region of the account; destroyed after the one request. */
  createClient(region: string, account: { id: string; credentials: AwsCredentials }): LookupClient & { destroy?(): void };
  /** The regions polled for an account without its own `regions`. */
  regions: readonly string[];
  now(): number;
}

/**
 * Whether LookupEvents answers for the account: one request (the last minute, one page) in the account's first
 * region. What resumes an account paused because LookupEvents was denied: STS accepts its credentials all along
 * (K.2: GetCallerIdentity needs no permission), so only LookupEvents answering shows the policy was fixed.
 */
export function createLookupProbe(deps: LookupProbeDeps): AccountCheck {
  return async (account, signal) => {
    const region = (account.regions ?? deps.regions)[0];
    if (region === undefined) return { usable: true };
    const client = deps.createClient(region, { id: account.id, credentials: deps.credentialsFor(account) });
    try {
      const end = deps.now();
      await client.lookupEvents({ start: end - 60_000, end }, signal);
      return { usable: true };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const what = classifyError(error);
      return { usable: false, kind: what.kind, reason: what.reason, advice: adviceFor(account, what.kind, 'lookup') };
    } finally {
      client.destroy?.();
    }
  };
}
