import { isAbortError } from '../lib/errors';
import type { Logger } from '../logging/logger';
import type { SendOutcome, SlackSender } from '../slack/sender';
import type { SlackMessage } from '../slack/types';
import { planNext, type DigestOptions, type Plan } from './plan';
import { buildPlain, buildRich, contextOf, FORMAT_FAILED, type MessageOptions } from './queue-message';
import type { QueueItem } from './types';
import type { Telemetry } from '../observability/telemetry';

/**
 * One webhook's queue (issue 8 items 1, 4, 6): every region submits its items here, and ONE worker loop turns
 * what waits into messages: planNext (high/critical alone and first, bursts as digests) → format → the webhook's
 * paced sender (1 msg/s, Retry-After, backoff: src/slack/sender.ts) → on Slack's `ok`, the submitter's commit.
 * The next POST waits until that commit resolved, so a `kill -9` repeats at most one message per webhook.
 * Items submitted while a message is in flight join the waiting set: a burst is digested as it accumulates.
 * Each webhook has its own queue and sender, so a slow or flooded webhook never delays another.
 */

export type ItemOutcome = {
  item: QueueItem;
  result: 'posted' | 'printed' | 'undeliverable';
  /** Why it is undeliverable (Slack's error code, or "could not be formatted"). */
  error?: string;
  /** The kind of message that carried it. */
  kind: Plan['kind'];
};

/** Persists the delivery of `items` (all of one submission); rejecting fails that submission. */
export type CommitItems = (items: QueueItem[]) => Promise<void>;

export interface WebhookQueue {
  readonly name: string;
  /**
   * Queues `items` and resolves, once every one of them is done (posted, printed, or recorded undeliverable and
   * committed), with their outcomes in submission order. Rejects, once none of them is in flight any more, with:
   * the commit's error (StateWriteError) when a commit failed, the sender's error (SlackRefusedError in --once),
   * or an AbortError after a stop. The items of a failed submission that were not yet posted are withdrawn: the
   * submitter reads them again later (its offset has not moved past them).
   */
  submit(items: readonly QueueItem[], commit: CommitItems): Promise<ItemOutcome[]>;
  /** Items waiting (not counting the message in flight). */
  depth(): number;
  /**
   * Posts one ready-made message (the daily heartbeat, a monitor's alert) through this webhook's paced sender:
   * Slack's 1 message/s, Retry-After and retries as for events, in turn with the event messages. Never planned,
   * digested or committed. `signal` (default: the queue's stop) cancels the wait for its turn.
   */
  post(message: SlackMessage, signal?: AbortSignal): Promise<SendOutcome>;
}

export interface WebhookQueueOptions {
  /** The webhook's name (config `slack.webhooks` key); never its URL. */
  name: string;
  sender: SlackSender;
  log: Logger;
  digest: DigestOptions;
  consoleDomain?: string;
  /** The daemon's account once known (MessageOptions.account). */
  account?: () => string | undefined;
  /** The names of accounts (MessageOptions.accounts): messages name an account "name (id)". */
  accounts?: MessageOptions['accounts'];
  /** Records an item whose message Slack rejected twice (rich, then plain) or that could not be formatted. */
  recordUndeliverable?(item: QueueItem, error: string): Promise<void>;
  /** Stop: waiting items reject with an AbortError; the loop ends after the message in flight (and its commit). */
  signal?: AbortSignal;
  /** Told the number of waiting items each time it changes (cloudtrail_slack_queue_length{webhook}). */
  telemetry?: Pick<Telemetry, 'queueDepth'>;
}

interface Submission {
  commit: CommitItems;
  outcomes: ItemOutcome[];
  open: number;
  error?: unknown;
  resolve(outcomes: ItemOutcome[]): void;
  reject(error: unknown): void;
}

interface Entry {
  item: QueueItem;
  sub: Submission;
  index: number;
}

export function createWebhookQueue(options: WebhookQueueOptions): WebhookQueue {
  const { sender, signal } = options;
  const log = options.log.child({ webhook: options.name });
  const messageOptions: MessageOptions = {
    consoleDomain: options.consoleDomain,
    repeatWindowMs: options.digest.repeatWindowMs,
    account: options.account,
    accounts: options.accounts,
  };
  let waiting: Entry[] = [];
  const entryOf = new Map<QueueItem, Entry>();
  let running = false;
  let reportedDepth = 0;
  const reportDepth = () => {
    if (waiting.length === reportedDepth) return;
    reportedDepth = waiting.length;
    options.telemetry?.queueDepth(options.name, reportedDepth);
  };

  signal?.addEventListener('abort', () => withdraw(() => true, abortErrorOf(signal)), { once: true });

  function settle(entry: Entry, outcome: ItemOutcome | { failed: unknown }): void {
    const { sub } = entry;
    if ('failed' in outcome) sub.error ??= outcome.failed;
    else sub.outcomes[entry.index] = outcome;
    sub.open -= 1;
    if (sub.open > 0) return;
    if (sub.error !== undefined) sub.reject(sub.error);
    else sub.resolve(sub.outcomes);
  }

  /** Takes the waiting entries `which` selects out of the queue, failing them with `error`. */
  function withdraw(which: (entry: Entry) => boolean, error: unknown): void {
    const gone = waiting.filter(which);
    if (gone.length === 0) return;
    waiting = waiting.filter((entry) => !which(entry));
    reportDepth();
    for (const entry of gone) {
      entryOf.delete(entry.item);
      settle(entry, { failed: error });
    }
  }

  /** Fails `entries` (not posted, or posted but not committed) and withdraws the rest of their submissions. */
  function fail(entries: readonly Entry[], error: unknown): void {
    const subs = new Set(entries.map((entry) => entry.sub));
    for (const entry of entries) settle(entry, { failed: error });
    withdraw((entry) => subs.has(entry.sub), error);
  }

  async function send(plan: Plan): Promise<SendOutcome> {
    const rich = buildRich(plan, messageOptions, log);
    if ('failed' in rich) return { delivered: false, error: rich.failed };
    const first = await sender.send(rich.message, signal);
    if (first.delivered) return first;
    log.warn({ slackError: first.error, ...describe(plan) }, 'slack rejected the message; retrying as plain text');
    const plain = buildPlain(plan, log, contextOf(messageOptions));
    if ('failed' in plain) return { delivered: false, error: plain.failed };
    return sender.send(plain.message, signal);
  }

  async function deliver(plan: Plan, entries: Entry[]): Promise<void> {
    let outcome: SendOutcome;
    try {
      outcome = await send(plan);
    } catch (error) {
      // Not posted: a stop while waiting for our turn, or the sender gave up (--once). Read again later.
      fail(entries, error);
      return;
    }
    const result = !outcome.delivered ? 'undeliverable' : outcome.printed ? 'printed' : 'posted';
    if (!outcome.delivered) {
      const why = outcome.error.startsWith(FORMAT_FAILED) ? { reason: outcome.error } : { slackError: outcome.error };
      log.error({ ...why, ...describe(plan) }, 'slack rejected the plain message too; recorded as undeliverable');
      try {
        for (const { item } of entries) await options.recordUndeliverable?.(item, outcome.error);
      } catch (error) {
        fail(entries, error);
        return;
      }
    } else {
      const how = outcome.printed ? 'printed, not posted (--dry-run)' : 'posted';
      log.info(describe(plan), `${plan.kind === 'digest' ? 'digest' : 'event'} ${how}`);
    }
    // One commit per submission (a message's items normally all come from one), awaited before the next POST.
    for (const sub of new Set(entries.map((entry) => entry.sub))) {
      const mine = entries.filter((entry) => entry.sub === sub);
      try {
        await sub.commit(mine.map((entry) => entry.item));
      } catch (error) {
        fail(mine, error);
        continue;
      }
      for (const entry of mine) {
        settle(entry, { item: entry.item, result, kind: plan.kind, ...(outcome.delivered ? {} : { error: outcome.error }) });
      }
    }
  }

  async function run(): Promise<void> {
    running = true;
    try {
      while (waiting.length > 0 && !signal?.aborted) {
        const plan = planNext(waiting.map((entry) => entry.item), options.digest);
        const chosen = new Set(plan.items);
        const entries = plan.items.map((item) => entryOf.get(item)).filter((entry) => entry !== undefined);
        waiting = waiting.filter((entry) => !chosen.has(entry.item));
        reportDepth();
        for (const item of plan.items) entryOf.delete(item);
        await deliver(plan, entries);
      }
    } finally {
      running = false;
    }
  }

  return {
    name: options.name,
    submit(items, commit) {
      return new Promise<ItemOutcome[]>((resolve, reject) => {
        if (signal?.aborted) return reject(abortErrorOf(signal));
        if (items.length === 0) return resolve([]);
        const sub: Submission = { commit, outcomes: new Array<ItemOutcome>(items.length), open: items.length, resolve, reject };
        items.forEach((given, index) => {
          // The planner answers with the very objects it was given: each waiting entry needs its own.
          const item = entryOf.has(given) ? { ...given } : given;
          const entry = { item, sub, index };
          entryOf.set(item, entry);
          waiting.push(entry);
        });
        reportDepth();
        if (!running) {
          void run().catch((error: unknown) => {
            // A bug in the loop must not leave submitters waiting for ever.
            log.error({ err: error }, 'webhook queue failed');
            withdraw(() => true, error);
          });
        }
      });
    },
    depth: () => waiting.length,
    post: (message, postSignal) => sender.send(message, postSignal ?? signal),
  };
}

/** Log fields naming a message's events (IDs and names only: the rest of an event is hostile and large). */
function describe(plan: Plan): Record<string, unknown> {
  const [first] = plan.items;
  if (plan.kind === 'single' && first !== undefined) {
    return { eventId: first.event.id, eventName: first.event.name, region: first.target };
  }
  return { events: plan.items.length, eventIds: plan.items.map((item) => item.event.id), region: first?.target };
}

/** The stop's reason when it is an abort (ShutdownRequested), else an AbortError caused by it. */
function abortErrorOf(signal: AbortSignal): unknown {
  if (isAbortError(signal.reason)) return signal.reason;
  const error = new Error('stopping: not posted', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}
