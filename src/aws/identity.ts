import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { DEFAULT_REGIONS } from '../config/types';
import { systemClock, type Clock } from '../lib/clock';
import { createStsClient, type AwsClientOptions } from './clients';

/**
 * Who am I: STS GetCallerIdentity, which needs no permission and cannot be denied (API-FACTS K.2), gives the
 * account and the principal the daemon runs as. Logs, alert emails, Slack messages and metrics name them.
 */

export interface CallerIdentity {
  /** The 12-digit account ID. */
  account: string;
  /** The principal's ARN, e.g. `arn:aws:sts::123456789012:assumed-role/Role/session` (20–2048 chars, K.2). */
  arn: string;
  /** The `aws:userid` value (`AIDA…`, or `AROA…:session` for a role). */
  userId: string;
}

/** Asks STS who the credentials belong to; rejects as the SDK does, or with IdentityTimeoutError. */
export type WhoAmI = (signal?: AbortSignal) => Promise<CallerIdentity>;

export interface WhoAmIOptions extends AwsClientOptions {
  /** The whole call, connection included, in ms. Default 10 s: the daemon waits for it before "ready". */
  timeoutMs?: number;
  /** Bounds the call (tests pass a ManualClock). Default the system clock. */
  clock?: Clock;
}

export const DEFAULT_WHO_AM_I_TIMEOUT_MS = 10_000;

/** The call outlived its timeout: a network problem, classified transient (name `TimeoutError`, API-FACTS B.3). */
export class IdentityTimeoutError extends Error {
  override name = 'TimeoutError';
  constructor(timeoutMs: number) {
    super(`STS GetCallerIdentity did not answer within ${timeoutMs} ms`);
  }
}

/** STS answered with something that is not an identity (a proxy's page, a broken simulator). */
export class IdentityAnswerError extends Error {
  override name = 'IdentityAnswerError';
}

const ACCOUNT = /^\d{12}$/;
/** K.2: 20–2048 characters; ARNs and user IDs are printable ASCII without spaces. */
const ARN = /^arn:[a-z0-9-]+:(?:sts|iam)::\d{12}:[\x21-\x7e]{1,2000}$/;
const USER_ID = /^[\x21-\x7e]{1,256}$/;

/**
 * The STS region (K.2: STS is regional): the first configured region that every account has enabled, else the
 * first configured region, else AWS_REGION as the config loader read it, else us-east-1. An opt-in region that is
 * not enabled answers InvalidClientTokenId like bad keys do (A.5), which at start is fatal: it must not be asked
 * when an always-enabled region is configured too.
 */
export function stsRegionFor(regions: readonly string[], awsRegion?: string): string {
  const enabledEverywhere = regions.find((region) => DEFAULT_REGIONS.includes(region));
  return enabledEverywhere ?? regions[0] ?? (awsRegion !== undefined && awsRegion !== '' ? awsRegion : 'us-east-1');
}

/**
 * One GetCallerIdentity with its own client (closed afterwards), bounded by `timeoutMs`. Resolves to the
 * identity; rejects with the SDK's error (classify it with classifyError (src/errors/classify.ts): InvalidClientTokenId is
 * 'unrecognized-client', ExpiredToken 'expired-token', a refused connection 'transient'), IdentityTimeoutError,
 * IdentityAnswerError, or `signal`'s reason.
 */
export async function whoAmI(options: WhoAmIOptions, signal?: AbortSignal): Promise<CallerIdentity> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WHO_AM_I_TIMEOUT_MS;
  const clock = options.clock ?? systemClock;
  const client = createStsClient({ ...options, requestTimeoutMs: options.requestTimeoutMs ?? timeoutMs });
  const call = new AbortController();
  const timer = new AbortController();
  const onStop = () => call.abort(signal?.reason);
  signal?.addEventListener('abort', onStop, { once: true });
  try {
    signal?.throwIfAborted();
    const timedOut = clock.sleep(timeoutMs, timer.signal).then(
      () => {
        const error = new IdentityTimeoutError(timeoutMs);
        call.abort(error);
        throw error;
      },
      () => new Promise<never>(() => undefined), // the answer came first: this timer was cancelled
    );
    const answer = client.send(new GetCallerIdentityCommand({}), { abortSignal: call.signal });
    const output = await Promise.race([answer, timedOut]);
    return checkIdentity({ account: output.Account, arn: output.Arn, userId: output.UserId });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (call.signal.reason instanceof IdentityTimeoutError) throw call.signal.reason;
    throw error;
  } finally {
    timer.abort();
    signal?.removeEventListener('abort', onStop);
    client.destroy();
  }
}

/** Refuses an answer that is not an account and an ARN: the values end up in logs, emails and metric labels. */
function checkIdentity(raw: { account?: string; arn?: string; userId?: string }): CallerIdentity {
  const { account, arn, userId } = raw;
  if (account === undefined || !ACCOUNT.test(account) || arn === undefined || !ARN.test(arn) || userId === undefined || !USER_ID.test(userId)) {
    throw new IdentityAnswerError('STS GetCallerIdentity answered without a valid Account, Arn and UserId');
  }
  return { account, arn, userId };
}
