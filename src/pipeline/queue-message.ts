import type { Logger } from '../logging/logger';
import type { AccountNameSource } from '../slack/account-text';
import { parseTargetKey } from '../targets/target';
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
  /** The names of accounts (the run's AccountDirectory, read as each message is built); default: IDs only. */
  accounts?: AccountNameSource;
}

/** What names an item's account: the daemon's own (a getter's value) and the names of accounts. */
export interface AccountContext {
  account?: string;
  accounts?: AccountNameSource;
}

/**
 * The account an item was read from when its record names none: its target's account (a target key
 * `<account-id>/<region>`), else the daemon's own (`account`).
 */
export function itemAccount(item: Pick<QueueItem, 'target'>, account: string | undefined): string | undefined {
  return parseTargetKey(item.target).account ?? account;
}

/** The error text of a message no formatter could build; it goes to the log and the undeliverable file. */
export const FORMAT_FAILED = 'could not be formatted';

/**
 * The one adapter between a queue item and the single-event formatters: the rules' decision (colour, marker, rule
 * titles) and the route's mention (trusted config, never an event value; it leads the top-level text, where it
 * notifies, API-FACTS O.4).
 */
export function formatSingle(item: QueueItem, consoleDomain: string | undefined, context: AccountContext = {}): SlackMessage {
  return formatEventMessage(item.event, { consoleDomain, ...singleOptions(item, context) });
}

/** The plain version of formatSingle: escaped text only, the level and the mention kept (it must still notify). */
export function formatSinglePlain(item: QueueItem, context: AccountContext = {}): SlackMessage {
  return formatPlainMessage(item.event, singleOptions(item, context));
}

function singleOptions(item: QueueItem, context: AccountContext): FormatOptions {
  const options: FormatOptions = item.mention === undefined ? { decision: item.decision } : { decision: item.decision, mention: item.mention };
  const account = itemAccount(item, context.account);
  return {
    ...options,
    ...(account === undefined ? {} : { account }),
    ...(context.accounts === undefined ? {} : { accounts: context.accounts }),
  };
}

export type Built = { message: SlackMessage } | { failed: string };

/** The rich message of `plan`; the plain one when the rich formatter throws; `failed` when neither can be built. */
export function buildRich(plan: Plan, options: MessageOptions, log: Logger): Built {
  const context = contextOf(options);
  try {
    const message =
      plan.kind === 'digest'
        ? formatDigestMessage(plan.items, { consoleDomain: options.consoleDomain, repeatWindowMs: options.repeatWindowMs, ...context })
        : formatSingle(only(plan), options.consoleDomain, context);
    return { message };
  } catch (error) {
    log.error({ err: error }, 'formatting failed; sending the plain version');
    return buildPlain(plan, log, context);
  }
}

/** The daemon's account as of now, and the names, for one message. */
export function contextOf(options: Pick<MessageOptions, 'account' | 'accounts'>): AccountContext {
  const account = options.account?.();
  return { ...(account === undefined ? {} : { account }), ...(options.accounts === undefined ? {} : { accounts: options.accounts }) };
}

/** The plain-text message of `plan`, or `failed` when even that cannot be formatted. */
export function buildPlain(plan: Plan, log: Logger, context: AccountContext = {}): Built {
  try {
    return { message: plan.kind === 'digest' ? formatPlainDigest(plan.items, context) : formatSinglePlain(only(plan), context) };
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
