import type { CloudTrailRecord } from '../events/types';
import { ACCOUNT_ID } from './account-book';

/** A LookupEvents `Event` as it travels on the wire (awsJson1_1: EventTime is epoch seconds, a number). */
export interface WireEvent {
  EventId?: string;
  EventName?: string;
  /** A string on the wire ("true"/"false"); inside CloudTrailEvent `readOnly` is a boolean (API-FACTS A.3). */
  ReadOnly?: string;
  AccessKeyId?: string;
  EventTime: number;
  EventSource?: string;
  Username?: string;
  Resources: Array<{ ResourceType?: string; ResourceName?: string }>;
  CloudTrailEvent?: string;
}

export interface AddRecordOptions {
  /** Whose Event history holds it; default the record's awsRegion, else us-east-1. */
  region?: string;
  /**
   * The account (12 digits) whose Event history holds it: only requests signed with a key of that account (per
   * the simulator's account book) see it. Its recipientAccountId is set to it when absent. Default: no account,
   * seen by keys the book does not know.
   */
  account?: string;
  /** Event time override, ms epoch (cut to whole seconds, as CloudTrail's). Also rewritten into the JSON. */
  eventTime?: number;
  /** When LookupEvents starts returning it, ms epoch; default the event time. Later = a "late" event. */
  visibleAt?: number;
  /** EventId override (also rewritten into the JSON), to reuse one record as many events. */
  eventId?: string;
  /** The raw CloudTrailEvent string to return instead of JSON.stringify(record); null omits the field. */
  cloudTrailEvent?: string | null;
  /**
   * An odd answer: these fields of the LookupEvents Event are sent as given, any JSON type (`Resources: 'x'`,
   * `EventTime: 'soon'`; undefined leaves a field out). Which queries return the event is still decided by its
   * stored time, region and ID, as if the service's index were right and its answer wrong.
   */
  wire?: Record<string, unknown>;
}

/** One event in a region's history, with what the simulator needs to order and hide it. */
export interface StoredEvent {
  region: string;
  /** '' when added without an account. */
  account: string;
  event: WireEvent;
  visibleAt: number;
  /** Insertion order: breaks ties between events of the same second (later insert = listed first). */
  seq: number;
  /** What is sent instead of `event` (AddRecordOptions.wire); undefined for a well-formed answer. */
  answer?: Record<string, unknown>;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function eventTimeMsOf(record: CloudTrailRecord, opts: AddRecordOptions, now: number): number {
  if (opts.eventTime !== undefined) return opts.eventTime;
  if (record.eventTime === undefined) return now;
  const parsed = Date.parse(String(record.eventTime));
  if (!Number.isFinite(parsed)) throw new RangeError(`record eventTime is not a date: ${String(record.eventTime)}`);
  return parsed;
}

/** ISO-8601 with whole seconds, the form CloudTrail writes (`2023-07-10T11:42:18Z`). */
function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The LookupEvents `Username`: the IAM user name, else (the simulator's choice) the role behind an assumed-role
 * session. Whether AWS puts the role or the session name there is UNCONFIRMED (API-FACTS B.5); the daemon does
 * not depend on it (src/events/principal.ts).
 */
function usernameOf(record: CloudTrailRecord): string | undefined {
  const identity = record.userIdentity;
  return nonEmpty(identity?.userName) ?? nonEmpty(identity?.sessionContext?.sessionIssuer?.userName);
}

/** Builds the stored LookupEvents `Event` for one CloudTrail log record. */
export function buildStoredEvent(
  record: CloudTrailRecord,
  opts: AddRecordOptions,
  seq: number,
  now: number,
): StoredEvent {
  const region = opts.region ?? nonEmpty(record.awsRegion) ?? 'us-east-1';
  const seconds = Math.floor(eventTimeMsOf(record, opts, now) / 1000);
  const rewritten: CloudTrailRecord = { ...record };
  if (opts.eventTime !== undefined) rewritten.eventTime = isoSeconds(seconds);
  if (opts.region !== undefined) rewritten.awsRegion = region;
  if (opts.eventId !== undefined) rewritten.eventID = opts.eventId;
  if (opts.account !== undefined && !ACCOUNT_ID.test(opts.account)) {
    throw new RangeError(`account is not a 12-digit account ID: ${JSON.stringify(opts.account)}`);
  }
  if (opts.account !== undefined && nonEmpty(record.recipientAccountId) === undefined) rewritten.recipientAccountId = opts.account;

  const event: WireEvent = {
    EventId: opts.eventId ?? nonEmpty(record.eventID),
    EventName: nonEmpty(record.eventName),
    ReadOnly: typeof record.readOnly === 'boolean' ? String(record.readOnly) : undefined,
    AccessKeyId: nonEmpty(record.userIdentity?.accessKeyId),
    EventTime: seconds,
    EventSource: nonEmpty(record.eventSource),
    Username: usernameOf(record),
    Resources: Array.isArray(record.resources)
      ? record.resources.map((r) => ({ ResourceType: nonEmpty(r?.type), ResourceName: nonEmpty(r?.ARN) }))
      : [],
    CloudTrailEvent: opts.cloudTrailEvent === null ? undefined : (opts.cloudTrailEvent ?? JSON.stringify(rewritten)),
  };
  const stored: StoredEvent = { region, account: opts.account ?? '', event, visibleAt: opts.visibleAt ?? seconds * 1000, seq };
  if (opts.wire !== undefined) stored.answer = { ...event, ...opts.wire };
  return stored;
}

/** Newest first: EventTime descending, then the later insert first (CloudTrail's tie order is UNCONFIRMED). */
export function compareNewestFirst(a: StoredEvent, b: StoredEvent): number {
  return b.event.EventTime - a.event.EventTime || b.seq - a.seq;
}
