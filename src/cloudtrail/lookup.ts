import type { Logger } from 'pino';
import { fromLookupEvent, type LookupEvent } from '../events/parse';
import type { TrailEvent } from '../events/types';
import { textOf } from '../events/untrusted';
import { backoffDelay } from '../lib/backoff';
import type { Clock } from '../lib/clock';
import type { RateLimiter } from '../lib/rate-limiter';
import type { LookupClient } from './client';
import { classifyError } from '../errors/classify';
import type { LookupOutcome, Telemetry } from '../observability/telemetry';

export interface LookupDeps {
  client: LookupClient;
  /** The region's limiter (LookupEvents: 2 requests/s per account per region), taken before every request. */
  limiter: RateLimiter;
  clock: Clock;
  /** The region's child logger: lines carry `region` from it. */
  log: Logger;
  /** The AWS region: events without their own region get it. */
  region: string;
  /** The target's key, for telemetry (src/targets/target.ts); default `region` (the single account). */
  target?: string;
  /** Attempts per page for throttled/transient failures, the first included. Default 5. */
  maxPageAttempts?: number;
  /** Jitter source for the backoff; default Math.random. */
  random?: () => number;
  /** Told each request's outcome (cloudtrail_slack_lookup_requests_total). */
  telemetry?: Pick<Telemetry, 'lookupRequest'>;
}

export interface LookupWindow {
  /** ms epoch, inclusive. */
  start: number;
  /** ms epoch, inclusive. */
  end: number;
}

const DEFAULT_PAGE_ATTEMPTS = 5;
/** Equal jitter: a throttled page waits 1-2 s first (the quota is per second), a 5xx or timeout 250-500 ms. */
const THROTTLED_BASE_MS = 2000;
const TRANSIENT_BASE_MS = 500;

interface Counter {
  requests: number;
}

/** One page, retried on throttling and transient errors; every other error is thrown as the SDK raised it. */
async function fetchPage(
  deps: LookupDeps,
  input: { start: number; end: number; nextToken?: string },
  page: number,
  counter: Counter,
  signal: AbortSignal | undefined,
): Promise<{ events: LookupEvent[]; nextToken?: string }> {
  const maxAttempts = Math.max(1, deps.maxPageAttempts ?? DEFAULT_PAGE_ATTEMPTS);
  for (let attempt = 1; ; attempt += 1) {
    await deps.limiter.take(signal);
    counter.requests += 1;
    try {
      const page = await deps.client.lookupEvents({ ...input }, signal);
      deps.telemetry?.lookupRequest(deps.target ?? deps.region, 'ok');
      return page;
    } catch (error) {
      // The one classifier: a request-scoped back-off (throttled, transient) is retried here, page by page.
      const what = classifyError(error);
      const kind = what.kind;
      if (!signal?.aborted) deps.telemetry?.lookupRequest(deps.target ?? deps.region, lookupOutcomeOf(kind));
      const retryable = what.action === 'back-off' && what.scope === 'request';
      if (!retryable || attempt >= maxAttempts || signal?.aborted) throw error;
      const baseMs = kind === 'throttled' ? THROTTLED_BASE_MS : TRANSIENT_BASE_MS;
      const delayMs = backoffDelay(attempt, { baseMs, random: deps.random });
      deps.log.warn(
        { page, attempt, kind, delayMs, err: what.reason },
        'lookup page failed; retrying',
      );
      await deps.clock.sleep(delayMs, signal);
    }
  }
}

/** A failed request's outcome label: ThrottlingException (A.4), an auth refusal (A.5), or anything else. */
function lookupOutcomeOf(kind: string): LookupOutcome {
  if (kind === 'throttled') return 'throttled';
  return kind === 'access-denied' || kind === 'unrecognized-client' ? 'denied' : 'error';
}

/**
 * A page's events as a list of objects. The SDK does not check the answer's types (issue 7, item 4): `Events` that
 * is not a list, or an entry that is not an object, holds nothing we could post; it is logged and left out, and
 * the region goes on (an object, however odd its fields, is kept: fromLookupEvent reads anything).
 */
function pageEvents(deps: LookupDeps, events: unknown, page: number): LookupEvent[] {
  if (!Array.isArray(events)) {
    if (events !== undefined && events !== null) deps.log.warn({ page, type: typeof events }, 'lookup page events are not a list; page skipped');
    return [];
  }
  const objects = events.filter((e): e is LookupEvent => e !== null && typeof e === 'object' && !Array.isArray(e));
  if (objects.length < events.length) {
    deps.log.warn({ page, skipped: events.length - objects.length }, 'lookup page entries that are not events; left out');
  }
  return objects;
}

/** The NextToken to follow: a non-empty string. Anything else ends the window (logged): it cannot be sent back. */
function tokenOf(deps: LookupDeps, token: unknown, page: number): string | undefined {
  if (token === undefined || token === null || token === '') return undefined;
  if (typeof token === 'string') return token;
  deps.log.warn({ page, type: typeof token }, 'lookup page next token is not a string; window ends here');
  return undefined;
}

/** Follows the NextToken chain from the first page; every page repeats the same StartTime/EndTime/filter. */
async function readAllPages(
  deps: LookupDeps,
  window: LookupWindow,
  counter: Counter,
  signal: AbortSignal | undefined,
): Promise<LookupEvent[]> {
  const raw: LookupEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 1; ; page += 1) {
    signal?.throwIfAborted();
    const result = await fetchPage(deps, { start: window.start, end: window.end, nextToken }, page, counter, signal);
    const events = pageEvents(deps, result.events, page);
    raw.push(...events);
    const token = tokenOf(deps, result.nextToken, page);
    deps.log.debug({ page, events: events.length, nextToken: token !== undefined }, 'lookup page');
    if (token === undefined) return raw;
    if (token === nextToken) throw new Error('LookupEvents returned the same NextToken twice');
    nextToken = token;
  }
}

/**
 * Converts and orders a window's events OLDEST first, for posting in order. CloudTrail lists newest first and
 * its order within one second is UNCONFIRMED; ties are put in reversed arrival order, so the whole list is
 * CloudTrail's order reversed. An event seen twice (pages shift when late events appear) is kept once.
 */
function toOldestFirst(deps: LookupDeps, raw: readonly LookupEvent[]): TrailEvent[] {
  const seen = new Set<string>();
  const converted: Array<{ event: TrailEvent; arrival: number }> = [];
  raw.forEach((item, arrival) => {
    const event = fromLookupEvent(item, deps.region);
    if (textOf(item.EventId) === undefined && textOf(event.record?.eventID) === undefined) {
      deps.log.warn(
        { eventId: event.id, eventName: event.name, eventTime: event.time },
        'event without an EventId; deduplicating it by a hash of its content',
      );
    }
    if (seen.has(event.id)) return;
    seen.add(event.id);
    converted.push({ event, arrival });
  });
  converted.sort((a, b) => a.event.time - b.event.time || b.arrival - a.arrival);
  return converted.map((c) => c.event);
}

/**
 * Every write event of one region in [start, end], oldest first. A rejected NextToken restarts the window from
 * the first page once, then is thrown. Errors are not wrapped: callers classify them with classifyError (src/errors/classify.ts).
 */
export async function lookupWindow(
  deps: LookupDeps,
  window: LookupWindow,
  signal?: AbortSignal,
): Promise<{ events: TrailEvent[]; requests: number }> {
  const counter: Counter = { requests: 0 };
  let restarted = false;
  for (;;) {
    try {
      const raw = await readAllPages(deps, window, counter, signal);
      return { events: toOldestFirst(deps, raw), requests: counter.requests };
    } catch (error) {
      const what = classifyError(error);
      if (restarted || signal?.aborted || what.kind !== 'invalid-next-token') throw error;
      restarted = true;
      deps.log.warn({ err: what.reason }, 'next token rejected; restarting window');
    }
  }
}
