import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DIGEST_OPTIONS, planNext, type DigestOptions, type Plan } from '../src/pipeline/plan';
import type { QueueItem } from '../src/pipeline/types';
import type { Level } from '../src/rules/decision';
import { planBacklog } from '../src/replay/plan-backlog';
import { queueItem, T0 } from './support/queue-items';
import { seededRandom } from './support/prng';

/** What a webhook's queue sends when everything waits at once: planNext until nothing is left (the reference). */
function naive(items: readonly QueueItem[], options: DigestOptions): Plan[] {
  let waiting = [...items];
  const plans: Plan[] = [];
  while (waiting.length > 0) {
    const plan = planNext(waiting, options);
    plans.push(plan);
    const taken = new Set(plan.items);
    waiting = waiting.filter((item) => !taken.has(item));
  }
  return plans;
}

const shape = (plans: readonly Plan[]) => plans.map((p) => `${p.kind}:${p.items.map((i) => i.event.id).join(',')}`);


const LEVELS: Level[] = ['informational', 'informational', 'informational', 'low', 'medium', 'high', 'critical'];
const ACTORS = ['arn:aws:sts::111122223333:assumed-role/Deployer/a', 'arn:aws:sts::111122223333:assumed-role/Deployer/b', 'arn:aws:iam::111122223333:user/carol'];
const REGIONS = ['eu-west-1', 'us-east-1', 'ap-southeast-2'];

function randomItems(rnd: () => number, n: number): QueueItem[] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  return Array.from({ length: n }, (_, i) =>
    queueItem({
      id: `e-${String(i).padStart(5, '0')}`,
      // Coarse times: many ties, so enqueuedAt and the ID order matter too.
      at: T0 + Math.floor(rnd() * 20) * 1000,
      enqueuedAt: Math.floor(rnd() * 5),
      arn: pick(ACTORS),
      region: pick(REGIONS),
      level: rnd() < 0.15 ? pick(LEVELS) : 'informational',
      mention: rnd() < 0.2 ? '<!subteam^S1>' : undefined,
    }),
  );
}

describe('planBacklog: every message of a backlog, as repeated planNext would send them', () => {
  test('the same messages as planNext over the whole waiting list, for random backlogs and options', () => {
    for (let seed = 1; seed <= 300; seed += 1) {
      const rnd = seededRandom(seed);
      const items = randomItems(rnd, 1 + Math.floor(rnd() * 160));
      const options: DigestOptions = {
        enabled: rnd() > 0.15,
        minEvents: 2 + Math.floor(rnd() * 8),
        maxEventsPerDigest: 2 + Math.floor(rnd() * 12),
        repeatWindowMs: 600_000,
      };
      assert.deepEqual(shape(planBacklog(items, options)), shape(naive(items, options)), `seed ${seed}`);
    }
  });

  test('a burst: the high event first on its own, then full digests of one actor', () => {
    const items = Array.from({ length: 120 }, (_, i) => queueItem({ at: T0 + i * 1000 }));
    const urgent = queueItem({ at: T0 + 60_500, level: 'critical', name: 'StopLogging' });
    const plans = planBacklog([...items, urgent], DEFAULT_DIGEST_OPTIONS);
    assert.deepEqual(plans.map((p) => [p.kind, p.items.length]), [['single', 1], ['digest', 50], ['digest', 50], ['digest', 20]]);
    assert.equal(plans[0]?.items[0], urgent);
    assert.deepEqual(shape(plans), shape(naive([...items, urgent], DEFAULT_DIGEST_OPTIONS)));
  });

  test('scales with the backlog, not its square: 40,000 events of one actor in two regions, and of 4,000 actors', () => {
    // Counted, not timed: how many items planNext is shown in all. Repeated planNext over everything would be
    // shown about n²/100 items (800 digests × up to 40,000 waiting = over 16 million).
    const seen = { count: 0 };
    const spy = (waiting: readonly QueueItem[], options: DigestOptions) => {
      seen.count += waiting.length;
      return planNext(waiting, options);
    };
    const oneActor = Array.from({ length: 40_000 }, (_, i) => queueItem({ id: `a-${i}`, at: T0 + i, region: REGIONS[i % 2] }));
    const plans = planBacklog(oneActor, DEFAULT_DIGEST_OPTIONS, spy);
    assert.equal(plans.length, 800);
    assert.ok(seen.count < 40 * oneActor.length, `planNext saw ${seen.count} items`);

    seen.count = 0;
    const manyActors = Array.from({ length: 40_000 }, (_, i) => queueItem({ id: `m-${i}`, at: T0 + i, arn: `arn:aws:iam::111122223333:user/u${i % 4000}` }));
    const many = planBacklog(manyActors, DEFAULT_DIGEST_OPTIONS, spy);
    assert.equal(many.reduce((sum, p) => sum + p.items.length, 0), 40_000);
    assert.ok(seen.count < 40 * manyActors.length, `planNext saw ${seen.count} items`);
  });

  test('digests off: one message per event, oldest first, high ones ahead', () => {
    const items = [queueItem({ at: T0 + 2 }), queueItem({ at: T0 + 1 }), queueItem({ at: T0 + 3, level: 'high' })];
    const plans = planBacklog(items, { ...DEFAULT_DIGEST_OPTIONS, enabled: false });
    assert.deepEqual(plans.map((p) => p.items[0]), [items[2], items[1], items[0]]);
    assert.ok(plans.every((p) => p.kind === 'single' && p.items.length === 1));
    assert.deepEqual(planBacklog([], DEFAULT_DIGEST_OPTIONS), []);
  });
});
