import { describeIdentity } from '../events/identity';
import type { TrailEvent } from '../events/types';
import { levelAtLeast } from '../rules/decision';
import type { QueueItem } from './types';

/**
 * The planner: which waiting items of ONE webhook go into its next Slack message. Pure: no clock, no I/O; the
 * same list gives the same answer whatever order it is in (ties are broken by event ID).
 */

export interface DigestOptions {
  /** Config `digest.enabled`, default true. false: one message per event. */
  enabled: boolean;
  /** Config `digest.minEvents`, default 5: digests start when at least this many non-high items wait. */
  minEvents: number;
  /** At most this many events in one digest; capped at MAX_EVENTS_PER_DIGEST. */
  maxEventsPerDigest: number;
  /** Config `digest.repeatWindowMinutes` × 60,000, default 10 min: repeats closer than this share one line. */
  repeatWindowMs: number;
}

/** Issue 8: "up to 50 events per message"; the digest formatter keeps 50 lines within Slack's limits (API-FACTS O). */
export const MAX_EVENTS_PER_DIGEST = 50;

export const DEFAULT_DIGEST_OPTIONS: Readonly<DigestOptions> = Object.freeze({
  enabled: true,
  minEvents: 5,
  maxEventsPerDigest: MAX_EVENTS_PER_DIGEST,
  repeatWindowMs: 10 * 60_000,
});

export interface Plan {
  kind: 'single' | 'digest';
  /** Oldest first. Empty only when `waiting` was empty. */
  items: QueueItem[];
}

/**
 * Chooses the items of the next message for one webhook:
 * 1. an item of level high or critical waits: the oldest such, alone. They are never folded into a digest and go
 *    out ahead of the digest traffic.
 * 2. else, when digests are enabled and at least `minEvents` items wait: the items sharing the oldest item's
 *    group (actor, target, region, mention), oldest first, at most `maxEventsPerDigest`; a group of one is a single.
 * 3. else the oldest item alone.
 * "Oldest" orders by event time, then enqueuedAt, then event ID (compareItems).
 */
export function planNext(waiting: readonly QueueItem[], options: DigestOptions): Plan {
  const first = waiting[0];
  if (first === undefined) return { kind: 'single', items: [] };
  let oldest = first;
  let urgent: QueueItem | undefined;
  for (const item of waiting) {
    if (compareItems(item, oldest) < 0) oldest = item;
    if (isUrgent(item) && (urgent === undefined || compareItems(item, urgent) < 0)) urgent = item;
  }
  if (urgent !== undefined) return { kind: 'single', items: [urgent] };
  const limit = Math.min(Math.floor(options.maxEventsPerDigest), MAX_EVENTS_PER_DIGEST);
  if (!options.enabled || waiting.length < options.minEvents || !(limit >= 2)) return { kind: 'single', items: [oldest] };
  const key = groupKey(oldest);
  const group = waiting.filter((item) => groupKey(item) === key).sort(compareItems).slice(0, limit);
  return group.length > 1 ? { kind: 'digest', items: group } : { kind: 'single', items: [oldest] };
}

/** High and critical events are never folded into a digest. */
export function isUrgent(item: QueueItem): boolean {
  return levelAtLeast(item.decision.level, 'high');
}

/** Oldest first: event time, then enqueuedAt, then event ID (code-unit order, locale-free). */
export function compareItems(a: QueueItem, b: QueueItem): number {
  const byTime = a.event.time - b.event.time || a.enqueuedAt - b.enqueuedAt;
  if (byTime !== 0) return byTime;
  return a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0;
}

/** Items share a digest only when all of these agree; JSON keeps the parts from running into each other. */
function groupKey(item: QueueItem): string {
  return JSON.stringify([item.webhook, item.actor, item.target, item.event.region, item.mention ?? null]);
}

type Obj = Record<string, unknown>;

function objectOf(value: unknown): Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : {};
}

function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * Who made the call, as a grouping key. The principal ARN when the record has one (for an assumed role it ends
 * in the session name, `assumed-role/<role>/<session>`, so two sessions of one role are two actors); else a JSON
 * list of the identity type, the account and describeIdentity's name (which names the session where CloudTrail
 * does). Records without userIdentity (Insights, API-FACTS M) share the key of an unknown caller.
 */
export function actorKey(event: TrailEvent): string {
  const record = objectOf(event.record);
  const identity = objectOf(record.userIdentity);
  const arn = textOf(identity.arn);
  if (arn !== undefined && arn.startsWith('arn:')) return arn;
  const who = describeIdentity(event);
  const account = textOf(identity.accountId) ?? textOf(record.recipientAccountId) ?? '';
  return JSON.stringify([who.type, account, who.name]);
}
