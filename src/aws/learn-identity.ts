import { FatalError } from '../lib/errors';
import type { Clock } from '../lib/clock';
import type { Logger } from '../logging/logger';
import { classifyError } from '../errors/classify';
import { credentialsFatal } from '../cloudtrail/poll-failures';
import type { CallerIdentity } from './identity';

/**
 * The daemon's "who am I" at start (issue 9 item 3): ask STS once before "ready"; log `running as` once; keep
 * the answer where alert emails, Slack messages and metrics read it. Bad or expired credentials stop the start
 * as today's credential failures do (FatalError 'credentials', exit 77); a network failure is one warning, the
 * daemon runs on with the account unknown, and asks again in the background until STS answers.
 */

/** Where the identity is kept once known; readers subscribe (the metrics' `cloudtrail_slack_identity_info`). */
export interface IdentityCell {
  current(): CallerIdentity | undefined;
  /** Calls `listener` when the identity becomes known (at once if it already is); returns an unsubscribe. */
  onKnown(listener: (identity: CallerIdentity) => void): () => void;
  set(identity: CallerIdentity): void;
}

export function createIdentityCell(): IdentityCell {
  let identity: CallerIdentity | undefined;
  const listeners = new Set<(identity: CallerIdentity) => void>();
  return {
    current: () => identity,
    onKnown(listener) {
      if (identity !== undefined) listener(identity);
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(next) {
      identity = next;
      for (const listener of listeners) listener(next);
    },
  };
}

export interface LearnIdentityDeps {
  whoAmI(signal: AbortSignal): Promise<CallerIdentity>;
  cell: IdentityCell;
  clock: Clock;
  log: Logger;
  /** First wait before asking again after a failure, in ms; doubles up to retryMaxMs. Default 1 min. */
  retryFirstMs?: number;
  /** Default 1 h: a daemon that runs for months needs no faster answer, and STS is not asked every minute. */
  retryMaxMs?: number;
}

const RETRY_FIRST_MS = 60_000;
const RETRY_MAX_MS = 60 * 60_000;

/**
 * Asks once. Resolves when the identity is known, or with `retrying` (the background loop, ended by `signal`)
 * after a failure that is not the credentials' fault. Rejects with FatalError('credentials') when STS rejects the
 * credentials (InvalidClientTokenId, ExpiredToken, none found), or with `signal`'s reason.
 */
export async function learnIdentity(deps: LearnIdentityDeps, signal: AbortSignal): Promise<{ retrying?: Promise<void> }> {
  try {
    known(deps, await deps.whoAmI(signal));
    return {};
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    const { kind, reason } = classifyError(error);
    if (kind === 'unrecognized-client') {
      // STS needs no permission (K.2): a rejection is the credentials', never a region's or a policy's.
      throw new FatalError(`AWS STS rejected the credentials (${reason}); check the profile or access keys`, 'credentials', { cause: error });
    }
    if (kind === 'expired-token' || kind === 'no-credentials') throw credentialsFatal(kind, reason, error);
    deps.log.warn({ err: reason, errorKind: kind }, 'cannot tell which AWS account this is (STS GetCallerIdentity failed); running on, asking again later');
    return { retrying: retry(deps, signal) };
  }
}

async function retry(deps: LearnIdentityDeps, signal: AbortSignal): Promise<void> {
  let wait = deps.retryFirstMs ?? RETRY_FIRST_MS;
  const max = deps.retryMaxMs ?? RETRY_MAX_MS;
  while (!signal.aborted) {
    try {
      await deps.clock.sleep(wait, signal);
      known(deps, await deps.whoAmI(signal));
      return;
    } catch (error) {
      if (signal.aborted) return;
      const { kind, reason } = classifyError(error);
      deps.log.debug({ err: reason, errorKind: kind, retryMs: wait }, 'STS GetCallerIdentity failed again');
      wait = Math.min(max, wait * 2);
    }
  }
}

function known(deps: LearnIdentityDeps, identity: CallerIdentity): void {
  deps.cell.set(identity);
  deps.log.info({ account: identity.account, arn: identity.arn, userId: identity.userId }, 'running as');
}
