import type { TrailEvent } from '../events/types';
import type { Logger } from '../logging/logger';
import type { Decision } from '../rules/decision';
import { deliveredEntry, isDeliveredTo, recordDelivered, type RegionState } from '../state/region-state';
import { dedupeTime } from '../cloudtrail/window';
import { FatalError, isAbortError } from '../lib/errors';
import { parseTargetKey } from '../targets/target';
import { actorKey } from './plan';
import type { QueueItem } from './types';
import type { ItemOutcome, WebhookQueue } from './webhook-queue';

/**
 * Delivers one scan of one target (issue 8 item 1): each event (oldest first) is decided once (rules → level,
 * routes, mute), and becomes one QueueItem per route webhook it has not reached yet; each webhook's items are
 * submitted to that webhook's shared queue, whose commit records them in the state (in memory, then one journal
 * append per message). Resolves once every item is done (delivered, printed, or recorded undeliverable); the
 * caller may then move the offset past the scan. Rejects (abort, StateWriteError, the sender's --once errors)
 * once none of the scan's items is in flight: the caller re-reads the window and skips what was committed.
 */

export interface ScanDeps {
  /** The target the events came from (its key, src/targets/target.ts): commits go to its state. */
  target: string;
  region: string;
  /** The target's account when known (routes and mutes may name accounts); default: the target key's account. */
  account?: string;
  log: Logger;
  decide(event: TrailEvent, target: { account?: string; region: string }): Decision;
  /** The queue of a configured webhook; undefined for a name the config does not define. */
  queueFor(webhook: string): WebhookQueue | undefined;
  /** Persists one message's delivered IDs for this target (store.commit); a no-op in --dry-run. */
  commit(delta: { webhook: string; entries: Array<{ id: string; t: number }> }): Promise<void>;
  now(): number;
}

export interface DeliverResult {
  /** The state given, with every committed delivery recorded (recordDelivered mutates it). */
  state: RegionState;
  /** (event, webhook) deliveries Slack accepted. */
  posted: number;
  /** --dry-run: (event, webhook) deliveries written out instead. */
  printed: number;
  /** Of the posted and printed, those carried by a digest. */
  digested: number;
  /** Events a mute dropped: never posted, never recorded. */
  muted: number;
  skippedReadOnly: number;
  /** Events already delivered to every webhook they are routed to. */
  skippedDelivered: number;
  /** (event, webhook) pairs Slack rejected twice or that could not be formatted: recorded, not retried. */
  undeliverable: number;
}

/**
 * `window` is the scanned [start, end] (ms): an ID is kept under dedupeTime(event time, window), so an event
 * whose time lies outside the window that returned it is still deduplicated on every later scan that returns it.
 */
export async function deliverScan(
  deps: ScanDeps,
  events: readonly TrailEvent[],
  state: RegionState,
  window: { start: number; end: number },
): Promise<DeliverResult> {
  const result: DeliverResult = { state, posted: 0, printed: 0, digested: 0, muted: 0, skippedReadOnly: 0, skippedDelivered: 0, undeliverable: 0 };
  const keepAs = (event: TrailEvent) => dedupeTime(event.time, window);
  const byWebhook = new Map<string, QueueItem[]>();
  const enqueuedAt = deps.now();
  const account = deps.account ?? parseTargetKey(deps.target).account;
  for (const event of events) {
    if (event.readOnly === true) {
      result.skippedReadOnly += 1;
      continue;
    }
    // Returned again: keep its ID at least as long as this window can be re-read (an odd time is not its own).
    keepLonger(state, event.id, keepAs(event));
    const decision = deps.decide(event, { account, region: deps.region });
    if (decision.muted) {
      result.muted += 1;
      deps.log.debug({ eventId: event.id, eventName: event.name, reason: decision.muteReason }, 'event muted');
      continue;
    }
    const routes = decision.routes.filter((route) => !isDeliveredTo(state, event.id, route.webhook));
    if (routes.length === 0) {
      result.skippedDelivered += 1;
      continue;
    }
    const actor = actorKey(event);
    for (const route of routes) {
      const item: QueueItem = { event, decision, webhook: route.webhook, actor, target: deps.target, enqueuedAt };
      if (route.mention !== undefined) item.mention = route.mention;
      const list = byWebhook.get(route.webhook) ?? [];
      list.push(item);
      byWebhook.set(route.webhook, list);
    }
  }

  const submissions = [...byWebhook].map(([webhook, items]) => {
    const queue = deps.queueFor(webhook);
    if (queue === undefined) {
      // Config validation rejects routes to unknown webhooks (exit 78): reaching this is a bug, said loudly.
      return Promise.reject(new FatalError(`no queue for webhook "${webhook}": routes name a webhook slack.webhooks does not define`, 'config'));
    }
    return queue.submit(items, async (done) => {
      const entries = done.map((item) => ({ id: item.event.id, t: keepAs(item.event) }));
      // In memory first: kept even if the write below fails, so an accepted message is never posted again by us.
      for (const entry of entries) recordDelivered(state, entry.id, webhook, entry.t);
      await deps.commit({ webhook, entries });
    });
  });
  const settled = await Promise.allSettled(submissions);
  for (const outcome of settled) if (outcome.status === 'fulfilled') count(result, outcome.value);
  const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
  // A write or sender failure says more than the abort that may accompany it.
  const failure = failures.find((error) => !isAbortError(error)) ?? failures[0];
  if (failures.length > 0) throw failure;
  return result;
}

function count(result: DeliverResult, outcomes: readonly ItemOutcome[]): void {
  for (const outcome of outcomes) {
    if (outcome.result === 'undeliverable') result.undeliverable += 1;
    else if (outcome.result === 'printed') result.printed += 1;
    else result.posted += 1;
    if (outcome.result !== 'undeliverable' && outcome.kind === 'digest') result.digested += 1;
  }
}

/** Raises the bookkeeping time of an ID already recorded (recordDelivered only ever raises it). */
function keepLonger(state: RegionState, id: string, t: number): void {
  const entry = deliveredEntry(state, id);
  const webhook = entry?.to[0];
  if (entry !== undefined && webhook !== undefined && entry.t < t) recordDelivered(state, id, webhook, t);
}
