/**
 * One CloudTrail event as the daemon handles it. Built from a LookupEvents `Event` (daemon) or from a raw
 * CloudTrail log record (replay). Every string in it is controlled by whoever made the API call: hostile.
 */
export interface TrailEvent {
  /** EventId / eventID (a GUID); a content hash when neither has one. Never empty. */
  id: string;
  /** e.g. `CreateBucket`; for an Insights record the API it is about; '' when nothing names the event. */
  name: string;
  /** e.g. `ec2.amazonaws.com`; 'unknown' when nothing says. */
  source: string;
  /** Event time, ms since the epoch (CloudTrail has whole seconds); 0 when unknown. Always inside Date's range. */
  time: number;
  /** The region whose Event history returned it (or the record's awsRegion). */
  region: string;
  /** false for write events; undefined when neither LookupEvents nor the record said. */
  readOnly: boolean | undefined;
  /** LookupEvents' top-level `Username` (from a log record: userIdentity.userName). Match callers with principal.ts. */
  username?: string;
  accessKeyId?: string;
  resources: EventResource[];
  /** The parsed CloudTrailEvent JSON; undefined when it was missing or not valid JSON. */
  record?: CloudTrailRecord;
  /** Why `record` is missing, when it is. */
  recordError?: string;
}

export interface EventResource {
  type?: string;
  name?: string;
}

/**
 * The CloudTrailEvent JSON (a CloudTrail log record). Every field optional, and the types below are what AWS
 * documents, not what a record is guaranteed to hold: read fields through src/events/untrusted.ts.
 */
export interface CloudTrailRecord {
  eventVersion?: string;
  userIdentity?: UserIdentity;
  eventTime?: string;
  eventSource?: string;
  eventName?: string;
  awsRegion?: string;
  sourceIPAddress?: string;
  userAgent?: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters?: unknown;
  responseElements?: unknown;
  requestID?: string;
  eventID?: string;
  readOnly?: boolean;
  resources?: Array<{ ARN?: string; accountId?: string; type?: string }>;
  eventType?: string;
  recipientAccountId?: string;
  managementEvent?: boolean;
  eventCategory?: string;
  [key: string]: unknown;
}

export interface UserIdentity {
  type?: string;
  principalId?: string;
  arn?: string;
  accountId?: string;
  accessKeyId?: string;
  userName?: string;
  invokedBy?: string;
  sessionContext?: {
    sessionIssuer?: { type?: string; principalId?: string; arn?: string; accountId?: string; userName?: string };
    webIdFederationData?: { federatedProvider?: string; attributes?: Record<string, unknown> };
    attributes?: { creationDate?: string; mfaAuthenticated?: string };
    sourceIdentity?: string;
    [key: string]: unknown;
  };
  onBehalfOf?: { userId?: string; identityStoreArn?: string };
  identityProvider?: string;
  credentialId?: string;
  [key: string]: unknown;
}
