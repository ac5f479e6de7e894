import { postWithFallback } from '../cloudtrail/deliver';
import type { TrailEvent } from '../events/types';
import type { Clock } from '../lib/clock';
import { FatalError } from '../lib/errors';
import type { Logger } from '../logging/logger';
import { formatPlainMessage } from '../slack/format';
import { createSlackSender } from '../slack/sender';
import type { SlackMessage } from '../slack/types';

/**
 * `replay --post`: the messages through the daemon's sender (paced at `perSecond`, Retry-After, backoff), with
 * progress on stderr, since at Slack's 1 message/s a few hundred take minutes: `posted 40 of 239` at most every
 * PROGRESS_INTERVAL_MS of the clock, and at least every PROGRESS_EVERY messages (a faster pace).
 */

export const PROGRESS_INTERVAL_MS = 10_000;
export const PROGRESS_EVERY = 100;

export interface PostOptions {
  webhookUrl: string;
  perSecond: number;
  clock: Clock;
  log: Logger;
  fetch?: typeof fetch;
  /** One stderr line (made inert by the caller). */
  say(line: string): void;
}

/** Posts every message in order; returns how many Slack rejected, or 'refused' when it refused the webhook. */
export async function postMessages(
  messages: ReadonlyArray<{ event: TrailEvent; message: SlackMessage }>,
  options: PostOptions,
): Promise<number | 'refused'> {
  const { clock, say } = options;
  const sender = createSlackSender({
    webhookUrl: options.webhookUrl,
    clock,
    log: options.log,
    fetch: options.fetch,
    messagesPerSecond: options.perSecond,
    onRefused: 'throw',
  });
  let rejected = 0;
  let done = 0;
  let lastReport = clock.now();
  let lastReportedAt = 0;
  try {
    for (const { event, message } of messages) {
      // The message already formatted (as printed or rendered); a plain-text retry if Slack rejects it.
      const outcome = await postWithFallback({ format: () => message, formatPlain: formatPlainMessage, send: (m) => sender.send(m) }, event);
      done += 1;
      if (!outcome.delivered) {
        rejected += 1;
        say(`event ${event.id}: Slack rejected the message (${outcome.error})`);
      }
      const now = clock.now();
      if (done < messages.length && (now - lastReport >= PROGRESS_INTERVAL_MS || done - lastReportedAt >= PROGRESS_EVERY)) {
        say(`posted ${done - rejected} of ${messages.length}${rejected > 0 ? ` (${rejected} rejected)` : ''}`);
        lastReport = now;
        lastReportedAt = done;
      }
    }
  } catch (error) {
    if (!(error instanceof FatalError)) throw error;
    say(error.message);
    return 'refused';
  }
  return rejected;
}
