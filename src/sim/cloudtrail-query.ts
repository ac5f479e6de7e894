import { createHash } from 'node:crypto';
import { EVENT_HISTORY_RETENTION_MS } from '../cloudtrail/retention';
import { SimServiceError } from './cloudtrail-errors';
import type { StoredEvent, WireEvent } from './cloudtrail-events';

/** LookupEvents' AttributeKey enum; case-sensitive ("Value names are case sensitive", API-FACTS A.2). */
export const ATTRIBUTE_KEYS = [
  'EventId',
  'EventName',
  'ReadOnly',
  'Username',
  'ResourceType',
  'ResourceName',
  'EventSource',
  'AccessKeyId',
] as const;
type AttributeKey = (typeof ATTRIBUTE_KEYS)[number];

const MAX_RESULTS = 50;
const MAX_ATTRIBUTE_VALUE = 2000;
const RETENTION_SECONDS = EVENT_HISTORY_RETENTION_MS / 1000;

export interface LookupQuery {
  attribute?: { key: AttributeKey; value: string };
  insightsOnly: boolean;
  startSec: number;
  endSec: number;
  maxResults: number;
  /** Where the previous page stopped (the last event returned), from NextToken. */
  after?: { time: number; seq: number };
  /** Binds a NextToken to the exact parameters (and region) of the query that issued it. */
  hash: string;
}

function fail(code: string, message: string): never {
  throw new SimServiceError(code, 400, message);
}

function readTime(body: Record<string, unknown>, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  // awsJson1_1 timestamps are epoch seconds as JSON numbers, fractions allowed (API-FACTS A.1).
  if (typeof value !== 'number' || !Number.isFinite(value)) fail('SerializationException', `${field} must be a number`);
  return value;
}

/** AttributeValue's length rule: `_`, space, `,` and newline count as two characters each. */
function weightedLength(value: string): number {
  return value.length + (value.match(/[_ ,\n]/g)?.length ?? 0);
}

function readAttribute(body: Record<string, unknown>): LookupQuery['attribute'] {
  const list = body.LookupAttributes;
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) fail('SerializationException', 'LookupAttributes must be a list');
  if (list.length === 0) return undefined;
  if (list.length > 1) fail('InvalidLookupAttributesException', 'You can specify only one lookup attribute.');
  const item = list[0] as { AttributeKey?: unknown; AttributeValue?: unknown } | null;
  const key = item?.AttributeKey;
  if (typeof key !== 'string' || !(ATTRIBUTE_KEYS as readonly string[]).includes(key)) {
    fail('InvalidLookupAttributesException', `AttributeKey must be one of ${ATTRIBUTE_KEYS.join(', ')}`);
  }
  const value = item?.AttributeValue;
  if (typeof value !== 'string' || value === '' || weightedLength(value) > MAX_ATTRIBUTE_VALUE) {
    fail('InvalidLookupAttributesException', `AttributeValue must be 1 to ${MAX_ATTRIBUTE_VALUE} characters`);
  }
  // Strict on purpose (the real answer to other values is UNCONFIRMED): catches 'False' or a boolean.
  if (key === 'ReadOnly' && value !== 'true' && value !== 'false') {
    fail('InvalidLookupAttributesException', 'The ReadOnly attribute value must be true or false');
  }
  return { key: key as AttributeKey, value };
}

function hashParameters(region: string, body: Record<string, unknown>, maxResults: number): string {
  const attributes = Array.isArray(body.LookupAttributes)
    ? body.LookupAttributes.map((a: { AttributeKey?: unknown; AttributeValue?: unknown } | null) => [
        a?.AttributeKey,
        a?.AttributeValue,
      ])
    : null;
  const { StartTime = null, EndTime = null, EventCategory = null } = body;
  const parameters = [region, StartTime, EndTime, attributes, EventCategory, maxResults];
  return createHash('sha256').update(JSON.stringify(parameters)).digest('base64url').slice(0, 22);
}

function encodeToken(hash: string, last: StoredEvent): string {
  return Buffer.from(JSON.stringify({ v: 1, h: hash, t: last.event.EventTime, s: last.seq })).toString('base64url');
}

function decodeToken(token: unknown, hash: string): LookupQuery['after'] {
  const invalid = () =>
    fail('InvalidNextTokenException', 'Invalid NextToken: malformed, or issued for different parameters');
  if (typeof token !== 'string' || token === '') return invalid();
  let parsed: { v?: unknown; h?: unknown; t?: unknown; s?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as typeof parsed;
  } catch {
    return invalid();
  }
  if (parsed?.v !== 1 || parsed.h !== hash) return invalid();
  if (typeof parsed.t !== 'number' || typeof parsed.s !== 'number') return invalid();
  return { time: parsed.t, seq: parsed.s };
}

/** Validates a LookupEvents request body the way the service does; throws SimServiceError (400). */
export function parseLookupRequest(body: unknown, region: string, nowMs: number): LookupQuery {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    fail('SerializationException', 'Body must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  const attribute = readAttribute(b);
  const rawMax = b.MaxResults ?? MAX_RESULTS;
  if (typeof rawMax !== 'number' || !Number.isInteger(rawMax) || rawMax < 1 || rawMax > MAX_RESULTS) {
    fail('InvalidMaxResultsException', `MaxResults must be an integer from 1 to ${MAX_RESULTS}`);
  }
  const category = b.EventCategory;
  if (category !== undefined && category !== null && category !== 'insight') {
    fail('InvalidEventCategoryException', 'EventCategory must be insight');
  }
  const start = readTime(b, 'StartTime');
  const end = readTime(b, 'EndTime');
  if (start !== undefined && end !== undefined && start > end) {
    fail('InvalidTimeRangeException', 'The start time must be earlier than or equal to the end time');
  }
  const hash = hashParameters(region, b, rawMax);
  const after = b.NextToken === undefined || b.NextToken === null ? undefined : decodeToken(b.NextToken, hash);
  const nowSec = nowMs / 1000;
  return {
    attribute,
    insightsOnly: category === 'insight',
    // Defaults per the CLI guide: the last 90 days, up to now.
    startSec: start ?? nowSec - RETENTION_SECONDS,
    endSec: end ?? nowSec,
    maxResults: rawMax,
    after,
    hash,
  };
}

function matchesAttribute(event: WireEvent, attribute: LookupQuery['attribute']): boolean {
  if (!attribute) return true;
  const { key, value } = attribute;
  if (key === 'ResourceType') return event.Resources.some((r) => r.ResourceType === value);
  if (key === 'ResourceName') return event.Resources.some((r) => r.ResourceName === value);
  return event[key] === value;
}

function isAfterCursor(stored: StoredEvent, after: LookupQuery['after']): boolean {
  if (!after) return true;
  const time = stored.event.EventTime;
  return time < after.time || (time === after.time && stored.seq < after.seq);
}

/**
 * One page of results. `newestFirst` must be sorted newest first. Bounds are inclusive; only events visible by
 * `nowMs` count. The token is a keyset cursor (the last event returned), so an event that becomes visible
 * mid-paging is returned only if it sorts after the cursor: like CloudTrail, late events can be missed by a pass.
 */
export function selectPage(
  newestFirst: readonly StoredEvent[],
  query: LookupQuery,
  nowMs: number,
): { Events: Array<WireEvent | Record<string, unknown>>; NextToken?: string } {
  if (query.insightsOnly) return { Events: [] }; // the simulator holds management events only
  const page: StoredEvent[] = [];
  let more = false;
  for (const stored of newestFirst) {
    const time = stored.event.EventTime;
    if (time > query.endSec || time < query.startSec) continue;
    if (stored.visibleAt > nowMs || !isAfterCursor(stored, query.after)) continue;
    if (!matchesAttribute(stored.event, query.attribute)) continue;
    if (page.length === query.maxResults) {
      more = true;
      break;
    }
    page.push(stored);
  }
  const last = page[page.length - 1];
  return {
    Events: page.map((s) => s.answer ?? s.event),
    ...(more && last ? { NextToken: encodeToken(query.hash, last) } : {}),
  };
}
