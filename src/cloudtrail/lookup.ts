import type { Logger } from 'pino';
import { fromLookupEvent, type LookupEvent } from '../events/parse';
import type { TrailEvent } from '../events/types';
import { backoffDelay } from '../lib/backoff';
import type { Clock } from '../lib/clock';
import type { RateLimiter } from '../lib/rate-limiter';
import { classifyAwsError, describeAwsError, type LookupClient } from './client';

export interface LookupDeps {
  client: LookupClient;
  /** The region's limiter (LookupEvents: 2 requests/s per account per region), taken before every request. */
  limiter: RateLimiter;
  clock: Clock;
  /** The region's child logger: lines carry `region` from it. */
  log: Logger;
  region: string;
  /** Attempts per page for throttled/transient failures, the first included. Default 5. */
  maxPageAttempts?: number;
  /** Jitter source for the backoff; default Math.random. */
  random?: () => number;
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
      return await deps.client.lookupEvents({ ...input }, signal);
    } catch (error) {
      const kind = classifyAwsError(error);
      if ((kind !== 'throttled' && kind !== 'transient') || attempt >= maxAttempts || signal?.aborted) throw error;
      const baseMs = kind === 'throttled' ? THROTTLED_BASE_MS : TRANSIENT_BASE_MS;
      const delayMs = backoffDelay(attempt, { baseMs, random: deps.random });
      deps.log.warn(
        { page, attempt, kind, delayMs, err: describeAwsError(error) },
        'lookup page failed; retrying',
      );
      await deps.clock.sleep(delayMs, signal);
    }
  }
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
    raw.push(...result.events);
    deps.log.debug(
      { page, events: result.events.length, nextToken: result.nextToken !== undefined },
      'lookup page',
    );
    if (result.nextToken === undefined) return raw;
    if (result.nextToken === nextToken) throw new Error('LookupEvents returned the same NextToken twice');
    nextToken = result.nextToken;
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
    if (!item.EventId) {
      deps.log.warn(
        { eventId: event.id, eventName: item.EventName, eventTime: item.EventTime?.toISOString() },
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
 * the first page once, then is thrown. Errors are not wrapped: callers classify them with classifyAwsError.
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
      if (restarted || signal?.aborted || classifyAwsError(error) !== 'invalid-next-token') throw error;
      restarted = true;
      deps.log.warn({ err: describeAwsError(error) }, 'next token rejected; restarting window');
    }
  }
}
