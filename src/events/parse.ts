import { createHash } from 'node:crypto';
import { readInsight } from './insight';
import type { CloudTrailRecord, EventResource, TrailEvent } from './types';
import { flagOf, isObject, jsonOf, objectOf, textOf, timeOf, type Obj } from './untrusted';

/**
 * Turning what LookupEvents (daemon) or a log file (replay) holds into a TrailEvent. Both readers accept ANY value
 * and never throw: the AWS SDK passes unexpected JSON types through unchanged (a `Resources` string, an `EventId`
 * number, a `CloudTrailEvent` object), and one odd event must never stall a region (issue 7, item 4). An odd
 * event is still read as far as it goes and delivered; sane fields are guaranteed:
 * - `id` a non-empty string (a content hash when neither the Event nor the record has one);
 * - `name`, `source` strings (`name` is '' when nothing names the event: see format-insight.ts for its message);
 * - `time` a finite ms epoch inside a Date's range, else 0 (unknown);
 * - `readOnly` a boolean or undefined; `resources` an array of `{type?, name?}` strings;
 * - `record` a plain object or undefined (with `recordError` saying why). Its own fields stay untrusted:
 *   read them through src/events/untrusted.ts.
 */

/**
 * The fields of the SDK's LookupEvents `Event` that we use. Kept structural, and `unknown` on purpose: the SDK
 * does not check the types of what the service answers.
 */
export interface LookupEvent {
  EventId?: unknown;
  EventName?: unknown;
  ReadOnly?: unknown;
  AccessKeyId?: unknown;
  EventTime?: unknown;
  EventSource?: unknown;
  Username?: unknown;
  Resources?: unknown;
  CloudTrailEvent?: unknown;
}

/** The CloudTrailEvent field as a record: a JSON string (as documented) or an object already; never throws. */
export function parseRecord(value: unknown): { record?: CloudTrailRecord; error?: string } {
  if (isObject(value)) return { record: value as CloudTrailRecord };
  if (value === undefined || value === null || value === '') return { error: 'CloudTrailEvent is missing' };
  if (typeof value !== 'string') return { error: 'CloudTrailEvent is not a JSON object' };
  try {
    const parsed: unknown = JSON.parse(value);
    return isObject(parsed) ? { record: parsed as CloudTrailRecord } : { error: 'CloudTrailEvent is not a JSON object' };
  } catch (error) {
    return { error: `CloudTrailEvent is not valid JSON (${(error as Error).message.slice(0, 120)})` };
  }
}

/**
 * A stable stand-in ID for an event that carries none (never seen, but dropping it would miss a change):
 * the same content gives the same ID on every re-read, so dedupe still works.
 */
export function contentId(content: string): string {
  return `sha256-${createHash('sha256').update(content).digest('hex').slice(0, 32)}`;
}

/** The record's own name and source; an Insights record names the API it is about (insightDetails). */
function namesOf(record: CloudTrailRecord | undefined): { name?: string; source?: string } {
  if (record === undefined) return {};
  const insight = readInsight(record);
  return {
    name: textOf(record.eventName) ?? insight?.eventName,
    source: textOf(record.eventSource) ?? insight?.eventSource,
  };
}

/** A LookupEvents `Resources` value: normally a list of {ResourceType, ResourceName}; tolerate anything. */
function lookupResources(value: unknown, record: CloudTrailRecord | undefined): EventResource[] {
  if (typeof value === 'string' || isObject(value)) return lookupResources([value], record);
  if (!Array.isArray(value)) return recordResources(record?.resources);
  return value.flatMap((item) => {
    if (typeof item === 'string') return item.trim() === '' ? [] : [{ name: item }];
    return isObject(item) ? resource(item.ResourceType, item.ResourceName) : [];
  });
}

/** A record's `resources`: normally a list of {ARN, accountId, type}; tolerate anything. */
function recordResources(value: unknown): EventResource[] {
  const list: unknown[] = Array.isArray(value) ? value : isObject(value) ? [value] : [];
  return list.flatMap((item) => {
    if (typeof item === 'string') return item.trim() === '' ? [] : [{ name: item }];
    return isObject(item) ? resource(item.type, item.ARN) : [];
  });
}

/** One resource without undefined keys; none when neither part is text. */
function resource(type: unknown, name: unknown): EventResource[] {
  const out: EventResource = {};
  const t = textOf(type);
  const n = textOf(name);
  if (t !== undefined) out.type = t;
  if (n !== undefined) out.name = n;
  return t === undefined && n === undefined ? [] : [out];
}

function identityOf(record: CloudTrailRecord | undefined): Obj {
  return objectOf(record?.userIdentity);
}

/** LookupEvents `Event` (any value) → TrailEvent. Never drops an event: one without an ID gets a content hash. */
export function fromLookupEvent(raw: unknown, region: string): TrailEvent {
  const item: LookupEvent = objectOf(raw);
  const { record, error } = parseRecord(item.CloudTrailEvent);
  const own = namesOf(record);
  const id = textOf(item.EventId) ?? textOf(record?.eventID) ?? contentId(typeof item.CloudTrailEvent === 'string' ? item.CloudTrailEvent : jsonOf(raw));
  const event: TrailEvent = {
    id,
    name: textOf(item.EventName) ?? own.name ?? '',
    source: textOf(item.EventSource) ?? own.source ?? 'unknown',
    time: timeOf(item.EventTime) ?? timeOf(record?.eventTime) ?? 0,
    region,
    readOnly: flagOf(item.ReadOnly) ?? flagOf(record?.readOnly),
    resources: lookupResources(item.Resources, record),
  };
  const username = textOf(item.Username);
  const accessKeyId = textOf(item.AccessKeyId) ?? textOf(identityOf(record).accessKeyId);
  if (username !== undefined) event.username = username;
  if (accessKeyId !== undefined) event.accessKeyId = accessKeyId;
  if (record !== undefined) event.record = record;
  if (error !== undefined) event.recordError = error;
  return event;
}

/**
 * A CloudTrail log record (S3 file, JSONL) → TrailEvent, for replay. Undefined when it has no eventID (or is not
 * an object). Never throws.
 */
export function fromRecord(record: CloudTrailRecord, fallbackRegion = 'us-east-1'): TrailEvent | undefined {
  if (!isObject(record)) return undefined;
  const id = textOf(record.eventID);
  if (id === undefined) return undefined;
  const own = namesOf(record);
  const identity = identityOf(record);
  const event: TrailEvent = {
    id,
    name: own.name ?? '',
    source: own.source ?? 'unknown',
    time: timeOf(record.eventTime) ?? 0,
    region: textOf(record.awsRegion) ?? fallbackRegion,
    readOnly: flagOf(record.readOnly),
    resources: recordResources(record.resources),
    record,
  };
  const username = textOf(identity.userName);
  const accessKeyId = textOf(identity.accessKeyId);
  if (username !== undefined) event.username = username;
  if (accessKeyId !== undefined) event.accessKeyId = accessKeyId;
  return event;
}
