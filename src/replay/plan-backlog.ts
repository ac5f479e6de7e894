import { compareItems, isUrgent, MAX_EVENTS_PER_DIGEST, planNext, type DigestOptions, type Plan } from '../pipeline/plan';
import type { QueueItem } from '../pipeline/types';

/**
 * Every message one webhook's queue would send if all of `items` waited at once (replay's case: a backlog), in
 * the order it would send them: exactly what calling planNext (src/pipeline/plan.ts) on the waiting items until
 * none is left gives. Pure.
 *
 * That loop shows planNext all n waiting items per message: O(n²) for a large replay (a day of a busy account's
 * logs). This asks planNext the same questions on a few chosen items instead, which gives the same answers:
 * - While an item of level high or more waits, planNext picks the oldest such one alone: asked about that item.
 * - Otherwise its answer depends only on the oldest waiting item, on whether at least `minEvents` items wait, and
 *   on the oldest item's group, whose members all share its actor (planNext groups by actor, target, region and
 *   mention). So it is asked about the oldest items of that actor (a prefix, which holds the oldest item),
 *   padded with items of other actors (newer than the oldest, and in another group) up to `minEvents`, so that
 *   the count test comes out as it would on everything. When the answer is a digest of fewer than the most a
 *   digest holds, or a single although a digest was possible, and the prefix was not all of that actor's items,
 *   a longer prefix could add members: the question is asked again on a prefix twice as long.
 * Cost: O(n log n) for the sort, then about O(maxEventsPerDigest) per message when an actor's items are dense.
 * test/replay-plan.test.ts checks the answers against the plain loop on random backlogs.
 */

type Planner = (waiting: readonly QueueItem[], options: DigestOptions) => Plan;

/** One actor's waiting items, oldest first; `start` skips the ones already taken at the front. */
interface Bucket {
  items: QueueItem[];
  start: number;
  live: number;
}

export function planBacklog(items: readonly QueueItem[], options: DigestOptions, plan: Planner = planNext): Plan[] {
  const sorted = [...items].sort(compareItems);
  const taken = new Set<QueueItem>();
  const plans: Plan[] = [];
  const take = (next: Plan): void => {
    if (next.items.length === 0 || next.items.some((item) => taken.has(item))) throw new Error('planBacklog: the planner chose no item, or one already sent');
    for (const item of next.items) taken.add(item);
    plans.push(next);
  };

  for (const item of sorted.filter(isUrgent)) take(plan([item], options));

  const rest = sorted.filter((item) => !isUrgent(item));
  const buckets = new Map<string, Bucket>();
  for (const item of rest) {
    const bucket = buckets.get(item.actor) ?? { items: [], start: 0, live: 0 };
    bucket.items.push(item);
    bucket.live += 1;
    buckets.set(item.actor, bucket);
  }
  const limit = Math.min(Math.floor(options.maxEventsPerDigest), MAX_EVENTS_PER_DIGEST);
  let live = rest.length;
  let head = 0;
  while (live > 0) {
    while (taken.has(rest[head] as QueueItem)) head += 1;
    const oldest = rest[head] as QueueItem;
    const bucket = buckets.get(oldest.actor) as Bucket;
    // As planNext decides whether a digest may be made at all (rule 2); when not, it sends the oldest alone.
    const digestPossible = options.enabled && live >= options.minEvents && limit >= 2;
    let length = Math.max(limit, options.minEvents, 1);
    for (;;) {
      const prefix = liveItems(bucket, length, taken);
      const whole = prefix.length >= bucket.live;
      const padding = whole ? paddingFor(buckets, oldest.actor, options.minEvents - prefix.length, taken) : [];
      const next = plan([...prefix, ...padding], options);
      const full = next.kind === 'digest' && next.items.length >= limit;
      if (whole || full || !digestPossible) {
        take(next);
        break;
      }
      length *= 2;
    }
    for (const item of plans[plans.length - 1]?.items ?? []) {
      const owner = buckets.get(item.actor) as Bucket;
      owner.live -= 1;
      live -= 1;
      compact(owner, taken);
      if (owner.live === 0) buckets.delete(item.actor); // padding then never walks past emptied actors
    }
  }
  return plans;
}

/** The first `count` items of the bucket not taken yet. */
function liveItems(bucket: Bucket, count: number, taken: ReadonlySet<QueueItem>): QueueItem[] {
  const out: QueueItem[] = [];
  for (let i = bucket.start; i < bucket.items.length && out.length < count; i += 1) {
    const item = bucket.items[i] as QueueItem;
    if (!taken.has(item)) out.push(item);
  }
  return out;
}

/** Up to `count` waiting items of actors other than `actor` (each a bucket's oldest ones). */
function paddingFor(buckets: ReadonlyMap<string, Bucket>, actor: string, count: number, taken: ReadonlySet<QueueItem>): QueueItem[] {
  const out: QueueItem[] = [];
  if (count <= 0) return out;
  for (const [key, bucket] of buckets) {
    if (key === actor || bucket.live === 0) continue;
    out.push(...liveItems(bucket, count - out.length, taken));
    if (out.length >= count) break;
  }
  return out;
}

/**
 * Drops taken items from the front at once, and from the middle once they are half the bucket (amortised O(1)
 * per item).
 */
function compact(bucket: Bucket, taken: ReadonlySet<QueueItem>): void {
  while (bucket.start < bucket.items.length && taken.has(bucket.items[bucket.start] as QueueItem)) bucket.start += 1;
  const span = bucket.items.length - bucket.start;
  if (bucket.live === 0 || span > 2 * bucket.live + 16) {
    bucket.items = bucket.items.slice(bucket.start).filter((item) => !taken.has(item));
    bucket.start = 0;
  }
}
