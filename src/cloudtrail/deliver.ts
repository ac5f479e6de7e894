import type { Logger } from '../logging/logger';
import type { TrailEvent } from '../events/types';
import type { SlackMessage } from '../slack/types';
import type { SendOutcome } from '../slack/sender';

/**
 * Posting one already-chosen event with a plain-text fallback: what `replay --post` uses. The daemon posts through
 * its webhook queues instead (src/pipeline/webhook-queue.ts), which handle digests and commits too.
 */

/** What posting one event needs (replay's sender, formatters and log). */
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
