import type { Clock } from '../lib/clock';
import { FatalError } from '../lib/errors';
import type { Logger } from '../logging/logger';
import { createSlackSender, type SlackSender } from '../slack/sender';
import { describeMessage, type ReplayMessage } from './messages';

/**
 * `replay --post`: one webhook's messages through the daemon's sender (its own paced queue: `perSecond`,
 * Retry-After, backoff), with one plain-text retry when Slack rejects a message, and progress on stderr, since at
 * Slack's 1 message/s a few hundred take minutes: `posted 40 of 239` at most every PROGRESS_INTERVAL_MS of the
 * clock, and at least every PROGRESS_EVERY messages (a faster pace). The caller runs one of these per webhook at
 * the same time, so a long queue for one webhook never delays another (as in the daemon).
 */

export const PROGRESS_INTERVAL_MS = 10_000;
export const PROGRESS_EVERY = 100;

export interface PostOptions {
  /** A secret: given to the sender only, never said. */
  webhookUrl: string;
  perSecond: number;
  clock: Clock;
  log: Logger;
  fetch?: typeof fetch;
  /** One stderr line (made inert by the caller). */
  say(line: string): void;
  /** Put before every line about this webhook: `webhook security: ` when messages go to several, else ''. */
  label: string;
}

export interface PostResult {
  /** The messages Slack accepted (rich or plain). */
  accepted: ReplayMessage[];
  /** Messages Slack rejected twice (rich, then plain) or that could not be formatted for the retry. */
  rejected: number;
  /** Slack refused the webhook itself (revoked, channel gone): the rest of this webhook's messages were not sent. */
  refused: boolean;
}

/** Posts every message in order until done or Slack refuses the webhook. Never throws for Slack's answers. */
export async function postMessages(messages: readonly ReplayMessage[], options: PostOptions): Promise<PostResult> {
  const { clock, label } = options;
  const say = (line: string) => options.say(`${label}${line}`);
  const sender = createSlackSender({
    webhookUrl: options.webhookUrl,
    clock,
    log: options.log,
    fetch: options.fetch,
    messagesPerSecond: options.perSecond,
    onRefused: 'throw',
  });
  const result: PostResult = { accepted: [], rejected: 0, refused: false };
  let done = 0;
  let lastReport = clock.now();
  let lastReportedAt = 0;
  try {
    for (const message of messages) {
      const error = await postOne(sender, message);
      done += 1;
      if (error === undefined) {
        result.accepted.push(message);
      } else {
        result.rejected += 1;
        say(`${describeMessage(message)}: Slack rejected the message (${error})`);
      }
      const now = clock.now();
      if (done < messages.length && (now - lastReport >= PROGRESS_INTERVAL_MS || done - lastReportedAt >= PROGRESS_EVERY)) {
        say(`posted ${done - result.rejected} of ${messages.length}${result.rejected > 0 ? ` (${result.rejected} rejected)` : ''}`);
        lastReport = now;
        lastReportedAt = done;
      }
    }
  } catch (error) {
    if (!(error instanceof FatalError)) throw error;
    say(error.message);
    result.refused = true;
  }
  return result;
}

/** The message as printed; if Slack rejects that payload, its plain version once. The error, or undefined when accepted. */
async function postOne(sender: SlackSender, message: ReplayMessage): Promise<string | undefined> {
  const first = await sender.send(message.message);
  if (first.delivered) return undefined;
  let plain;
  try {
    plain = message.plain();
  } catch (error) {
    return `${first.error}; the plain version could not be formatted (${error instanceof Error ? error.name : typeof error})`;
  }
  const second = await sender.send(plain);
  return second.delivered ? undefined : second.error;
}
