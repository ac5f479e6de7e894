import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_DIGEST_OPTIONS, type DigestOptions } from '../src/pipeline/plan';
import type { QueueItem } from '../src/pipeline/types';
import { createWebhookQueue, type ItemOutcome, type WebhookQueueOptions } from '../src/pipeline/webhook-queue';
import { ShutdownRequested } from '../src/lib/errors';
import { createSlackSender, type SendOutcome, type SlackSender } from '../src/slack/sender';
import type { SlackMessage } from '../src/slack/types';
import { captureLogger } from './support/daemon-harness';
import { ManualClock } from './support/manual-clock';
import { queueItem, T0 } from './support/queue-items';

const DIGESTS: DigestOptions = { ...DEFAULT_DIGEST_OPTIONS };
const NO_DIGESTS: DigestOptions = { ...DEFAULT_DIGEST_OPTIONS, enabled: false };

/** A sender that records each message and answers with `answer` (default ok); `gate` holds a send until released. */
function fakeSender(answer: (message: SlackMessage, n: number) => SendOutcome = () => ({ delivered: true })) {
  const sent: SlackMessage[] = [];
  const trace: string[] = [];
  let gate: Promise<void> | undefined;
  const sender: SlackSender = {
    async send(message, signal) {
      signal?.throwIfAborted();
      if (gate) await gate;
      sent.push(message);
      trace.push(`post ${sent.length}`);
      return answer(message, sent.length);
    },
    stats: () => ({ sent: sent.length, retries: 0, rateLimited: 0 }),
  };
  return { sender, sent, trace, hold: (until: Promise<void>) => void (gate = until) };
}

function queueWith(sender: SlackSender, overrides: Partial<WebhookQueueOptions> = {}) {
  const logs = captureLogger();
  const queue = createWebhookQueue({ name: 'default', sender, log: logs.log, digest: DIGESTS, ...overrides });
  return { queue, logs };
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise<void>((r) => setImmediate(r));
}

const routine = (n: number, start = T0): QueueItem[] =>
  Array.from({ length: n }, (_, i) => queueItem({ at: start + i * 1000, resource: `arn:aws:ec2:eu-west-1:111122223333:instance/i-${i}` }));

describe('webhook queue: ordering and commits', () => {
  test("commits a message's items before the next POST, so a kill -9 repeats at most one message", async () => {
    const fake = fakeSender();
    const { queue } = queueWith(fake.sender, { digest: NO_DIGESTS });
    const gates = [deferred(), deferred(), deferred()];
    let commits = 0;
    const done = queue.submit(routine(3), async (items) => {
      const n = commits++;
      fake.trace.push(`commit ${items.map((i) => i.event.id).join()} start`);
      await gates[n]!.promise;
      fake.trace.push(`commit ${n + 1} end`);
    });
    await settle();
    assert.equal(fake.sent.length, 1, 'the second message waits for the first commit');
    gates[0]!.resolve();
    await settle();
    assert.equal(fake.sent.length, 2);
    gates[1]!.resolve();
    gates[2]!.resolve();
    const outcomes = await done;
    assert.deepEqual(outcomes.map((o) => o.result), ['posted', 'posted', 'posted']);
    const order = fake.trace.map((line) => line.replace(/commit \S+ start/, 'commit start'));
    assert.deepEqual(order, ['post 1', 'commit start', 'commit 1 end', 'post 2', 'commit start', 'commit 2 end', 'post 3', 'commit start', 'commit 3 end']);
  });

  test('a failed commit rejects that submission with its error and withdraws its unsent items; other submissions go on', async () => {
    const fake = fakeSender();
    const { queue } = queueWith(fake.sender, { digest: NO_DIGESTS });
    const diskFull = new Error('ENOSPC');
    const a = routine(3, T0);
    const b = routine(2, T0 + 500);
    const first = queue.submit(a, async () => {
      throw diskFull;
    });
    const second = queue.submit(b, async () => {});
    await assert.rejects(first, (error) => error === diskFull);
    const outcomes = await second;
    assert.deepEqual(outcomes.map((o) => o.item.event.id), b.map((i) => i.event.id));
    const posted = fake.sent.map((m) => m.text);
    assert.equal(posted.length, 3, 'one of the failing submission (then withdrawn), both of the other');
    assert.equal(queue.depth(), 0);
  });

  test('a high item submitted while a digest is in flight goes out next, alone, ahead of older routine items', async () => {
    const fake = fakeSender();
    const { queue } = queueWith(fake.sender);
    const hold = deferred();
    fake.hold(hold.promise);
    const batch = queue.submit(routine(120), async () => {});
    await settle();
    const stop = queueItem({ name: 'StopLogging', at: T0 + 500_000, level: 'high', mention: '<!subteam^S1>' });
    const urgent = queue.submit([stop], async () => {});
    hold.resolve();
    await Promise.all([batch, urgent]);
    assert.equal(fake.sent.length, 4, 'digest, StopLogging, digest, digest');
    assert.match(fake.sent[1]!.text, /^<!subteam\^S1> /, 'the mention leads the top-level text');
    assert.match(JSON.stringify(fake.sent[1]), /StopLogging/);
    assert.ok(!JSON.stringify(fake.sent[0]).includes('StopLogging') && !JSON.stringify(fake.sent[2]).includes('StopLogging'));
  });

  test('depth() counts the items waiting', async () => {
    const fake = fakeSender();
    const { queue } = queueWith(fake.sender, { digest: NO_DIGESTS });
    const hold = deferred();
    fake.hold(hold.promise);
    const done = queue.submit(routine(4), async () => {});
    await settle();
    assert.equal(queue.depth(), 3, 'one in flight, three waiting');
    hold.resolve();
    await done;
    assert.equal(queue.depth(), 0);
  });
});

describe('webhook queue: what Slack rejects', () => {
  test('a rejected rich message is sent once more as plain text (the mention kept)', async () => {
    const fake = fakeSender((_m, n) => (n === 1 ? { delivered: false, error: 'invalid_payload' } : { delivered: true }));
    const { queue } = queueWith(fake.sender);
    const item = queueItem({ name: 'DeleteTrail', level: 'critical', mention: '<!subteam^S9>' });
    const [outcome] = await queue.submit([item], async () => {});
    assert.equal(outcome?.result, 'posted');
    assert.equal(fake.sent.length, 2);
    assert.ok(fake.sent[0]!.attachments, 'rich first');
    assert.equal(fake.sent[1]!.attachments, undefined, 'then text only');
    assert.match(fake.sent[1]!.text, /^<!subteam\^S9> .*DeleteTrail/);
  });

  test('a rejected digest falls back to the plain digest', async () => {
    const fake = fakeSender((_m, n) => (n === 1 ? { delivered: false, error: 'invalid_payload' } : { delivered: true }));
    const { queue } = queueWith(fake.sender);
    const items = routine(8);
    const outcomes = await queue.submit(items, async () => {});
    assert.deepEqual(outcomes.map((o) => [o.result, o.kind]), items.map(() => ['posted', 'digest']));
    assert.equal(fake.sent.length, 2);
    for (const item of items) assert.ok(fake.sent[1]!.text.includes(item.event.id), 'the plain digest names every event');
  });

  test('rejected twice: each item is recorded undeliverable, committed (never retried), and the queue goes on', async () => {
    const fake = fakeSender((_m, n) => (n <= 2 ? { delivered: false, error: 'invalid_payload' } : { delivered: true }));
    const recorded: Array<[string, string]> = [];
    const committed: string[] = [];
    const { queue, logs } = queueWith(fake.sender, {
      digest: NO_DIGESTS,
      recordUndeliverable: async (item, error) => void recorded.push([item.event.id, error]),
    });
    const items = routine(2);
    const outcomes = await queue.submit(items, async (done) => void committed.push(...done.map((i) => i.event.id)));
    assert.deepEqual(outcomes.map((o) => o.result), ['undeliverable', 'posted']);
    assert.equal(outcomes[0]!.error, 'invalid_payload');
    assert.deepEqual(recorded, [[items[0]!.event.id, 'invalid_payload']]);
    assert.deepEqual(committed, items.map((i) => i.event.id));
    assert.ok(logs.lines.some((l) => l.msg === 'slack rejected the plain message too; recorded as undeliverable'));
  });

  test('an event no formatter can format is recorded undeliverable without a POST, and the events after it are posted', async () => {
    const fake = fakeSender();
    const recorded: string[] = [];
    const { queue, logs } = queueWith(fake.sender, { recordUndeliverable: async (item, error) => void recorded.push(`${item.event.id} ${error}`) });
    const [bad, good] = routine(2);
    // A formatter bug, simulated: the event's resources cannot even be read.
    Object.defineProperty(bad!.event, 'resources', { get: () => { throw new TypeError('formatter bug'); } });
    const outcomes = await queue.submit([bad!, good!], async () => {});
    assert.deepEqual(outcomes.map((o) => o.result), ['undeliverable', 'posted']);
    assert.deepEqual(recorded, [`${bad!.event.id} could not be formatted (TypeError)`]);
    assert.equal(fake.sent.length, 1);
    assert.ok(JSON.stringify(fake.sent[0]).includes(good!.event.id));
    assert.ok(logs.lines.some((l) => l.msg === 'the plain version could not be formatted'));
  });

  test('the sender giving up (--once) rejects the submission with its error and posts nothing more of it', async () => {
    const refused = new Error('refused');
    const sender: SlackSender = {
      send: async () => {
        throw refused;
      },
      stats: () => ({ sent: 0, retries: 0, rateLimited: 0 }),
    };
    const { queue } = queueWith(sender, { digest: NO_DIGESTS });
    let commits = 0;
    await assert.rejects(queue.submit(routine(3), async () => void (commits += 1)), (e) => e === refused);
    assert.equal(commits, 0);
    assert.equal(queue.depth(), 0);
  });
});

describe('webhook queue: stop', () => {
  test('a stop rejects waiting items with an AbortError after the message in flight is posted and committed', async () => {
    const stop = new AbortController();
    const fake = fakeSender();
    const { queue } = queueWith(fake.sender, { digest: NO_DIGESTS, signal: stop.signal });
    const hold = deferred();
    fake.hold(hold.promise);
    const committed: string[] = [];
    const items = routine(5);
    const done = queue.submit(items, async (c) => void committed.push(...c.map((i) => i.event.id)));
    await settle();
    stop.abort(new ShutdownRequested());
    assert.equal(queue.depth(), 0, 'waiting items withdrawn at once');
    let settled = false;
    void done.catch(() => (settled = true));
    await settle();
    assert.equal(settled, false, 'not before the message in flight is done');
    hold.resolve();
    await assert.rejects(done, (error: Error) => error.name === 'ShutdownRequested');
    assert.equal(fake.sent.length, 1, 'nothing posted after the stop');
    assert.deepEqual(committed, [items[0]!.event.id], 'the message in flight was committed');
    await assert.rejects(queue.submit(routine(1), async () => {}), (error: Error) => error.name === 'ShutdownRequested');
  });
});

/** The real paced sender (1 msg/s, Retry-After) on a ManualClock, posting to a fake fetch. */
function pacedSender(clock: ManualClock, answer: () => Response = () => new Response('ok')) {
  const posts: Array<{ at: number; body: SlackMessage }> = [];
  const fetch = (async (_url: string, init: RequestInit) => {
    posts.push({ at: clock.now(), body: JSON.parse(String(init.body)) as SlackMessage });
    return answer();
  }) as unknown as typeof globalThis.fetch;
  const sender = createSlackSender({ webhookUrl: 'https://hooks.slack.test/services/T/B/SECRET', clock, log: captureLogger().log, fetch });
  return { sender, posts };
}

describe('webhook queue: flood control', () => {
  test('a burst of 500 events with one StopLogging: StopLogging first and alone, at most 10 digests, every ID once, no 429', async (t) => {
    const clock = new ManualClock(T0 + 3_600_000);
    const stopAuto = clock.autoAdvance();
    t.after(stopAuto);
    const slack = pacedSender(clock);
    const { queue } = queueWith(slack.sender);
    const burst = routine(500);
    const stopLogging = queueItem({ name: 'StopLogging', at: T0 + 250_500, level: 'high' });
    const items = [...burst.slice(0, 250), stopLogging, ...burst.slice(250)];
    const messages: string[][] = [];
    const start = clock.now();
    const outcomes: ItemOutcome[] = await queue.submit(items, async (done) => void messages.push(done.map((i) => i.event.id)));

    assert.equal(outcomes.length, 501);
    assert.ok(outcomes.every((o) => o.result === 'posted'));
    assert.deepEqual(messages[0], [stopLogging.event.id], 'StopLogging first, alone');
    assert.ok(messages.length - 1 <= 10, `${messages.length - 1} digests`);
    assert.ok(outcomes.filter((o) => o.kind === 'digest').length === 500);
    const carried = messages.flat();
    assert.equal(carried.length, 501, 'every ID in exactly one message');
    assert.deepEqual(new Set(carried), new Set(items.map((i) => i.event.id)));
    assert.equal(slack.posts.length, messages.length, 'no retries: no 429, no rejection');
    for (const id of burst.map((i) => i.event.id)) {
      const holding = slack.posts.filter((p) => JSON.stringify(p.body).includes(id));
      assert.equal(holding.length, 1, `event ${id} named in exactly one message`);
    }
    const seconds = (slack.posts.at(-1)!.at - start) / 1000;
    assert.ok(seconds <= 11, `the burst took ${seconds} s of Slack's pace`);
  });

  test('two webhooks do not block each other: a webhook answering 429 for an hour never delays the other', async (t) => {
    const clock = new ManualClock();
    const stopAuto = clock.autoAdvance();
    t.after(stopAuto);
    const flooded = pacedSender(clock, () => new Response('rate_limited', { status: 429, headers: { 'retry-after': '3600' } }));
    const healthy = pacedSender(clock);
    const stop = new AbortController();
    const a = queueWith(flooded.sender, { name: 'a', digest: NO_DIGESTS, signal: stop.signal }).queue;
    const b = queueWith(healthy.sender, { name: 'b', digest: NO_DIGESTS, signal: stop.signal }).queue;
    const start = clock.now();
    const stuck = a.submit(routine(20), async () => {});
    stuck.catch(() => {});
    const outcomes = await b.submit(routine(20), async () => {});
    assert.equal(outcomes.length, 20);
    assert.equal(healthy.posts.length, 20);
    const seconds = (healthy.posts.at(-1)!.at - start) / 1000;
    assert.ok(seconds <= 20, `webhook b took ${seconds} s for 20 messages at 1/s`);
    assert.ok(flooded.posts.length >= 1 && flooded.posts.every((p) => p.at - start < 3_600_000), 'a was still waiting out its Retry-After');
    stop.abort(new ShutdownRequested());
    await assert.rejects(stuck);
  });
});

describe('webhook queue: ready-made messages (heartbeat, monitors)', () => {
  test('post() sends through the same paced sender as the events (1 msg/s), is never planned or committed, and says what Slack answered', async (t) => {
    const clock = new ManualClock(T0 + 3_600_000);
    const stopAuto = clock.autoAdvance();
    t.after(stopAuto);
    const slack = pacedSender(clock);
    const { queue } = queueWith(slack.sender, { digest: NO_DIGESTS });
    const committed: string[] = [];
    const events = queue.submit(routine(3), async (done) => void committed.push(...done.map((i) => i.event.id)));
    const heartbeat = queue.post({ text: 'heartbeat' });
    assert.deepEqual(await heartbeat, { delivered: true });
    await events;
    assert.equal(slack.posts.length, 4);
    assert.equal(slack.posts.filter((p) => p.body.text === 'heartbeat').length, 1);
    const gaps = slack.posts.slice(1).map((p, i) => p.at - slack.posts[i]!.at);
    assert.ok(gaps.every((gap) => gap >= 1000), `paced: ${gaps.join(', ')}`);
    assert.equal(committed.length, 3, 'only the events are committed');
  });
});
