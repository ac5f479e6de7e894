import type { Logger } from '../logging/logger';
import { formatDigestMessage, formatPlainDigest } from '../slack/format-digest';
import { formatEventMessage, formatPlainMessage, type FormatOptions } from '../slack/format';
import type { SlackMessage } from '../slack/types';
import type { Plan } from './plan';
import type { QueueItem } from './types';

/**
 * The Slack message for one planned message of a webhook queue: a single event (formatEventMessage) or a digest
 * (formatDigestMessage), and the plain-text versions sent once when Slack rejects the rich payload. A formatter
 * that throws (a bug on a hostile event) falls back to the plain version; if that throws too, the message cannot
 * be formatted at all and its items are recorded as undeliverable by the caller: one odd event never stalls a queue.
 */

export interface MessageOptions {
  /** Config `consoleDomain`; see FormatOptions. */
  consoleDomain?: string;
  /** Repeats closer than this share one digest line (DigestOptions.repeatWindowMs). */
  repeatWindowMs: number;
  /** The daemon's account once STS has told it (FormatOptions.account), read as each message is built. */
  account?: () => string | undefined;
}

/** The error text of a message no formatter could build; it goes to the log and the undeliverable file. */
export const FORMAT_FAILED = 'could not be formatted';

/**
 * The one adapter between a queue item and the single-event formatters: the rules' decision (colour, marker, rule
 * titles) and the route's mention (trusted config, never an event value; it leads the top-level text, where it
 * notifies, API-FACTS O.4).
 */
export function formatSingle(item: QueueItem, consoleDomain: string | undefined, account?: string): SlackMessage {
  return formatEventMessage(item.event, { consoleDomain, ...singleOptions(item, account) });
}

/** The plain version of formatSingle: escaped text only, the level and the mention kept (it must still notify). */
export function formatSinglePlain(item: QueueItem, account?: string): SlackMessage {
  return formatPlainMessage(item.event, singleOptions(item, account));
}

function singleOptions(item: QueueItem, account: string | undefined): FormatOptions {
  const options: FormatOptions = item.mention === undefined ? { decision: item.decision } : { decision: item.decision, mention: item.mention };
  return account === undefined ? options : { ...options, account };
}

export type Built = { message: SlackMessage } | { failed: string };

/** The rich message of `plan`; the plain one when the rich formatter throws; `failed` when neither can be built. */
export function buildRich(plan: Plan, options: MessageOptions, log: Logger): Built {
  const account = options.account?.();
  try {
    const message =
      plan.kind === 'digest'
        ? formatDigestMessage(plan.items, { consoleDomain: options.consoleDomain, repeatWindowMs: options.repeatWindowMs, account })
        : formatSingle(only(plan), options.consoleDomain, account);
    return { message };
  } catch (error) {
    log.error({ err: error }, 'formatting failed; sending the plain version');
    return buildPlain(plan, log, account);
  }
}

/** The plain-text message of `plan`, or `failed` when even that cannot be formatted. */
export function buildPlain(plan: Plan, log: Logger, account?: string): Built {
  try {
    return { message: plan.kind === 'digest' ? formatPlainDigest(plan.items, account) : formatSinglePlain(only(plan), account) };
  } catch (error) {
    // Our own words and the error's class name, never the event's values: this text reaches the state folder.
    log.error({ err: error }, 'the plain version could not be formatted');
    return { failed: `${FORMAT_FAILED} (${error instanceof Error ? error.name : typeof error})` };
  }
}

function only(plan: Plan): QueueItem {
  const [item] = plan.items;
  if (item === undefined) throw new RangeError('a single message needs one item');
  return item;
}
