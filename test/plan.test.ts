import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromRecord } from '../src/events/parse';
import type { TrailEvent } from '../src/events/types';
import { actorKey, DEFAULT_DIGEST_OPTIONS, planNext, type DigestOptions, type Plan } from '../src/pipeline/plan';
import type { QueueItem } from '../src/pipeline/types';
import type { Level } from '../src/rules/decision';
import { queueItem, ROLE_ARN, T0, type ItemSpec } from './support/queue-items';

const ROLE = ROLE_ARN;
const item = queueItem;
type Spec = ItemSpec;

const ids = (plan: Plan) => plan.items.map((i) => i.event.id);
const options = (overrides: Partial<DigestOptions> = {}): DigestOptions => ({ ...DEFAULT_DIGEST_OPTIONS, ...overrides });

/** Calls planNext until nothing waits, removing what each message carries, as a webhook queue would. */
function drain(waiting: QueueItem[], opts: DigestOptions): Plan[] {
  const left = [...waiting];
  const plans: Plan[] = [];
  while (left.length > 0) {
    const plan = planNext(left, opts);
    assert.ok(plan.items.length > 0, 'planNext returned nothing while items wait');
    for (const chosen of plan.items) left.splice(left.indexOf(chosen), 1);
    plans.push(plan);
  }
  return plans;
}

describe('planNext', () => {
  test('returns an empty single for an empty queue', () => {
    assert.deepEqual(planNext([], options()), { kind: 'single', items: [] });
  });

  test('a high or critical item goes first and alone, even when it is not the oldest', () => {
    const routine = Array.from({ length: 20 }, (_, i) => item({ at: T0 + i * 1000 }));
    const high = item({ name: 'StopLogging', at: T0 + 30_000, level: 'high' });
    const critical = item({ name: 'DeleteTrail', at: T0 + 40_000, level: 'critical' });
    const waiting = [...routine, critical, high];
    assert.deepEqual(planNext(waiting, options()), { kind: 'single', items: [high] });
    assert.deepEqual(planNext([...routine, critical], options()), { kind: 'single', items: [critical] });
  });

  test('high and critical items are never folded into a digest, whatever their actor', () => {
    const waiting = Array.from({ length: 12 }, (_, i) => item({ at: T0 + i, level: i % 2 ? 'high' : 'critical' }));
    const plans = drain(waiting, options({ minEvents: 2 }));
    assert.equal(plans.length, 12);
    assert.ok(plans.every((p) => p.kind === 'single' && p.items.length === 1));
    // oldest first among them
    assert.deepEqual(plans.map((p) => p.items[0]), waiting);
  });

  test('medium and low items are digested like informational ones', () => {
    const waiting = ['low', 'medium', 'informational', 'medium', 'low'].map((level, i) => item({ at: T0 + i, level: level as Level }));
    const plan = planNext(waiting, options());
    assert.equal(plan.kind, 'digest');
    assert.deepEqual(plan.items, waiting);
  });

  test("the digest is the oldest item's group, oldest first", () => {
    const bob = 'arn:aws:iam::111122223333:user/bob';
    const waiting = [
      item({ arn: bob, at: T0 + 5 }),
      item({ at: T0 + 9 }),
      item({ arn: bob, at: T0 + 1 }),
      item({ at: T0 + 2 }),
      item({ arn: bob, at: T0 + 3 }),
    ];
    const plan = planNext(waiting, options());
    assert.equal(plan.kind, 'digest');
    assert.deepEqual(plan.items, [waiting[2], waiting[4], waiting[0]]);
  });

  test('ties in event time are broken by enqueuedAt, then event ID', () => {
    const a = item({ id: 'b-id', at: T0, enqueuedAt: 5 });
    const b = item({ id: 'a-id', at: T0, enqueuedAt: 5 });
    const c = item({ id: 'c-id', at: T0, enqueuedAt: 1 });
    assert.deepEqual(ids(planNext([a, b, c], options({ enabled: false }))), ['c-id']);
    assert.deepEqual(ids(planNext([a, b], options({ enabled: false }))), ['a-id']);
  });

  test('a digest holds at most maxEventsPerDigest items, and never more than 50', () => {
    const waiting = Array.from({ length: 120 }, (_, i) => item({ at: T0 + i }));
    assert.equal(planNext(waiting, options({ maxEventsPerDigest: 7 })).items.length, 7);
    assert.deepEqual(planNext(waiting, options()).items, waiting.slice(0, 50));
    assert.equal(planNext(waiting, options({ maxEventsPerDigest: 500 })).items.length, 50);
  });

  test('below minEvents every item goes alone', () => {
    const waiting = Array.from({ length: 4 }, (_, i) => item({ at: T0 + i }));
    assert.deepEqual(planNext(waiting, options({ minEvents: 5 })), { kind: 'single', items: [waiting[0]] });
    assert.equal(planNext([...waiting, item({ at: T0 + 9 })], options({ minEvents: 5 })).kind, 'digest');
  });

  test('with digests disabled every item goes alone, oldest first', () => {
    const waiting = Array.from({ length: 60 }, (_, i) => item({ at: T0 + (59 - i) }));
    const plans = drain(waiting, options({ enabled: false }));
    assert.equal(plans.length, 60);
    assert.ok(plans.every((p) => p.kind === 'single' && p.items.length === 1));
    assert.deepEqual(plans.map((p) => p.items[0]), [...waiting].reverse());
  });

  test('a group of one is a single even when many items wait', () => {
    const lone = item({ arn: 'arn:aws:iam::111122223333:user/carol', at: T0 });
    const others = Array.from({ length: 10 }, (_, i) => item({ at: T0 + 1 + i }));
    assert.deepEqual(planNext([...others, lone], options()), { kind: 'single', items: [lone] });
  });

  test('mixed actors, regions, sessions and mentions never share a digest', () => {
    const kinds: Spec[] = [
      {},
      { arn: 'arn:aws:sts::111122223333:assumed-role/Deployer/other-session' },
      { arn: 'arn:aws:iam::111122223333:user/bob' },
      { region: 'us-east-1' },
      { mention: '<!subteam^S123>' },
      { mention: '<@U999>' },
    ];
    const waiting = Array.from({ length: 90 }, (_, i) => item({ ...kinds[i % kinds.length], at: T0 + i }));
    const plans = drain(waiting, options({ minEvents: 2 }));
    for (const plan of plans) {
      const keys = new Set(plan.items.map((i) => JSON.stringify([i.actor, i.target, i.event.region, i.mention])));
      assert.equal(keys.size, 1, 'one group per message');
    }
    assert.equal(plans.length, kinds.length);
  });

  test("the issue's burst: 500 events with one StopLogging → StopLogging alone first, then at most 10 digests", () => {
    const burst = Array.from({ length: 500 }, (_, i) =>
      i === 250 ? item({ name: 'StopLogging', at: T0 + i * 100, level: 'high' }) : item({ at: T0 + i * 100 }),
    );
    const plans = drain(burst, DEFAULT_DIGEST_OPTIONS);
    assert.deepEqual(plans[0], { kind: 'single', items: [burst[250]] });
    const digests = plans.slice(1);
    assert.ok(digests.length <= 10, `${digests.length} digests`);
    assert.ok(digests.every((p) => p.kind === 'digest' && p.items.length <= 50));
    const carried = plans.flatMap(ids);
    assert.equal(carried.length, 500);
    assert.deepEqual(new Set(carried), new Set(burst.map((i) => i.event.id)), 'every item in exactly one message');
  });

  test('a StopLogging queued while a digest backlog waits jumps ahead of it', () => {
    const backlog = Array.from({ length: 200 }, (_, i) => item({ at: T0 + i }));
    const left = [...backlog];
    const first = planNext(left, DEFAULT_DIGEST_OPTIONS);
    for (const chosen of first.items) left.splice(left.indexOf(chosen), 1);
    const late = item({ name: 'StopLogging', at: T0 + 1000, level: 'high' });
    assert.deepEqual(planNext([...left, late], DEFAULT_DIGEST_OPTIONS).items, [late]);
  });

  test('is deterministic: the same items in any order give the same plan', () => {
    const arns = [ROLE, 'arn:aws:iam::111122223333:user/bob'];
    const waiting = Array.from({ length: 80 }, (_, i) => item({ arn: arns[i % 2], at: T0 + (i % 7) * 1000 }));
    const expected = drain(waiting, options()).map(ids);
    assert.deepEqual(drain(waiting, options()).map(ids), expected);
    assert.deepEqual(drain([...waiting].reverse(), options()).map(ids), expected);
    const shuffled = waiting.map((w, i) => [((i * 37) % 80), w] as const).sort((a, b) => a[0] - b[0]).map(([, w]) => w);
    assert.deepEqual(drain(shuffled, options()).map(ids), expected);
  });
});

describe('actorKey', () => {
  test('is the principal ARN when there is one, so each role session is its own actor', () => {
    assert.equal(item().actor, ROLE);
    assert.notEqual(item({ arn: `${ROLE}-2` }).actor, item().actor);
  });

  test('without an ARN: identity type, account and name, so equal names in two accounts differ', () => {
    const base = { eventID: 'e1', eventName: 'CreateUser', eventTime: '2026-11-26T12:00:00Z', awsRegion: 'us-east-1' };
    const inAccount = (accountId: string) =>
      actorKey(fromRecord({ ...base, userIdentity: { type: 'IAMUser', userName: 'alice', accountId } }) as TrailEvent);
    assert.equal(inAccount('111122223333'), inAccount('111122223333'));
    assert.notEqual(inAccount('111122223333'), inAccount('444455556666'));
    const other = actorKey(fromRecord({ ...base, userIdentity: { type: 'IAMUser', userName: 'bob', accountId: '111122223333' } }) as TrailEvent);
    assert.notEqual(other, inAccount('111122223333'));
  });

  test('a record without userIdentity (Insights) or an unparseable record still gets a key', () => {
    const insights = fromRecord({ eventID: 'i1', eventName: 'CloudTrailInsight', eventTime: '2026-11-26T12:00:00Z' }) as TrailEvent;
    assert.equal(typeof actorKey(insights), 'string');
    const broken: TrailEvent = { ...insights, record: undefined, recordError: 'CloudTrailEvent is missing' };
    assert.equal(actorKey(broken), actorKey({ ...broken, id: 'other' }));
  });

  test('an ARN-looking user name cannot pose as a principal ARN', () => {
    const spoof = fromRecord({
      eventID: 's1',
      eventTime: '2026-11-26T12:00:00Z',
      userIdentity: { type: 'IAMUser', userName: ROLE, accountId: '111122223333' },
    }) as TrailEvent;
    assert.notEqual(actorKey(spoof), ROLE);
  });
});
