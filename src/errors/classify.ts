/**
 * The one place that says what an error means (DESIGN.md "Next shape": errors are classified once). Every error
 * the daemon meets (AWS SDK, Slack, state files, SMTP, configuration) becomes a Classification: what to do, for
 * which scope, a kind (the alert and log name), and one line of advice for a human. Callers act on the
 * Classification and never look at a raw error's name, code or status themselves.
 */
import { classifyAwsError, describeAwsError, type AwsErrorKind } from '../cloudtrail/client';
import { ConfigError, FatalError, isAbortError } from '../lib/errors';
import { StateReadError, StateWriteError } from '../state/state-errors';
import { adviceFor } from '../state/state-errors';
import { SlackRefusedError, SlackUnavailableError } from './slack';
import { classifySmtpError } from './smtp';
import { classifyOrganizationsError } from './organizations';

/**
 * - retry: try the same request again soon (the layer that owns it paces it);
 * - back-off: wait longer after each failure in a row, then try again;
 * - pause-target: this target (region, webhook) cannot work now; ask again rarely, the others go on;
 * - stop-account: the credentials of the whole account are unusable (a provider may still refresh them);
 * - fatal: a human must act; the daemon stops (exit 77, or 78 for configuration) after its alert.
 */
export type ErrorAction = 'retry' | 'back-off' | 'pause-target' | 'stop-account' | 'fatal';
export type ErrorScope = 'request' | 'target' | 'webhook' | 'account' | 'process';

export interface Classification {
  action: ErrorAction;
  scope: ErrorScope;
  /** The kind alerts, logs and metrics use: 'throttled', 'access-denied', 'state-unwritable', … */
  kind: string;
  /** What a human should do, one line. */
  advice: string;
  /** What went wrong, one secret-free line. */
  reason: string;
  /**
   * Whether a run of these failures in one target becomes that target's own alert ('region-failing' or
   * 'throttled') after alertAfterMinutes. False when the failure is alerted once where it happens (a state
   * write: one state-unwritable alert for every region), so a cause is never reported twice.
   */
  escalates: boolean;
}

/** Where the error came from, when its type alone does not say (an SMTP error is a plain Error with a code). */
export type ErrorSource = 'cloudtrail' | 'smtp' | 'organizations';

const AWS_ADVICE: Record<AwsErrorKind | 'unexpected', string> = {
  throttled:
    'LookupEvents keeps being throttled: another tool may be calling it in this account and region; lower its rate or lookupRequestsPerSecond',
  transient: 'check network access to CloudTrail and the daemon log; the region retries on its own',
  'unrecognized-client': 'enable the region for the account, or remove it from regions',
  'access-denied': 'allow cloudtrail:LookupEvents in this region (check SCPs and IAM conditions)',
  'expired-token': 'renew the AWS credentials (aws sso login, new keys, or an instance role) and restart',
  'no-credentials': 'check --creds-profile / AWS_PROFILE, or give the host credentials (keys, SSO, an instance role)',
  'invalid-next-token': 'none: the window is read again from its first page',
  'invalid-time-range': 'check this host\'s clock (is NTP running?); the region retries on its own',
  aborted: 'none: the daemon is stopping',
  'fatal-other':
    'AWS refused the request itself, which no retry fixes: check the daemon version and the log, then restart (report it if it persists)',
  unexpected: 'read the daemon log around this time; the region retries on its own',
};

/** The classification of `error`; never throws, whatever it is given. */
export function classifyError(error: unknown, source?: ErrorSource): Classification {
  if (source === 'smtp') return classifySmtpError(error);
  if (source === 'organizations') {
    const organizations = classifyOrganizationsError(error, describeAwsError(error));
    if (organizations !== undefined) return organizations;
  }
  if (error instanceof StateWriteError) {
    return {
      action: 'back-off', scope: 'process', kind: 'state-unwritable', reason: error.message, escalates: false,
      advice: `${adviceFor(error.code, dirOf(error.path))}; until then delivered events may be posted again after a restart`,
    };
  }
  if (error instanceof StateReadError) {
    return { action: 'fatal', scope: 'target', kind: 'state-unreadable', reason: error.problem, advice: error.advice, escalates: false };
  }
  if (error instanceof SlackRefusedError) {
    return { action: 'fatal', scope: 'webhook', kind: 'slack-refused', reason: error.message, escalates: false,
      advice: 'check that the incoming webhook still exists and its channel is not archived' };
  }
  if (error instanceof SlackUnavailableError) {
    return { action: 'back-off', scope: 'webhook', kind: 'slack-failing', reason: error.message, escalates: false,
      advice: 'check Slack status and this host\'s network; nothing is lost meanwhile' };
  }
  if (error instanceof ConfigError) {
    return { action: 'fatal', scope: 'process', kind: 'config', reason: error.message, advice: 'fix the setting named above, then start again', escalates: false };
  }
  if (error instanceof FatalError) {
    // Our own fatal errors say what to do in their message.
    return { action: 'fatal', scope: 'process', kind: error.kind, reason: error.message, advice: 'fix the cause above, then start again', escalates: false };
  }
  if (isAbortError(error)) return aws('aborted', error);
  return aws(awsKindOf(error), error);
}

function aws(kind: AwsErrorKind | 'unexpected', error: unknown): Classification {
  const reason = describeAwsError(error);
  const advice = AWS_ADVICE[kind];
  switch (kind) {
    case 'throttled':
    case 'transient':
      return { action: 'back-off', scope: 'request', kind, reason, advice, escalates: true };
    case 'invalid-next-token':
    case 'aborted':
      return { action: 'retry', scope: 'request', kind, reason, advice, escalates: false };
    case 'unrecognized-client':
    case 'access-denied':
      // Judged across regions (cloudtrail/region-health.ts): one region → pause it; every region → fatal.
      return { action: 'pause-target', scope: 'target', kind, reason, advice, escalates: true };
    case 'expired-token':
    case 'no-credentials':
      return { action: 'stop-account', scope: 'account', kind, reason, advice, escalates: true };
    case 'fatal-other':
      return { action: 'fatal', scope: 'process', kind, reason, advice, escalates: false };
    default:
      return { action: 'back-off', scope: 'target', kind, reason, advice, escalates: true };
  }
}

/**
 * classifyAwsError's kind, except that 'fatal-other' is kept for what AWS itself answered (a service error with
 * HTTP metadata): anything else (a bug, an odd value thrown) is 'unexpected' and retried, so that one odd event
 * never stops the daemon (DESIGN principle 4).
 */
function awsKindOf(error: unknown): AwsErrorKind | 'unexpected' {
  const kind = classifyAwsError(error);
  if (kind !== 'fatal-other') return kind;
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? 'fatal-other' : 'unexpected';
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash > 0 ? path.slice(0, slash) : path;
}
