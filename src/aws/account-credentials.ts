import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { doesIdentityRequireRefresh, memoizeIdentityProvider } from '@smithy/core';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { Clock } from '../lib/clock';
import { baseClientConfig } from './clients';
import { createRateLimiter, type RateLimiter } from '../lib/rate-limiter';
import type { AccountSpec } from '../targets/target';

/**
 * Credentials per account (issue 10 item 1): one provider per account, built once and shared by every regional
 * client of that account, so an assumed-role session is fetched once per account whatever its number of regions
 * (API-FACTS K.4: each SDK client memoizes on its own, which would assume the role once per client).
 *
 * - `roleArn`: AssumeRole from the base credentials (session `cloudtrail-slack`, 1 hour, the account's ExternalId),
 *   signed for an explicit STS region (K.4: else the first calling client's, which may be a disabled opt-in region);
 * - `profile`: that profile of ~/.aws (fromIni, K.5);
 * - neither: the base credentials (`--creds-profile`, else the SDK's default chain).
 *
 * Every STS call the providers make goes through one shared limiter (STS_CALLS_PER_SECOND), so starting or
 * refreshing a hundred accounts is a steady trickle, never a burst.
 */

/** Shows in the assumed-role ARN and in the member account's own CloudTrail (K.3: 2–64 characters of [\w+=,.@-]). */
export const ROLE_SESSION_NAME = 'cloudtrail-slack';
/**
 * One hour: the most a chained role allows (K.3: a daemon on an EC2, ECS or EKS role is chaining), and the default.
 * With the memoizer below it means one AssumeRole per account per hour (the bench's goal).
 */
export const ROLE_SESSION_SECONDS = 3600;
/**
 * Refresh a session this long before it expires: the SDK's own margin (K.4, @smithy/core EXPIRATION_MS), so a
 * request never leaves with credentials about to lapse.
 */
export const REFRESH_BEFORE_MS = 300_000;
/**
 * STS pace for the whole daemon: "a few per second". AssumeRole has no quota in API-FACTS K; this keeps a start
 * of 100 accounts under a minute while never bursting against the base account's STS.
 */
export const STS_CALLS_PER_SECOND = 5;

/**
 * The limit of each AssumeRole request: 5 s, not the 30 s of the other clients (src/aws/clients.ts), so a hanging
 * STS holds an account's start or a poller's step at most this long, half the default 10 s shutdown budget
 * (src/config/bounds.ts shutdownTimeoutSeconds; its 0.1 s minimum is below any STS round trip, so the stop signal,
 * not this limit, is what keeps a stop prompt). STS answers in well under a second when healthy.
 */
export const STS_REQUEST_TIMEOUT_MS = 5_000;

export type CredentialsProvider = AwsCredentialIdentityProvider;

export interface AccountCredentialsOptions {
  /** The base credentials: `--creds-profile`'s profile, else undefined for the SDK's default chain. */
  profile?: string;
  /** Replaces the base credentials (tests: static keys the simulator knows). */
  base?: AwsCredentialIdentity | CredentialsProvider;
  /** Where AssumeRole is signed (stsRegionFor: the first region every account has enabled). */
  stsRegion: string;
  /** A local STS (tests); else AWS, or AWS_ENDPOINT_URL_STS as the SDK reads it. */
  stsEndpoint?: string;
  /** Times the sessions (when to refresh) and paces STS. */
  clock: Clock;
  /** STS calls per second for every provider together; default STS_CALLS_PER_SECOND. */
  stsCallsPerSecond?: number;
  /** The daemon's stop: a provider waiting for the STS pace stops waiting (rejects with its reason). */
  signal?: AbortSignal;
}

export interface AccountCredentials {
  /** The account's provider, the same object on every call for the same account settings. */
  providerFor(account: AccountSpec): CredentialsProvider;
  /** The shared STS limiter: take it before any other STS call made for an account (the start-up check). */
  readonly stsLimiter: RateLimiter;
}

export function createAccountCredentials(options: AccountCredentialsOptions): AccountCredentials {
  const { clock } = options;
  const stsLimiter = createRateLimiter({ perSecond: options.stsCallsPerSecond ?? STS_CALLS_PER_SECOND, clock });
  // Judged on the daemon's clock, not Date.now(): the same rule as the SDK's, testable without waiting an hour.
  const isExpired = (identity: { expiration?: Date }) =>
    identity.expiration !== undefined && identity.expiration.getTime() - clock.now() < REFRESH_BEFORE_MS;
  const memoize = (provider: CredentialsProvider): CredentialsProvider =>
    memoizeIdentityProvider(provider, isExpired, doesIdentityRequireRefresh) as CredentialsProvider;
  const paced = (provider: CredentialsProvider): CredentialsProvider => async (props) => {
    await stsLimiter.take(options.signal);
    return provider(props);
  };
  const baseSource = options.base ?? (options.profile !== undefined ? fromIni({ profile: options.profile }) : fromNodeProviderChain());
  const base = typeof baseSource === 'function' ? memoize(baseSource) : baseSource;
  const cache = new Map<string, CredentialsProvider>();

  const build = (account: AccountSpec): CredentialsProvider => {
    if (account.roleArn !== undefined) {
      const assume = fromTemporaryCredentials({
        params: {
          RoleArn: account.roleArn,
          RoleSessionName: ROLE_SESSION_NAME,
          DurationSeconds: ROLE_SESSION_SECONDS,
          ...(account.externalId === undefined ? {} : { ExternalId: account.externalId }),
        },
        masterCredentials: base,
        clientConfig: {
          region: options.stsRegion,
          ...(options.stsEndpoint === undefined ? {} : { endpoint: options.stsEndpoint }),
          // One layer owns each retry: a denied role is retried by the account supervisor, every few minutes.
          maxAttempts: 1,
          // Bounded like every other client (src/aws/clients.ts): a hanging STS must not hold an account's start.
          requestHandler: baseClientConfig({ region: options.stsRegion, requestTimeoutMs: STS_REQUEST_TIMEOUT_MS }).requestHandler,
        },
      });
      return memoize(paced(assume));
    }
    if (account.profile !== undefined) return memoize(fromIni({ profile: account.profile }));
    return typeof base === 'function' ? base : async () => base;
  };

  return {
    stsLimiter,
    providerFor(account) {
      // Keyed by every field that changes how the account is reached: an organisation refresh that hands back the
      // same account keeps its session; a changed role or profile gets a new one.
      const key = JSON.stringify([account.id, account.roleArn ?? null, account.externalId ?? null, account.profile ?? null]);
      let provider = cache.get(key);
      if (provider === undefined) {
        provider = build(account);
        cache.set(key, provider);
      }
      return provider;
    },
  };
}
