import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test, type TestContext } from 'node:test';
import { DaemonError, FatalError, ShutdownRequested } from '../src/lib/errors';
import { createLogger } from '../src/logging/logger';
import { startSlackSimulator, type SlackSimulator } from '../src/sim/slack-server';
import {
  createDryRunSender,
  createSlackSender,
  parseRetryAfterMs,
  SlackRefusedError,
  type SenderStatus,
  type SlackSender,
  type SlackSenderOptions,
} from '../src/slack/sender';
import type { SlackMessage } from '../src/slack/types';
import { ManualClock } from './support/manual-clock';

// A realistic-looking webhook: every part of the path is secret.
const TEAM = 'T0SECRETTEAM';
const BOT = 'B0SECRETBOT';
const TOKEN = 'xoxSecretToken1234567890ab';
const PATH = `/services/${TEAM}/${BOT}/${TOKEN}`;

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

function captureLogs() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = createLogger({ level: 'debug', destination: stream });
  return {
    logger,
    text: () => chunks.join(''),
    lines: (): LogLine[] =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as LogLine),
  };
}

function assertNoSecret(text: string, url: string): void {
  for (const secret of [url, PATH, TEAM, BOT, TOKEN]) {
    assert.ok(!text.includes(secret), `found ${secret} in: ${text.slice(0, 2000)}`);
  }
}

interface Setup {
  sim: SlackSimulator;
  clock: ManualClock;
  sender: SlackSender;
  logs: ReturnType<typeof captureLogs>;
  statuses: SenderStatus[];
}

async function setup(t: TestContext, options: Partial<SlackSenderOptions> & { auto?: boolean } = {}): Promise<Setup> {
  const clock = new ManualClock();
  const sim = await startSlackSimulator({ path: PATH, now: () => clock.now() });
  const logs = captureLogs();
  const statuses: SenderStatus[] = [];
  const stopAuto = options.auto === false ? () => {} : clock.autoAdvance();
  t.after(async () => {
    stopAuto();
    await sim.close();
  });
  const sender = createSlackSender({
    webhookUrl: sim.url,
    clock,
    log: logs.logger,
    random: () => 0.5,
    onStatusChange: (status) => statuses.push(status),
    ...options,
  });
  return { sim, clock, sender, logs, statuses };
}

/** A broken sender must fail a test, not hang the run. */
const BOUNDED = { timeout: 10_000 };

const msg = (text: string): SlackMessage => ({ text });
const texts = (sim: SlackSimulator) => sim.received.map((m) => (m.body as { text: string }).text);

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i += 1) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('paces sends to at least 1000 ms apart by the injected clock', BOUNDED, async (t) => {
  const { sim, clock, sender } = await setup(t);
  for (const text of ['a', 'b', 'c', 'd']) assert.deepEqual(await sender.send(msg(text)), { delivered: true });
  const times = sim.received.map((m) => m.at);
  assert.equal(times.length, 4);
  for (let i = 1; i < times.length; i += 1) assert.ok(times[i]! - times[i - 1]! >= 1000, `gap ${times[i]! - times[i - 1]!}`);
  assert.deepEqual(clock.sleeps, [1000, 1000, 1000]);
  assert.deepEqual(sender.stats(), { sent: 4, retries: 0, rateLimited: 0 });
});

test('messagesPerSecond sets the gap', BOUNDED, async (t) => {
  const { sim, sender } = await setup(t, { messagesPerSecond: 2 });
  await Promise.all([sender.send(msg('a')), sender.send(msg('b')), sender.send(msg('c'))]);
  const times = sim.received.map((m) => m.at);
  assert.deepEqual([times[1]! - times[0]!, times[2]! - times[1]!], [500, 500]);
});

test('serialises concurrent callers first come first served, keeping each caller\'s order', BOUNDED, async (t) => {
  let inFlight = 0;
  let maxInFlight = 0;
  const counting: typeof fetch = async (input, init) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      return await fetch(input, init);
    } finally {
      inFlight -= 1;
    }
  };
  const { sim, sender } = await setup(t, { fetch: counting });
  const calls: string[] = [];
  const send = (text: string) => {
    calls.push(text);
    return sender.send(msg(text));
  };
  const caller = async (prefix: string) => {
    for (let i = 1; i <= 4; i += 1) assert.deepEqual(await send(`${prefix}${i}`), { delivered: true });
  };
  const burst = Promise.all(['c1', 'c2', 'c3'].map(send));
  await Promise.all([caller('a'), caller('b'), burst]);
  assert.deepEqual(texts(sim), calls);
  assert.equal(maxInFlight, 1);
  const times = sim.received.map((m) => m.at);
  for (let i = 1; i < times.length; i += 1) assert.ok(times[i]! - times[i - 1]! >= 1000);
  for (const prefix of ['a', 'b', 'c']) {
    const mine = texts(sim).filter((text) => text.startsWith(prefix));
    assert.deepEqual(mine, [...mine].sort());
  }
  assert.equal(sim.received.length, 11);
});

test('waits Retry-After seconds after a Slack 429, then delivers once', BOUNDED, async (t) => {
  const { sim, clock, sender, logs } = await setup(t);
  sim.respondNext({ status: 429, body: 'rate_limited', headers: { 'retry-after': '7' } });
  assert.deepEqual(await sender.send(msg('one')), { delivered: true });
  assert.deepEqual(await sender.send(msg('two')), { delivered: true });
  assert.deepEqual(clock.sleeps.slice(0, 1), [7000]);
  assert.equal(sim.requests.length, 3);
  assert.deepEqual(texts(sim), ['one', 'two']);
  const retryAt = sim.requests[1]!.at;
  assert.ok(retryAt - sim.requests[0]!.at >= 7000);
  const warn = logs.lines().find((line) => line.retryAfterMs !== undefined);
  assert.equal(warn?.level, 40);
  assert.equal(warn?.retryAfterMs, 7000);
  assert.deepEqual(sender.stats(), { sent: 2, retries: 1, rateLimited: 1 });
});

test('parses Retry-After as seconds or an HTTP-date, defaults to 30 s and caps at an hour', () => {
  const now = Date.UTC(2026, 10, 26, 12, 0, 0);
  assert.equal(parseRetryAfterMs('7', now), 7000);
  assert.equal(parseRetryAfterMs(' 1.5 ', now), 1500);
  assert.equal(parseRetryAfterMs('0', now), 0);
  assert.equal(parseRetryAfterMs(new Date(now + 12_000).toUTCString(), now), 12_000);
  assert.equal(parseRetryAfterMs(new Date(now - 12_000).toUTCString(), now), 0);
  assert.equal(parseRetryAfterMs(null, now), 30_000);
  assert.equal(parseRetryAfterMs('soon', now), 30_000);
  assert.equal(parseRetryAfterMs('-5', now), 30_000);
  assert.equal(parseRetryAfterMs('3600', now), 3_600_000, 'an hour is obeyed');
  assert.equal(parseRetryAfterMs('86400', now), 3_600_000);
});

test('a 429 without Retry-After waits the 30 s default', BOUNDED, async (t) => {
  const { sim, clock, sender } = await setup(t);
  sim.respondNext({ status: 429, body: 'rate_limited' });
  assert.deepEqual(await sender.send(msg('x')), { delivered: true });
  assert.deepEqual(clock.sleeps, [30_000]);
});

test('retries 5xx with growing, capped backoff and delivers exactly once', BOUNDED, async (t) => {
  const { sim, clock, sender, logs } = await setup(t, { maxBackoffMs: 3000, random: () => 1 });
  sim.respondNext(
    { status: 500, body: 'rollup_error' },
    { status: 502, body: '' },
    { status: 503, body: 'x' },
    { status: 500, body: 'rollup_error' },
  );
  assert.deepEqual(await sender.send(msg('five')), { delivered: true });
  assert.deepEqual(clock.sleeps, [1000, 2000, 3000, 3000]);
  assert.deepEqual(texts(sim), ['five']);
  assert.equal(sim.requests.length, 5);
  const warns = logs.lines().filter((line) => line.msg === 'slack post failed; backing off');
  assert.deepEqual(
    warns.map((line) => [line.attempt, line.status, line.delayMs]),
    [
      [1, 500, 1000],
      [2, 502, 2000],
      [3, 503, 3000],
      [4, 500, 3000],
    ],
  );
  assert.deepEqual(sender.stats(), { sent: 1, retries: 4, rateLimited: 0 });
});

test('jitter keeps each backoff between half the step and the step, and pacing still holds', BOUNDED, async (t) => {
  const { sim, clock, sender, logs } = await setup(t, { random: () => 0 });
  sim.respondNext({ status: 500 }, { status: 500 }, { status: 500 });
  await sender.send(msg('x'));
  const delays = logs.lines().filter((line) => line.level === 40).map((line) => line.delayMs);
  assert.deepEqual(delays, [500, 1000, 2000]);
  // The first backoff (500 ms) is shorter than the 1 s gap: pacing adds the other 500 ms.
  assert.deepEqual(clock.sleeps, [500, 500, 1000, 2000]);
  const starts = sim.requests.map((request) => request.at);
  for (let i = 1; i < starts.length; i += 1) assert.ok(starts[i]! - starts[i - 1]! >= 1000);
});

test('a 200 naming a message error is that error, not success', BOUNDED, async (t) => {
  const { sim, sender } = await setup(t);
  sim.respondNext({ status: 200, body: 'no_text' });
  assert.deepEqual(await sender.send(msg('x')), { delivered: false, error: 'no_text' });
  assert.equal(sim.requests.length, 1);
  assert.equal(sim.received.length, 0);
  assert.equal(sender.stats().sent, 0);
});

test('a 2xx with an unknown body counts as delivered (a retry could post twice), with a warning', BOUNDED, async (t) => {
  const { sim, sender, logs } = await setup(t);
  sim.respondNext({ status: 200, body: '{"ok":true}' });
  assert.deepEqual(await sender.send(msg('x')), { delivered: true });
  assert.equal(sim.requests.length, 1, 'not sent again');
  const warn = logs.lines().find((line) => line.level === 40);
  assert.equal(warn?.body, '{"ok":true}');
  sim.respondNext({ status: 200, body: 'ok\n' });
  assert.deepEqual(await sender.send(msg('y')), { delivered: true });
  assert.equal(logs.lines().filter((line) => line.level === 40).length, 1, 'a trailing newline is still ok');
});

test('a long Slack outage is reported once, then its recovery; --once gives up after its bound', BOUNDED, async (t) => {
  const { sim, clock, sender, statuses, logs } = await setup(t, { unhealthyAfterMs: 60_000 });
  sim.setDefault({ status: 503, body: 'service_unavailable' });
  const pending = sender.send(msg('during outage'));
  await waitUntil(() => statuses.length === 1, 'the outage report');
  assert.deepEqual(statuses[0], { healthy: false, kind: 'slack-failing', reason: 'service_unavailable' });
  sim.reset();
  assert.deepEqual(await pending, { delivered: true });
  assert.deepEqual(statuses[1], { healthy: true, kind: 'slack-failing' });
  assert.equal(sim.received.length, 1);

  const once = createSlackSender({ webhookUrl: sim.url, clock, log: logs.logger, random: () => 0.5, giveUpAfterMs: 120_000 });
  sim.setDefault({ status: 502, body: 'bad_gateway' });
  await assert.rejects(once.send(msg('never')), (error: Error) => error.name === 'SlackUnavailableError');
});

test('returns invalid_payload for a payload Slack rejects, without retrying', BOUNDED, async (t) => {
  const { sim, sender } = await setup(t);
  const bad: SlackMessage = { text: 't', attachments: [{ fields: [{ title: 'f', value: 'v'.repeat(2001) }] }] };
  assert.deepEqual(await sender.send(bad), { delivered: false, error: 'invalid_payload' });
  const blocks = Array.from({ length: 51 }, () => ({ type: 'section', text: { type: 'mrkdwn', text: 'b' } }));
  assert.deepEqual(await sender.send({ text: 't', blocks }), { delivered: false, error: 'invalid_blocks' });
  sim.respondNext({ status: 400, body: '' });
  assert.deepEqual(await sender.send(msg('x')), { delivered: false, error: 'http_400' });
  assert.deepEqual(await sender.send(msg('plain')), { delivered: true });
  assert.equal(sim.requests.length, 4);
  assert.deepEqual(texts(sim), ['plain']);
});

test('wait mode: a refused webhook blocks the queue, then recovers without losing messages', BOUNDED, async (t) => {
  const { sim, clock, sender, logs, statuses } = await setup(t, { refusedRetryMs: 60_000 });
  sim.setDefault({ status: 404, body: 'no_service' });
  const first = sender.send(msg('first'));
  const second = sender.send(msg('second'));
  await sim.waitForRequests(3);
  assert.equal(sim.received.length, 0);
  assert.deepEqual(statuses, [{ healthy: false, kind: 'slack-refused', reason: 'no_service' }]);
  assert.ok(sim.requests.every((request) => JSON.parse(request.raw).text === 'first'));
  sim.reset();
  assert.deepEqual(await first, { delivered: true });
  assert.deepEqual(await second, { delivered: true });
  assert.deepEqual(texts(sim), ['first', 'second']);
  assert.deepEqual(statuses, [{ healthy: false, kind: 'slack-refused', reason: 'no_service' }, { healthy: true, kind: 'slack-refused' }]);
  assert.ok(clock.sleeps.filter((ms) => ms === 60_000).length >= 2);
  const errors = logs.lines().filter((line) => line.level === 50);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.msg, 'slack refused the webhook');
  assert.equal(errors[0]?.reason, 'no_service');
  assert.equal(logs.lines().filter((line) => line.msg === 'slack accepted the webhook again').length, 1);
});

test('wait mode treats a bare 403/410 as refused too', BOUNDED, async (t) => {
  const { sim, sender, statuses } = await setup(t, { refusedRetryMs: 1000 });
  sim.respondNext({ status: 410, body: '' }, { status: 403, body: 'invalid_token' });
  assert.deepEqual(await sender.send(msg('x')), { delivered: true });
  assert.deepEqual(statuses, [{ healthy: false, kind: 'slack-refused', reason: 'http_410' }, { healthy: true, kind: 'slack-refused' }]);
  assert.equal(sim.requests.length, 3);
});

test('throw mode throws SlackRefusedError that says what to do', BOUNDED, async (t) => {
  const { sim, sender, statuses } = await setup(t, { onRefused: 'throw' });
  sim.setDefault({ status: 404, body: 'channel_not_found' });
  const error = await sender.send(msg('x')).then(
    () => assert.fail('should have thrown'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof SlackRefusedError);
  assert.ok(error instanceof FatalError);
  assert.ok(error instanceof DaemonError);
  assert.equal(error.reason, 'channel_not_found');
  assert.equal(error.status, 404);
  assert.equal(error.kind, 'slack-refused');
  assert.match(error.message, /check that SLACK_WEBHOOK_URL/);
  assertNoSecret(error.message, sim.url);
  assert.equal(sim.requests.length, 1);
  assert.deepEqual(statuses, [{ healthy: false, kind: 'slack-refused', reason: 'channel_not_found' }]);
});

test('an abort during a Retry-After wait rejects with the reason and sends nothing more', BOUNDED, async (t) => {
  const { sim, clock, sender } = await setup(t, { auto: false });
  sim.respondNext({ status: 429, body: 'rate_limited', headers: { 'retry-after': '60' } });
  const stop = new AbortController();
  const pending = sender.send(msg('x'), stop.signal);
  await waitUntil(() => clock.pending === 1, 'the Retry-After sleep');
  assert.deepEqual(clock.sleeps, [60_000]);
  const reason = new ShutdownRequested();
  stop.abort(reason);
  await assert.rejects(pending, (error) => error === reason);
  await clock.advance(120_000);
  assert.equal(sim.requests.length, 1);
  assert.equal(sim.received.length, 0);
  // The queue keeps working for the next caller.
  assert.deepEqual(await sender.send(msg('after')), { delivered: true });
  assert.deepEqual(texts(sim), ['after']);
});

test('an abort during pacing rejects and does not send', BOUNDED, async (t) => {
  const { sim, clock, sender } = await setup(t, { auto: false });
  await sender.send(msg('a'));
  const stop = new AbortController();
  const pending = sender.send(msg('b'), stop.signal);
  await waitUntil(() => clock.pending === 1, 'the pacing sleep');
  stop.abort(new ShutdownRequested());
  await assert.rejects(pending, ShutdownRequested);
  await clock.advance(5000);
  assert.deepEqual(texts(sim), ['a']);
  assert.equal(sim.requests.length, 1);
});

test('an already aborted signal or an abort while queued never sends', BOUNDED, async (t) => {
  const { sim, sender } = await setup(t);
  await assert.rejects(sender.send(msg('early'), AbortSignal.abort(new ShutdownRequested())), ShutdownRequested);
  let release!: () => void;
  sim.respondNext({ status: 200, body: 'ok', until: new Promise<void>((resolve) => (release = resolve)) });
  const head = sender.send(msg('head'));
  await sim.waitForRequests(1);
  const stop = new AbortController();
  const queued = sender.send(msg('queued'), stop.signal);
  stop.abort(new ShutdownRequested());
  await assert.rejects(queued, ShutdownRequested);
  release();
  assert.deepEqual(await head, { delivered: true });
  assert.deepEqual(texts(sim), ['head']);
  assert.equal(sim.requests.length, 1);
});

test('a message in flight completes when Slack answers within stopGraceMs of the stop', BOUNDED, async (t) => {
  const { sim, sender } = await setup(t, { stopGraceMs: 60_000 });
  let release!: () => void;
  sim.respondNext({ status: 200, body: 'ok', until: new Promise<void>((resolve) => (release = resolve)) });
  const stop = new AbortController();
  const pending = sender.send(msg('in flight'), stop.signal);
  await sim.waitForRequests(1);
  stop.abort(new ShutdownRequested());
  await new Promise((resolve) => setImmediate(resolve));
  release();
  assert.deepEqual(await pending, { delivered: true });
  assert.deepEqual(texts(sim), ['in flight']);
  assert.equal(sender.stats().sent, 1);
});

test('a stop while Slack holds the POST open: abandoned after stopGraceMs, rejected with the stop, not delivered', BOUNDED, async (t) => {
  const { sim, sender, logs } = await setup(t, { stopGraceMs: 20 });
  sim.respondNext('hang'); // Slack holds the request open and never answers
  const stop = new AbortController();
  const pending = sender.send(msg('held'), stop.signal);
  await sim.waitForRequests(1);
  const reason = new ShutdownRequested();
  stop.abort(reason);
  await assert.rejects(pending, (error) => error === reason);
  assert.equal(sender.stats().sent, 0);
  assert.equal(sim.requests.length, 1, 'no retry after the stop');
  assert.ok(logs.lines().some((line) => line.msg === 'slack did not answer before the stop; the message counts as not delivered'));
});

test('a stop while Slack sends its headers but stalls the body: cut as well', BOUNDED, async (t) => {
  const stalled: typeof fetch = async (_input, init) => {
    // Headers arrive; the body never ends until the request's signal aborts.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        init?.signal?.addEventListener('abort', () => controller.error(init.signal?.reason), { once: true });
      },
    });
    return new Response(body, { status: 200 });
  };
  const { sender } = await setup(t, { fetch: stalled, stopGraceMs: 0 });
  const stop = new AbortController();
  const pending = sender.send(msg('held'), stop.signal);
  await new Promise((resolve) => setImmediate(resolve));
  stop.abort(new ShutdownRequested());
  await assert.rejects(pending, ShutdownRequested);
  assert.equal(sender.stats().sent, 0);
});

test('a request that outlives requestTimeoutMs is abandoned and retried', BOUNDED, async (t) => {
  const { sim, sender, logs } = await setup(t, { requestTimeoutMs: 50 });
  sim.respondNext('hang');
  assert.deepEqual(await sender.send(msg('x')), { delivered: true });
  assert.equal(sim.requests.length, 2);
  assert.equal(logs.lines().find((line) => line.level === 40)?.error, 'timeout');
});

test('network errors are retried with backoff through an injected fetch', BOUNDED, async (t) => {
  let failures = 2;
  const flaky: typeof fetch = async (input, init) => {
    if (failures-- > 0) throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
    return fetch(input, init);
  };
  const { sim, sender, logs } = await setup(t, { fetch: flaky });
  assert.deepEqual(await sender.send(msg('x')), { delivered: true });
  assert.deepEqual(
    logs.lines().filter((line) => line.level === 40).map((line) => [line.error, line.attempt, line.delayMs]),
    [
      ['ECONNRESET', 1, 750],
      ['ECONNRESET', 2, 1500],
    ],
  );
  assert.equal(sender.stats().retries, 2);
  assert.deepEqual(texts(sim), ['x']);
});

test('the webhook URL never appears in logs, outcomes or errors', BOUNDED, async (t) => {
  let leaky = 1;
  const leakyFetch: typeof fetch = async (input, init) => {
    // An error that quotes the URL, as undici does for an unparsable one.
    if (leaky-- > 0) throw new TypeError(`Failed to parse URL from ${String(input)}`);
    return fetch(input, init);
  };
  const { sim, sender, logs } = await setup(t, { fetch: leakyFetch, refusedRetryMs: 1000 });
  sim.respondNext(
    { status: 429, body: `rate_limited ${sim.url}`, headers: { 'retry-after': '1' } },
    { status: 500, body: `error at ${PATH}` },
    { status: 404, body: 'no_service' },
    { status: 200, body: `weird ${TOKEN}` },
  );
  assert.deepEqual(await sender.send(msg('a')), { delivered: true });
  sim.respondNext({ status: 400, body: `bad ${TOKEN}` });
  const outcome = await sender.send(msg('b'));
  assert.equal(outcome.delivered, false);
  assertNoSecret(JSON.stringify(outcome), sim.url);
  const throwing = createSlackSender({ webhookUrl: sim.url, clock: new ManualClock(), log: logs.logger, onRefused: 'throw' });
  sim.respondNext({ status: 403, body: 'invalid_token' });
  const error = await throwing.send(msg('c')).catch((e: unknown) => e as Error);
  assert.ok(error instanceof SlackRefusedError);
  assertNoSecret(`${error.message}\n${error.stack}\n${JSON.stringify(error)}`, sim.url);
  const text = logs.text();
  assert.ok(logs.lines().length >= 6);
  assert.match(text, /\*\*\*/);
  assertNoSecret(text, sim.url);
});

test('the dry-run sender writes one JSON line per message', BOUNDED, async () => {
  const lines: string[] = [];
  const sender = createDryRunSender((line) => lines.push(line));
  const messages: SlackMessage[] = [
    { text: 'first\nwith a newline' },
    { text: 'second', attachments: [{ color: 'danger', text: 'a\nb' }], blocks: [{ type: 'divider' }] },
  ];
  // printed: the payload was written out, not posted (so no log line may say "posted").
  for (const message of messages) assert.deepEqual(await sender.send(message), { delivered: true, printed: true });
  assert.equal(lines.length, 2);
  lines.forEach((line, i) => {
    assert.ok(line.endsWith('\n'));
    assert.equal(line.indexOf('\n'), line.length - 1);
    assert.deepEqual(JSON.parse(line), messages[i]);
  });
  assert.deepEqual(sender.stats(), { sent: 2, retries: 0, rateLimited: 0 });
  await assert.rejects(sender.send(messages[0]!, AbortSignal.abort(new ShutdownRequested())), ShutdownRequested);
  assert.equal(lines.length, 2);
});
