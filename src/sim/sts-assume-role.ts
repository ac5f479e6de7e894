import type { SimAccountBook, SimSession } from './account-book';
import { SimAwsError, xmlText } from './aws-sim-base';

/**
 * STS AssumeRole as the service checks it (API-FACTS K.3): RoleSessionName 2–64 `[\w+=,.@-]*`, DurationSeconds
 * 900–43200 (default 3600) and at most the role's MaxSessionDuration, ExternalId 2–1224 `[\w+=,.@:/-]*` and equal
 * to the role's when its trust policy requires one. Parameter errors are HTTP 400 `ValidationError`; an unknown or
 * untrusting role, or a wrong external ID, is HTTP 403 `AccessDenied` naming the role (the service does not say
 * which of the three it was). The answer's XML is the shape the SDK accepts (K.4).
 */

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
export const MIN_DURATION_SECONDS = 900;
export const MAX_DURATION_SECONDS = 43_200;
export const DEFAULT_DURATION_SECONDS = 3600;

function validation(field: string, value: string, constraint: string): SimAwsError {
  return new SimAwsError(
    'ValidationError',
    400,
    `1 validation error detected: Value '${value.slice(0, 100)}' at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

function durationOf(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_DURATION_SECONDS;
  const seconds = /^\d{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!(seconds >= MIN_DURATION_SECONDS && seconds <= MAX_DURATION_SECONDS)) {
    throw validation('durationSeconds', raw, `Member must have value between ${MIN_DURATION_SECONDS} and ${MAX_DURATION_SECONDS}`);
  }
  return seconds;
}

/**
 * Checks one AssumeRole request and issues its session. `callerArn` names the caller in AccessDenied (as the
 * service's message does); `nowMs` is the simulator's time. Throws SimAwsError.
 */
export function assumeRole(
  book: SimAccountBook,
  params: Record<string, string>,
  callerArn: string,
  nowMs: number,
): SimSession {
  const roleArn = params.RoleArn ?? '';
  book.countAssumeRole(roleArn);
  if (roleArn.length < 20 || roleArn.length > 2048) {
    throw validation('roleArn', roleArn, 'Member must have length between 20 and 2048');
  }
  const sessionName = params.RoleSessionName ?? '';
  if (!SESSION_NAME.test(sessionName)) {
    throw validation('roleSessionName', sessionName, 'Member must have length between 2 and 64 and match [\\w+=,.@-]*');
  }
  const seconds = durationOf(params.DurationSeconds);
  const externalId = params.ExternalId;
  if (externalId !== undefined && !EXTERNAL_ID.test(externalId)) {
    throw validation('externalId', externalId, 'Member must have length between 2 and 1224 and match [\\w+=,.@:/-]*');
  }
  const role = book.role(roleArn);
  if (role === undefined || role.denied || (role.externalId !== undefined && role.externalId !== externalId)) {
    throw new SimAwsError('AccessDenied', 403, `User: ${callerArn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
  }
  if (seconds > role.maxSessionSeconds) {
    throw new SimAwsError('ValidationError', 400, 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  }
  return book.issueSession(role, sessionName, nowMs + seconds * 1000);
}

/** The assumed-role ARN STS gives a session: `arn:aws:sts::<account>:assumed-role/<role name>/<session name>`. */
export function assumedRoleArn(session: SimSession): string {
  return `arn:aws:sts::${session.account}:assumed-role/${session.role.name}/${session.sessionName}`;
}

/** The session's `aws:userid`: the role's ID (AROA…, derived from its ARN here) and the session name. */
export function assumedRoleId(session: SimSession): string {
  const id = Buffer.from(session.role.arn).toString('hex').toUpperCase().slice(-17);
  return `AROA${id}:${session.sessionName}`;
}

/** The AssumeRoleResult body (namespace and envelope added by the caller). */
export function assumeRoleResultXml(session: SimSession): string {
  return (
    '<AssumeRoleResult><Credentials>' +
    `<AccessKeyId>${session.accessKeyId}</AccessKeyId><SecretAccessKey>${xmlText(session.secretAccessKey)}</SecretAccessKey>` +
    `<SessionToken>${xmlText(session.sessionToken)}</SessionToken>` +
    `<Expiration>${new Date(session.expiration).toISOString()}</Expiration></Credentials>` +
    `<AssumedRoleUser><Arn>${xmlText(assumedRoleArn(session))}</Arn><AssumedRoleId>${xmlText(assumedRoleId(session))}</AssumedRoleId>` +
    '</AssumedRoleUser><PackedPolicySize>0</PackedPolicySize></AssumeRoleResult>'
  );
}
