import type { CloudTrailRecord } from '../../src/events/types';
import type { ReceivedMessage } from '../../src/sim/slack-server';

/**
 * synthetic: a `terraform apply` burst, as issue 8 describes it: write events from ONE actor in one region (each
 * tagging its own instance, so no two share a digest line), with one successful StopLogging (the built-in pack
 * rates it critical) in the middle. IDs are GUIDs built from the index, so a message names them verbatim.
 */

export const BURST_ACCOUNT = '111122223333';
export const BURST_ACTOR = {
  type: 'AssumedRole',
  principalId: 'AROAEXAMPLEDEPLOYER:terraform',
  arn: `arn:aws:sts::${BURST_ACCOUNT}:assumed-role/Deployer/terraform`,
  accountId: BURST_ACCOUNT,
  accessKeyId: 'ASIAEXAMPLEDEPLOYER1',
};

export function burstId(i: number, tag = 'b'): string {
  const hex = tag.charCodeAt(0).toString(16).padStart(4, '0');
  return `00000000-${hex}-4000-8000-${String(i).padStart(12, '0')}`;
}

function write(i: number, region: string, time: number, tag: string): CloudTrailRecord {
  const instance = `i-${i.toString(16).padStart(17, '0')}`;
  return {
    eventVersion: '1.09',
    userIdentity: BURST_ACTOR,
    eventTime: new Date(time).toISOString(),
    eventSource: 'ec2.amazonaws.com',
    eventName: 'CreateTags',
    awsRegion: region,
    sourceIPAddress: '203.0.113.10',
    userAgent: 'APN/1.0 HashiCorp/1.0 Terraform/1.5.7',
    requestParameters: { resourcesSet: { items: [{ resourceId: instance }] }, tagSet: { items: [{ key: 'team', value: 'platform' }] } },
    responseElements: { _return: true },
    requestID: burstId(i, 'r'),
    eventID: burstId(i, tag),
    readOnly: false,
    resources: [{ ARN: `arn:aws:ec2:${region}:${BURST_ACCOUNT}:instance/${instance}`, accountId: BURST_ACCOUNT, type: 'AWS::EC2::Instance' }],
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: BURST_ACCOUNT,
    eventCategory: 'Management',
  };
}

/** A successful StopLogging (no errorCode): the pack's "CloudTrail logging stopped" rule, level critical. */
export function stopLogging(region: string, time: number, id: string, name = 'StopLogging'): CloudTrailRecord {
  return {
    eventVersion: '1.09',
    userIdentity: BURST_ACTOR,
    eventTime: new Date(time).toISOString(),
    eventSource: 'cloudtrail.amazonaws.com',
    eventName: name,
    awsRegion: region,
    sourceIPAddress: '203.0.113.10',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: { name: `arn:aws:cloudtrail:${region}:${BURST_ACCOUNT}:trail/main` },
    responseElements: null,
    requestID: `${id.slice(0, -4)}ffff`,
    eventID: id,
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: BURST_ACCOUNT,
    eventCategory: 'Management',
  };
}

export interface Burst {
  records: CloudTrailRecord[];
  /** Every event ID, oldest first. */
  ids: string[];
  stopId: string;
  /** Event time of each ID. */
  times: Map<string, number>;
}

/** `count` writes one second apart from `start`, with a StopLogging after the first half. */
export function makeBurst(count: number, region: string, start: number, tag = 'b'): Burst {
  const stopId = burstId(999_999, tag);
  const records: CloudTrailRecord[] = [];
  const times = new Map<string, number>();
  for (let i = 0; i < count; i += 1) {
    const time = start + i * 1000;
    if (i === Math.floor(count / 2)) {
      records.push(stopLogging(region, time - 500, stopId));
      times.set(stopId, time - 500);
    }
    records.push(write(i, region, time, tag));
    times.set(burstId(i, tag), time);
  }
  const ids = records.map((r) => String(r.eventID));
  return { records, ids, stopId, times };
}

/** The IDs of `ids` each message names (a digest names every event it carries: a line or a counted repeat). */
export function idsPerMessage(messages: readonly Pick<ReceivedMessage, 'raw'>[], ids: readonly string[]): string[][] {
  const known = new Set(ids);
  return messages.map((m) => [...new Set([...m.raw.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g)].map((x) => x[0]))].filter((id) => known.has(id)));
}
