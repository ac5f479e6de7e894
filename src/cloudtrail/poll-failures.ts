/**
 * What a region poller says when something goes wrong: the fatal errors (with what a human should do), and the
 * alerts for conditions a human should look at while the poller carries on.
 */
import { FatalError } from '../lib/errors';
import type { Logger } from '../logging/logger';
import type { RegionState } from '../state/region-state';
import type { Alerter } from '../alerts/alerter';
import type { Classification } from '../errors/classify';

export interface FailureDeps {
  region: string;
  log: Logger;
  alerter: Pick<Alerter, 'alert' | 'recovered'>;
  loadState(): Promise<RegionState>;
}

/** How long a region that answered "not enabled" or "access denied" waits before asking again. */
export const DISABLED_REGION_RETRY_MS = 60 * 60 * 1000;
export const DENIED_REGION_RETRY_MS = 30 * 60 * 1000;

export async function loadOrFail(deps: FailureDeps): Promise<RegionState> {
  try {
    return await deps.loadState();
  } catch (error) {
    if (error instanceof FatalError) throw error;
    throw new FatalError(
      `cannot read the state of ${deps.region} (${(error as Error).message}); fix the state folder's permissions and restart`,
      'state-unreadable',
      { cause: error },
    );
  }
}

/** Slack rejected an event twice (rich, then plain) on `webhook` (its config name, never its URL). */
export async function reportUndeliverable(
  deps: Pick<FailureDeps, 'region' | 'alerter'>,
  eventId: string,
  error: string,
  webhook = 'default',
): Promise<void> {
  const where = webhook === 'default' ? '' : ` on webhook "${webhook}"`;
  await deps.alerter.alert({
    kind: 'undeliverable',
    region: deps.region,
    reason: `Slack rejected event ${eventId}${where} twice (${error}), also as plain text`,
    action: `look the event up in the CloudTrail console; it is listed in the state folder's .undeliverable.jsonl file`,
  });
}

/** The offset fell out of CloudTrail's 90 days (a very long outage): those events are gone; say so loudly. */
export async function reportExpired(deps: FailureDeps, offset: number, resumeAt: number): Promise<void> {
  const reason = `events between ${new Date(offset).toISOString()} and ${new Date(resumeAt).toISOString()} are past Event history's 90 days and were never posted`;
  deps.log.error({ from: new Date(offset).toISOString(), to: new Date(resumeAt).toISOString() }, 'events expired before delivery');
  await deps.alerter.alert({ kind: 'events-expired', region: deps.region, reason, action: 'review CloudTrail (S3 logs, if a trail exists) for that period' });
}

export function regionAuthDelay(kind: 'unrecognized-client' | 'access-denied'): number {
  return kind === 'unrecognized-client' ? DISABLED_REGION_RETRY_MS : DENIED_REGION_RETRY_MS;
}

export function authFatal(kind: 'unrecognized-client' | 'access-denied', reason: string, cause: unknown): FatalError {
  if (kind === 'access-denied') {
    return new FatalError(
      `access denied in every region (${reason}); grant cloudtrail:LookupEvents to these credentials (see the README's IAM policy)`,
      'access-denied',
      { cause },
    );
  }
  return new FatalError(
    `AWS rejected the credentials in every region (${reason}); check the profile or access keys`,
    'credentials',
    { cause },
  );
}

/** The log line for an auth failure in one region: it claims "only here" only when another region works. */
export function authMessage(kind: 'unrecognized-client' | 'access-denied', scope: 'region' | 'unknown'): string {
  if (kind === 'unrecognized-client') {
    return scope === 'region'
      ? 'region answers UnrecognizedClientException while others work: it is probably not enabled for this account'
      : 'region answers UnrecognizedClientException; the other regions have not answered yet (a region not enabled for this account, or bad credentials)';
  }
  return scope === 'region'
    ? 'access denied in this region only (an SCP or a region condition in the IAM policy?)'
    : 'access denied in this region; the other regions have not answered yet';
}

export function credentialsFatal(kind: 'expired-token' | 'no-credentials', reason: string, cause: unknown): FatalError {
  const what = kind === 'expired-token'
    ? 'AWS credentials have expired and were not refreshed'
    : 'no usable AWS credentials were found';
  return new FatalError(
    `${what} (${reason}); check --creds-profile / AWS_PROFILE, renew them (aws sso login, new keys, or an instance role) and restart`,
    'credentials',
    { cause },
  );
}

/** A fatal classification as the FatalError the daemon stops on (exit 77 through reportFatal, with its alert). */
export function fatalOf(what: Classification, cause: unknown): FatalError {
  return new FatalError(`${what.reason}; ${what.advice}`, what.kind, { cause });
}
