import type { TrailEvent } from '../events/types';
import { flagOf, isObject, objectOf } from '../events/untrusted';
import { responseIdsOf, valuesAt } from './response-ids';

/**
 * What a single-event message says about an API call, read from the untrusted record without ever throwing:
 * whether it failed, the account, MFA, the caller's ARN and access key, and which resource it acted on. Every
 * value returned is raw event data; format.ts escapes and cuts it.
 */

/** A string, number or boolean from the untrusted record as text; anything else (objects, null, blank) is absent. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

export interface Failure {
  /** errorCode, or for a failed sign-in (no errorCode) its errorMessage, else `Failure`. */
  code: string;
  message?: string;
}

/**
 * How the call failed, or undefined when it did not: `errorCode` is absent on success (issue 8, field facts);
 * sign-in events (ConsoleLogin, CheckMfa, SwitchRole…) report a failure as `responseElements.<EventName>:
 * "Failure"` with an errorMessage and no errorCode.
 */
export function failureOf(event: TrailEvent): Failure | undefined {
  const record = event.record;
  const code = textOf(record?.errorCode);
  const message = textOf(record?.errorMessage);
  if (code !== undefined) return message === undefined ? { code } : { code, message };
  const response = objectOf(record?.responseElements);
  if (event.name !== '' && Object.hasOwn(response, event.name) && response[event.name] === 'Failure') {
    return { code: message ?? 'Failure' };
  }
  return undefined;
}

/** The account the call happened in: the record's recipientAccountId, else the caller's account. */
export function accountOf(event: TrailEvent): string | undefined {
  return textOf(event.record?.recipientAccountId) ?? textOf(objectOf(event.record?.userIdentity).accountId);
}

/**
 * Whether the caller used MFA, when the record says: a sign-in's `additionalEventData.MFAUsed` (`Yes`/`No`),
 * else the session's `sessionContext.attributes.mfaAuthenticated` (`true`/`false`).
 */
export function mfaOf(event: TrailEvent): boolean | undefined {
  const used = objectOf(event.record?.additionalEventData).MFAUsed;
  if (typeof used === 'string' && /^(yes|no)$/i.test(used.trim())) return used.trim().toLowerCase() === 'yes';
  const session = objectOf(objectOf(event.record?.userIdentity).sessionContext);
  return flagOf(objectOf(session.attributes).mfaAuthenticated);
}

export function callerArnOf(event: TrailEvent): string | undefined {
  return textOf(objectOf(event.record?.userIdentity).arn);
}

/** The caller's access key (LookupEvents' AccessKeyId or userIdentity.accessKeyId); a console session has none. */
export function accessKeyIdOf(event: TrailEvent): string | undefined {
  return textOf(event.accessKeyId) ?? textOf(objectOf(event.record?.userIdentity).accessKeyId);
}

/** The resource a call acted on, as the headline names it. */
export interface Target {
  name: string;
  /** How many more resources the same source names (`on i-1 and 2 more`). */
  more: number;
  from: 'resources' | 'request' | 'response';
  /** The requestParameters key it came from, when `from` is `request`. */
  key?: string;
}

/**
 * Request parameters that name the resource a call acts on, most specific first (so AttachUserPolicy names the
 * user, not the policy). Paths as in response-ids.ts.
 */
const REQUEST_TARGETS: readonly string[] = [
  'bucketName', 'trailName', 'userName', 'roleName', 'groupName', 'instanceProfileName', 'functionName', 'keyId',
  'groupId', 'instanceId', 'volumeId', 'snapshotId', 'imageId', 'vpcId', 'subnetId', 'detectorId', 'secretId',
  'dBInstanceIdentifier', 'dBSnapshotIdentifier', 'keyName', 'tableName', 'topicArn', 'queueUrl', 'stackName',
  'logGroupName', 'repositoryName', 'clusterName', 'policyArn', 'name', 'resourceArn',
  'instancesSet.items[].instanceId', 'resourcesSet.items[].resourceId',
];

/**
 * Which resource the call acted on: LookupEvents' or the record's resources first, else the request parameters
 * that name one, else the first ID the response created. Undefined when none says (a sign-in, for example).
 */
export function targetOf(event: TrailEvent): Target | undefined {
  const named = event.resources.filter((r) => textOf(r?.name) !== undefined);
  const first = named[0]?.name;
  if (first !== undefined) return { name: first, more: named.length - 1, from: 'resources' };
  const request = event.record?.requestParameters;
  if (isObject(request)) {
    for (const key of REQUEST_TARGETS) {
      const { values, found } = valuesAt(request, key, 1);
      if (values[0] !== undefined) return { name: values[0], more: found - 1, from: 'request', key };
    }
  }
  const { ids, omitted } = responseIdsOf(event);
  const id = ids[0];
  return id === undefined ? undefined : { name: id.value, more: ids.length - 1 + omitted, from: 'response' };
}

/** A resource as a headline shows it: an ARN loses `arn:partition:service:region:account:` (shown elsewhere). */
export function shortResource(name: string): string {
  return /^arn:[^:]*:[^:]*:[^:]*:[^:]*:(.+)$/s.exec(name)?.[1] ?? name;
}

/**
 * requestParameters as compact JSON, or undefined when it says nothing the headline does not: absent, null,
 * empty, or only the key the headline's resource came from. Never throws.
 */
export function requestSummaryOf(event: TrailEvent, target: Target | undefined): string | undefined {
  const value = event.record?.requestParameters;
  if (value === undefined || value === null) return undefined;
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0 || (keys.length === 1 && target?.from === 'request' && keys[0] === target.key)) return undefined;
  }
  try {
    return JSON.stringify(value);
  } catch {
    return '(unserialisable)';
  }
}
