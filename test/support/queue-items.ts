import { fromRecord } from '../../src/events/parse';
import type { CloudTrailRecord, TrailEvent } from '../../src/events/types';
import { actorKey } from '../../src/pipeline/plan';
import type { QueueItem } from '../../src/pipeline/types';
import type { Level } from '../../src/rules/decision';

export const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
export const ROLE_ARN = 'arn:aws:sts::111122223333:assumed-role/Deployer/terraform';

export interface ItemSpec {
  id?: string;
  name?: string;
  /** Event time, ms. */
  at?: number;
  arn?: string;
  region?: string;
  level?: Level;
  mention?: string;
  enqueuedAt?: number;
  resource?: string;
  errorCode?: string;
  /** Merged over the synthetic record last (hostile values). */
  record?: Partial<CloudTrailRecord>;
}

let counter = 0;

/** A QueueItem for the default webhook around a synthetic (labelled) CloudTrail record. */
export function queueItem(spec: ItemSpec = {}): QueueItem {
  counter += 1;
  const id = spec.id ?? `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
  const region = spec.region ?? 'eu-west-1';
  const record: CloudTrailRecord = {
    eventID: id,
    eventName: spec.name ?? 'CreateTags',
    eventSource: 'ec2.amazonaws.com',
    eventTime: new Date(spec.at ?? T0).toISOString(),
    awsRegion: region,
    readOnly: false,
    userIdentity: { type: 'AssumedRole', arn: spec.arn ?? ROLE_ARN, accountId: '111122223333' },
    recipientAccountId: '111122223333',
    resources: spec.resource === undefined ? [] : [{ type: 'AWS::EC2::Instance', ARN: spec.resource }],
    ...(spec.errorCode === undefined ? {} : { errorCode: spec.errorCode, errorMessage: 'denied' }),
    ...spec.record,
  };
  const event = fromRecord(record, region) as TrailEvent;
  const level = spec.level ?? 'informational';
  return {
    event,
    decision: { level, matched: [], muted: false, routes: [{ webhook: 'default', mention: spec.mention }] },
    webhook: 'default',
    mention: spec.mention,
    actor: actorKey(event),
    target: region,
    enqueuedAt: spec.enqueuedAt ?? T0 + counter,
  };
}
