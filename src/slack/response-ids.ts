import type { TrailEvent } from '../events/types';
import { isObject } from '../events/untrusted';

/**
 * The new IDs an API call's response names (a created access key, launched instances, a new security group…):
 * what a reader needs to find, revoke or delete what the call made. Read from the record's `responseElements`
 * through a table of well-known paths, per event source and name, never by searching the response, so a hostile
 * or huge response costs a bounded walk and yields at most MAX_RESPONSE_IDS values. Values are raw event data:
 * the caller escapes and cuts them (escape.ts).
 */

export interface ResponseId {
  /** Our words for what was created, e.g. `access key`, `instance`. */
  label: string;
  /** As the record holds it (untrusted). */
  value: string;
}

export interface ResponseIds {
  ids: ResponseId[];
  /** Values found beyond MAX_RESPONSE_IDS, counted but not returned. */
  omitted: number;
}

/** Shown per message; a RunInstances of 50 instances lists 5 and counts the rest (Slack budget, format.ts). */
export const MAX_RESPONSE_IDS = 5;
/** Array elements read per path step: bounds the walk over a hostile 100,000-element list. */
const MAX_ELEMENTS = 100;

interface Entry {
  source: string;
  events: readonly string[];
  /** Dotted keys; `key[]` reads every element of a list there (or the one value, when the record has one). */
  path: string;
  label: string;
}

// Shapes from real CloudTrail records (test/fixtures/cloudtrail/events.jsonl) and the services' response syntax.
const EC2 = 'ec2.amazonaws.com';
const IAM = 'iam.amazonaws.com';
const ENTRIES: readonly Entry[] = [
  { source: IAM, events: ['CreateAccessKey'], path: 'accessKey.accessKeyId', label: 'access key' },
  { source: IAM, events: ['CreateUser'], path: 'user.userId', label: 'user ID' },
  { source: IAM, events: ['CreateRole'], path: 'role.roleId', label: 'role ID' },
  { source: IAM, events: ['CreateGroup'], path: 'group.groupId', label: 'group ID' },
  { source: IAM, events: ['CreatePolicy'], path: 'policy.policyId', label: 'policy ID' },
  { source: IAM, events: ['CreateInstanceProfile'], path: 'instanceProfile.instanceProfileId', label: 'instance profile ID' },
  { source: IAM, events: ['CreateVirtualMFADevice'], path: 'virtualMFADevice.serialNumber', label: 'MFA device' },
  { source: IAM, events: ['CreateServiceSpecificCredential'], path: 'serviceSpecificCredential.serviceSpecificCredentialId', label: 'service credential' },
  {
    source: 'sts.amazonaws.com',
    events: ['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity', 'GetSessionToken', 'GetFederationToken'],
    path: 'credentials.accessKeyId',
    label: 'temporary access key',
  },
  { source: EC2, events: ['RunInstances'], path: 'instancesSet.items[].instanceId', label: 'instance' },
  { source: EC2, events: ['CreateSecurityGroup'], path: 'groupId', label: 'security group' },
  {
    source: EC2,
    events: ['AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress'],
    path: 'securityGroupRuleSet.items[].securityGroupRuleId',
    label: 'security group rule',
  },
  { source: EC2, events: ['CreateVpc'], path: 'vpc.vpcId', label: 'VPC' },
  { source: EC2, events: ['CreateSubnet'], path: 'subnet.subnetId', label: 'subnet' },
  { source: EC2, events: ['CreateVolume'], path: 'volumeId', label: 'volume' },
  { source: EC2, events: ['CreateSnapshot', 'CopySnapshot'], path: 'snapshotId', label: 'snapshot' },
  { source: EC2, events: ['CreateImage', 'RegisterImage', 'CopyImage'], path: 'imageId', label: 'image' },
  { source: EC2, events: ['CreateKeyPair', 'ImportKeyPair'], path: 'keyPairId', label: 'key pair' },
  { source: EC2, events: ['AllocateAddress'], path: 'allocationId', label: 'Elastic IP allocation' },
  { source: EC2, events: ['CreateInternetGateway'], path: 'internetGateway.internetGatewayId', label: 'internet gateway' },
  { source: EC2, events: ['CreateRouteTable'], path: 'routeTable.routeTableId', label: 'route table' },
  { source: EC2, events: ['CreateNetworkInterface'], path: 'networkInterface.networkInterfaceId', label: 'network interface' },
  { source: EC2, events: ['CreateNatGateway'], path: 'CreateNatGatewayResponse.natGateway.natGatewayId', label: 'NAT gateway' },
  { source: EC2, events: ['CreateFlowLogs'], path: 'CreateFlowLogsResponse.flowLogIdSet.item[]', label: 'flow log' },
  { source: EC2, events: ['CreateLaunchTemplate'], path: 'launchTemplate.launchTemplateId', label: 'launch template' },
  { source: 'kms.amazonaws.com', events: ['CreateKey'], path: 'keyMetadata.keyId', label: 'KMS key' },
  { source: 'lambda.amazonaws.com', events: ['CreateFunction'], path: 'functionArn', label: 'function' },
  { source: 'rds.amazonaws.com', events: ['CreateDBInstance'], path: 'dBInstanceArn', label: 'DB instance' },
  { source: 'rds.amazonaws.com', events: ['CreateDBSnapshot', 'CopyDBSnapshot'], path: 'dBSnapshotArn', label: 'DB snapshot' },
  { source: 'secretsmanager.amazonaws.com', events: ['CreateSecret'], path: 'arn', label: 'secret' },
  { source: 'cloudtrail.amazonaws.com', events: ['CreateTrail'], path: 'trailARN', label: 'trail' },
  { source: 'ssm.amazonaws.com', events: ['SendCommand'], path: 'command.commandId', label: 'command' },
  { source: 'guardduty.amazonaws.com', events: ['CreateDetector'], path: 'detectorId', label: 'detector' },
  { source: 'organizations.amazonaws.com', events: ['CreateAccount'], path: 'createAccountStatus.id', label: 'account request' },
];

const BY_CALL = new Map<string, Entry[]>();
for (const entry of ENTRIES) {
  for (const name of entry.events) {
    const key = `${entry.source} ${name}`;
    BY_CALL.set(key, [...(BY_CALL.get(key) ?? []), entry]);
  }
}

/** Lambda's event names carry the API version: `CreateFunction20150331`, `UpdateFunctionCode20150331v2`. */
function baseName(name: string): string {
  return name.replace(/20\d{6}(v\d+)?$/, '');
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
}

/**
 * The text values at `path` under `root` (dotted keys, `key[]` for every element of a list), at most `limit` of
 * them, and how many there were. Own keys only; never throws.
 */
export function valuesAt(root: unknown, path: string, limit: number): { values: string[]; found: number } {
  let nodes: unknown[] = [root];
  for (const step of path.split('.')) {
    const many = step.endsWith('[]');
    const key = many ? step.slice(0, -2) : step;
    const next: unknown[] = [];
    for (const node of nodes) {
      if (!isObject(node) || !Object.hasOwn(node, key)) continue;
      const value = node[key];
      if (many && Array.isArray(value)) next.push(...value.slice(0, MAX_ELEMENTS));
      else next.push(value);
    }
    nodes = next.slice(0, MAX_ELEMENTS);
  }
  const texts = nodes.map(scalarText).filter((text): text is string => text !== undefined);
  return { values: texts.slice(0, limit), found: texts.length };
}

/** The IDs the call's response names as new, per the table above; empty for any other call or a failed one. */
export function responseIdsOf(event: TrailEvent): ResponseIds {
  const record = event.record;
  if (record === undefined || record.errorCode != null) return { ids: [], omitted: 0 };
  const entries = BY_CALL.get(`${event.source} ${baseName(event.name)}`) ?? [];
  const ids: ResponseId[] = [];
  let omitted = 0;
  for (const entry of entries) {
    const { values, found } = valuesAt(record.responseElements, entry.path, MAX_RESPONSE_IDS - ids.length);
    ids.push(...values.map((value) => ({ label: entry.label, value })));
    omitted += found - values.length;
  }
  return { ids, omitted };
}
