import type { Logger } from '../logging/logger';
import type { TrailEvent } from '../events/types';
import type { SlackMessage } from '../slack/types';
import type { SendOutcome } from '../slack/sender';
import { isDeliveredTo, LEGACY_WEBHOOK, recordDelivered, type RegionState } from '../state/region-state';
import { dedupeTime } from './window';

/** What delivering a scan needs; every part injectable. */
export interface DeliverDeps {
  region: string;
  log: Logger;
  filter(event: TrailEvent): { post: true } | { post: false; reason: string };
  format(event: TrailEvent): SlackMessage;
  formatPlain(event: TrailEvent): SlackMessage;
  send(message: SlackMessage, signal?: AbortSignal): Promise<SendOutcome>;
  /** Persists the region's state after each accepted message (a no-op in --dry-run). */
  save(state: RegionState): Promise<void>;
  recordUndeliverable(entry: { id: string; name: string; time: number; error: string; at: number }): Promise<void>;
  /** Told when Slack rejected an event twice (it is recorded, never posted): worth a human's look. */
  onUndeliverable?(event: TrailEvent, error: string): Promise<void>;
  /** Sees the state after each recorded event, before it is saved: the caller keeps it even if a save throws. */
  onProgress?(state: RegionState): void;
  now(): number;
}

export interface DeliverResult {
  state: RegionState;
  /** Accepted by Slack. */
  posted: number;
  /** Written out by --dry-run instead. */
  printed: number;
  skippedDelivered: number;
  filtered: number;
  undeliverable: number;
}

/**
 * Posts a scan's events oldest first to the one webhook (LEGACY_WEBHOOK) and records each one in the state as soon
 * as Slack accepted it, so a crash re-posts at most the one message in flight. `initial` is changed in place
 * (recordDelivered) and returned as `result.state`. Throws (abort, Slack refused in --once, state write failure) with
 * the state as saved so far; the caller re-reads the window next time and skips what was recorded.
 * `window` is the scanned [start, end] (ms): an ID is kept under dedupeTime(event time, window), so an event whose
 * time lies outside the window it came from is still deduplicated on every later scan that returns it. Without a
 * window (replay), the event's time is used, or now when it is unknown.
 */
export async function deliverEvents(
  deps: DeliverDeps,
  events: readonly TrailEvent[],
  initial: RegionState,
  signal?: AbortSignal,
  window?: { start: number; end: number },
): Promise<DeliverResult> {
  const result: DeliverResult = { state: initial, posted: 0, printed: 0, skippedDelivered: 0, filtered: 0, undeliverable: 0 };
  const keepAs = (event: TrailEvent) =>
    window !== undefined ? dedupeTime(event.time, window) : event.time > 0 ? event.time : deps.now();
  for (const event of events) {
    signal?.throwIfAborted();
    if (isDeliveredTo(result.state, event.id, LEGACY_WEBHOOK)) {
      result.skippedDelivered += 1;
      // Returned again: keep it at least as long as this window can be re-read (an odd time is not its own).
      recordDelivered(result.state, event.id, LEGACY_WEBHOOK, keepAs(event));
      continue;
    }
    const verdict = deps.filter(event);
    if (!verdict.post) {
      result.filtered += 1;
      deps.log.debug({ eventId: event.id, eventName: event.name, reason: verdict.reason }, 'event skipped');
      continue;
    }
    const accepted = await sendWithFallback(deps, event, signal);
    if (!accepted.delivered) result.undeliverable += 1;
    else if (accepted.printed) result.printed += 1;
    else result.posted += 1;
    recordDelivered(result.state, event.id, LEGACY_WEBHOOK, keepAs(event));
    deps.onProgress?.(result.state);
    await deps.save(result.state);
  }
  return result;
}

/** What posting one event needs: the daemon's deps fit, and so does replay's sender. */
export interface PostDeps {
  format(event: TrailEvent): SlackMessage;
  formatPlain(event: TrailEvent): SlackMessage;
  send(message: SlackMessage, signal?: AbortSignal): Promise<SendOutcome>;
  /** Told what happened; without one, nothing is logged (replay reports on stderr itself). */
  log?: Logger;
}

/** The rich message; if the formatter throws, the plain version (a formatter bug must not lose the event). */
export function formatWithFallback(deps: Omit<PostDeps, 'send'>, event: TrailEvent): SlackMessage {
  try {
    return deps.format(event);
  } catch (error) {
    // A formatter bug must not stop the region: the plain version carries the essentials.
    eventLog(deps.log, event)?.error({ err: error }, 'formatting failed; sending the plain version');
    return deps.formatPlain(event);
  }
}

const FORMAT_FAILED = 'could not be formatted';

/** The formatted message, or an outcome saying it could not be formatted at all (rich and plain both threw). */
function tryFormat(deps: Omit<PostDeps, 'send'>, event: TrailEvent, plain: boolean): SlackMessage | SendOutcome {
  try {
    return plain ? deps.formatPlain(event) : formatWithFallback(deps, event);
  } catch (error) {
    // Our own error text (a formatter bug), never the event's values: it goes to the log and the state folder.
    const why = error instanceof Error ? error.name : typeof error;
    eventLog(deps.log, event)?.error({ err: error }, plain ? 'the plain version could not be formatted' : 'formatting failed, the plain version too');
    return { delivered: false, error: `${FORMAT_FAILED} (${why})` };
  }
}

function isOutcome(value: SlackMessage | SendOutcome): value is SendOutcome {
  return 'delivered' in value;
}

/**
 * Rich message; if Slack rejects that payload, one plain-text retry. Returns the last outcome. An event that
 * cannot be formatted at all is not sent: its outcome is `delivered: false`, like a rejected one, so the caller
 * records it as undeliverable and goes on (one odd event must never stall a region).
 */
export async function postWithFallback(deps: PostDeps, event: TrailEvent, signal?: AbortSignal): Promise<SendOutcome> {
  const log = eventLog(deps.log, event);
  const rich = tryFormat(deps, event, false);
  if (isOutcome(rich)) return rich;
  const first = await deps.send(rich, signal);
  if (first.delivered) {
    log?.info(first.printed ? 'event printed, not posted (--dry-run)' : 'event posted');
    return first;
  }
  log?.warn({ slackError: first.error }, 'slack rejected the message; retrying as plain text');
  const plain = tryFormat(deps, event, true);
  if (isOutcome(plain)) return plain;
  const second = await deps.send(plain, signal);
  if (second.delivered) log?.info(second.printed ? 'event printed as plain text, not posted (--dry-run)' : 'event posted as plain text');
  return second;
}

function eventLog(log: Logger | undefined, event: TrailEvent): Logger | undefined {
  return log?.child({ eventId: event.id, eventName: event.name });
}

/** postWithFallback; if the plain message fails too, record it and go on. */
async function sendWithFallback(deps: DeliverDeps, event: TrailEvent, signal?: AbortSignal): Promise<SendOutcome> {
  const outcome = await postWithFallback(deps, event, signal);
  if (outcome.delivered) return outcome;
  const log = deps.log.child({ eventId: event.id, eventName: event.name });
  if (outcome.error.startsWith(FORMAT_FAILED)) log.error({ reason: outcome.error }, 'not formattable; recorded as undeliverable');
  else log.error({ slackError: outcome.error }, 'slack rejected the plain message too; recorded as undeliverable');
  await deps.recordUndeliverable({ id: event.id, name: event.name, time: event.time, error: outcome.error, at: deps.now() });
  await deps.onUndeliverable?.(event, outcome.error);
  return outcome;
}
