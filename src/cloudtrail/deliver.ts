import type { Logger } from '../logging/logger';
import type { TrailEvent } from '../events/types';
import type { SlackMessage } from '../slack/types';
import type { SendOutcome } from '../slack/sender';
import { isDelivered, markDelivered, type RegionState } from '../state/region-state';

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
  posted: number;
  skippedDelivered: number;
  filtered: number;
  undeliverable: number;
}

/**
 * Posts a scan's events oldest first and records each one in the state as soon as Slack accepted it, so a crash
 * re-posts at most the one message in flight. Throws (abort, Slack refused in --once, state write failure) with
 * the state as saved so far; the caller re-reads the window next time and skips what was recorded.
 */
export async function deliverEvents(
  deps: DeliverDeps,
  events: readonly TrailEvent[],
  initial: RegionState,
  signal?: AbortSignal,
): Promise<DeliverResult> {
  const result: DeliverResult = { state: initial, posted: 0, skippedDelivered: 0, filtered: 0, undeliverable: 0 };
  for (const event of events) {
    signal?.throwIfAborted();
    if (isDelivered(result.state, event.id)) {
      result.skippedDelivered += 1;
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
    else result.posted += 1;
    // An event without a readable time is deduped until the offset passes "now", not dropped at once (time 0).
    result.state = markDelivered(result.state, event.id, event.time > 0 ? event.time : deps.now());
    deps.onProgress?.(result.state);
    await deps.save(result.state);
  }
  return result;
}

/** Rich message; if Slack rejects that payload, one plain-text retry; if that fails too, record it and go on. */
async function sendWithFallback(deps: DeliverDeps, event: TrailEvent, signal?: AbortSignal): Promise<SendOutcome> {
  const log = deps.log.child({ eventId: event.id, eventName: event.name });
  let message: SlackMessage;
  try {
    message = deps.format(event);
  } catch (error) {
    // A formatter bug must not stop the region: the plain version carries the essentials.
    log.error({ err: error }, 'formatting failed; sending the plain version');
    message = deps.formatPlain(event);
  }
  const first = await deps.send(message, signal);
  if (first.delivered) {
    log.info('event posted');
    return first;
  }
  log.warn({ slackError: first.error }, 'slack rejected the message; retrying as plain text');
  const second = await deps.send(deps.formatPlain(event), signal);
  if (second.delivered) {
    log.info('event posted as plain text');
    return second;
  }
  log.error({ slackError: second.error }, 'slack rejected the plain message too; recorded as undeliverable');
  await deps.recordUndeliverable({ id: event.id, name: event.name, time: event.time, error: second.error, at: deps.now() });
  await deps.onUndeliverable?.(event, second.error);
  return second;
}
