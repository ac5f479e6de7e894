import { createHash } from 'node:crypto';
import type { CloudTrailRecord, EventResource, TrailEvent } from './types';

/** The fields of the SDK's LookupEvents `Event` that we use (kept structural so tests need not build SDK types). */
export interface LookupEvent {
  EventId?: string;
  EventName?: string;
  ReadOnly?: string;
  AccessKeyId?: string;
  EventTime?: Date;
  EventSource?: string;
  Username?: string;
  Resources?: Array<{ ResourceType?: string; ResourceName?: string }>;
  CloudTrailEvent?: string;
}

/** Parses a CloudTrailEvent JSON string; never throws. */
export function parseRecord(json: string | undefined): { record?: CloudTrailRecord; error?: string } {
  if (json === undefined || json === '') return { error: 'CloudTrailEvent is missing' };
  try {
    const value: unknown = JSON.parse(json);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return { error: 'CloudTrailEvent is not a JSON object' };
    }
    return { record: value as CloudTrailRecord };
  } catch (error) {
    return { error: `CloudTrailEvent is not valid JSON (${(error as Error).message.slice(0, 120)})` };
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function readOnlyOf(lookup: string | undefined, record: CloudTrailRecord | undefined): boolean | undefined {
  if (lookup === 'true') return true;
  if (lookup === 'false') return false;
  return typeof record?.readOnly === 'boolean' ? record.readOnly : undefined;
}

/**
 * A stable stand-in ID for an event that carries none (never seen, but dropping it would miss a change):
 * the same content gives the same ID on every re-read, so dedupe still works.
 */
export function contentId(content: string): string {
  return `sha256-${createHash('sha256').update(content).digest('hex').slice(0, 32)}`;
}

/** LookupEvents `Event` → TrailEvent. Never drops an event: one without an ID gets a content hash. */
export function fromLookupEvent(raw: LookupEvent, region: string): TrailEvent {
  const { record, error } = parseRecord(raw.CloudTrailEvent);
  const id = str(raw.EventId) ?? str(record?.eventID) ?? contentId(raw.CloudTrailEvent ?? JSON.stringify(raw));
  const time = raw.EventTime instanceof Date ? raw.EventTime.getTime() : Date.parse(String(record?.eventTime));
  const resources: EventResource[] = (raw.Resources ?? []).map((r) => ({
    type: str(r.ResourceType),
    name: str(r.ResourceName),
  }));
  return {
    id,
    name: str(raw.EventName) ?? str(record?.eventName) ?? 'UnknownEvent',
    source: str(raw.EventSource) ?? str(record?.eventSource) ?? 'unknown',
    time: Number.isFinite(time) ? time : 0,
    region,
    readOnly: readOnlyOf(raw.ReadOnly, record),
    username: str(raw.Username),
    accessKeyId: str(raw.AccessKeyId),
    resources,
    record,
    recordError: error,
  };
}

/** A CloudTrail log record (S3 file, JSONL) → TrailEvent, for replay. Undefined when it has no eventID. */
export function fromRecord(record: CloudTrailRecord, fallbackRegion = 'us-east-1'): TrailEvent | undefined {
  const id = str(record.eventID);
  if (id === undefined) return undefined;
  const time = Date.parse(String(record.eventTime));
  const resources: EventResource[] = Array.isArray(record.resources)
    ? record.resources.map((r) => ({ type: str(r?.type), name: str(r?.ARN) }))
    : [];
  return {
    id,
    name: str(record.eventName) ?? 'UnknownEvent',
    source: str(record.eventSource) ?? 'unknown',
    time: Number.isFinite(time) ? time : 0,
    region: str(record.awsRegion) ?? fallbackRegion,
    readOnly: typeof record.readOnly === 'boolean' ? record.readOnly : undefined,
    username: str(record.userIdentity?.userName),
    accessKeyId: str(record.userIdentity?.accessKeyId),
    resources,
    record,
  };
}
