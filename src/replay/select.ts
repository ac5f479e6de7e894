import { isInsightRecord } from '../events/insight';
import type { TrailEvent } from '../events/types';
import { actorKey } from '../pipeline/plan';
import type { QueueItem } from '../pipeline/types';
import type { DecisionTarget } from '../rules/decide';
import type { Decision } from '../rules/decision';
import { unnamedParts } from '../slack/format-unnamed';

/**
 * Replay's decide stage: the events read from the files → the QueueItems each webhook's queue would hold, as the
 * daemon's pipeline makes them (pipeline.md: skip read-only → decide → muted counted, routed → one item per route
 * webhook with the route's mention). Pure but for `decide`, which the caller builds once (buildDecider).
 */

export interface SelectTally {
  duplicates: number;
  /** Records with nothing to describe (no eventName, eventType, eventSource or insightDetails). */
  skipped: number;
  readOnly: number;
  /** Muted events by the mute that dropped them (its name from config or built-in, never an event value). */
  muted: Map<string, number>;
}

export type Decide = (event: TrailEvent, target: DecisionTarget) => Decision;

export function emptyTally(): SelectTally {
  return { duplicates: 0, skipped: 0, readOnly: 0, muted: new Map() };
}

/** A record that says nothing we could describe: not an Insight, and no name, type, category or source. */
function hasNothingToDescribe(event: TrailEvent): boolean {
  return event.name === '' && !isInsightRecord(event.record) && Object.keys(unnamedParts(event)).length === 0;
}

/**
 * Oldest first (a stable sort, so file order breaks ties), each event ID once. An event's region is its target
 * (the daemon's is the region it polled; a file's record names its own). `enqueuedAt` is the event's position in
 * that order, so the planner keeps file order among events of the same second, as one message per event did.
 */
export function selectItems(events: readonly TrailEvent[], decide: Decide, tally: SelectTally): QueueItem[] {
  const seen = new Set<string>();
  const items: QueueItem[] = [];
  const sorted = [...events].sort((a, b) => a.time - b.time);
  sorted.forEach((event, position) => {
    if (seen.has(event.id)) {
      tally.duplicates += 1;
      return;
    }
    seen.add(event.id);
    if (hasNothingToDescribe(event)) {
      tally.skipped += 1;
      return;
    }
    if (event.readOnly === true) {
      tally.readOnly += 1;
      return;
    }
    const decision = decide(event, { region: event.region });
    if (decision.muted) {
      const reason = decision.muteReason ?? 'muted';
      tally.muted.set(reason, (tally.muted.get(reason) ?? 0) + 1);
      return;
    }
    const actor = actorKey(event);
    for (const route of decision.routes) {
      items.push({ event, decision, webhook: route.webhook, mention: route.mention, actor, target: event.region, enqueuedAt: position });
    }
  });
  return items;
}

/**
 * The items by webhook: the config's webhooks in its order (`default` first), then any other name in the order it
 * first got an item. Webhooks without items are left out.
 */
export function groupByWebhook(items: readonly QueueItem[], configured: readonly string[]): Map<string, QueueItem[]> {
  const groups = new Map<string, QueueItem[]>(configured.map((name) => [name, []]));
  for (const item of items) {
    const group = groups.get(item.webhook) ?? [];
    group.push(item);
    groups.set(item.webhook, group);
  }
  for (const [name, group] of groups) if (group.length === 0) groups.delete(name);
  return groups;
}
