import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSlackSimulator, type SlackSimulator } from '../src/sim/slack-server';

async function start(t: { after: (fn: () => Promise<void>) => void }): Promise<SlackSimulator> {
  const sim = await startSlackSimulator();
  t.after(() => sim.close());
  return sim;
}

async function post(url: string, body: unknown, contentType = 'application/json') {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.text(), type: response.headers.get('content-type') };
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const fields = (count: number, length = 5) => ({
  type: 'section',
  fields: Array.from({ length: count }, () => ({ type: 'mrkdwn', text: 'x'.repeat(length) })),
});

test('accepts a valid message with 200 text/html "ok" and records it', async (t) => {
  const sim = await start(t);
  assert.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+\/services\/T000\/B000\/XXXX$/);
  const seen: unknown[] = [];
  sim.onMessage((message) => seen.push(message.body));
  const result = await post(sim.url, { text: 'hello', blocks: [section('hi')] });
  assert.deepEqual(result, { status: 200, body: 'ok', type: 'text/html' });
  assert.equal(sim.received.length, 1);
  assert.deepEqual(sim.received[0]?.body, { text: 'hello', blocks: [section('hi')] });
  assert.equal(sim.received[0]?.truncated, false);
  assert.equal(sim.received[0]?.headers['content-type'], 'application/json');
  assert.deepEqual(seen, [{ text: 'hello', blocks: [section('hi')] }]);
  assert.equal(sim.requests.length, 1);
});

test('accepts a form-encoded payload= body, as Slack does', async (t) => {
  const sim = await start(t);
  const form = new URLSearchParams({ payload: JSON.stringify({ text: 'form' }) }).toString();
  const result = await post(sim.url, form, 'application/x-www-form-urlencoded');
  assert.equal(result.body, 'ok');
  assert.deepEqual(sim.received[0]?.body, { text: 'form' });
});

const limitCases: Array<[string, unknown, number, string]> = [
  ['not JSON', '{"text": ', 400, 'invalid_payload'],
  ['JSON that is not an object', '[1,2]', 400, 'invalid_payload'],
  ['no text, blocks or attachments', { text: '' }, 400, 'no_text'],
  ['only empty arrays', { blocks: [], attachments: [] }, 400, 'no_text'],
  ['101 attachments', { text: 't', attachments: Array.from({ length: 101 }, () => ({ text: 'a' })) }, 400, 'too_many_attachments'],
  ['51 blocks', { text: 't', blocks: Array.from({ length: 51 }, () => section('b')) }, 400, 'invalid_blocks'],
  ['section text over 3000', { text: 't', blocks: [section('x'.repeat(3001))] }, 400, 'invalid_blocks'],
  ['11 fields in a section', { text: 't', blocks: [fields(11)] }, 400, 'invalid_blocks'],
  ['a section field over 2000', { text: 't', blocks: [fields(2, 2001)] }, 400, 'invalid_blocks'],
  ['a block without a type', { text: 't', blocks: [{ text: 'x' }] }, 400, 'invalid_blocks_format'],
  ['blocks that are not an array', { text: 't', blocks: { type: 'section' } }, 400, 'invalid_blocks_format'],
  ['an over-long section inside an attachment', { text: 't', attachments: [{ blocks: [section('x'.repeat(3001))] }] }, 400, 'invalid_blocks'],
  [
    'a legacy attachment field value over 2000',
    { text: 't', attachments: [{ fields: [{ title: 'f', value: 'v'.repeat(2001) }] }] },
    400,
    'invalid_payload',
  ],
];

for (const [name, payload, status, body] of limitCases) {
  test(`rejects ${name} with ${status} ${body}`, async (t) => {
    const sim = await start(t);
    const result = await post(sim.url, payload);
    assert.deepEqual({ status: result.status, body: result.body }, { status, body });
    assert.equal(sim.received.length, 0);
    assert.equal(sim.requests.length, 1);
    assert.deepEqual(sim.requests[0]?.response, { status, body });
  });
}

test('accepts messages exactly at the limits', async (t) => {
  const sim = await start(t);
  const payload = {
    text: 't',
    blocks: [section('x'.repeat(3000)), fields(10, 2000), ...Array.from({ length: 48 }, () => section('b'))],
    attachments: [
      { fields: [{ title: 'f', value: 'v'.repeat(2000) }] },
      ...Array.from({ length: 99 }, () => ({ text: 'a' })),
    ],
  };
  assert.equal((await post(sim.url, payload)).body, 'ok');
  assert.equal((await post(sim.url, { blocks: [section('only blocks')] })).body, 'ok');
  assert.equal((await post(sim.url, { attachments: [{ text: 'only attachments' }] })).body, 'ok');
  assert.equal(sim.received.length, 3);
});

test('accepts top-level text over 40,000 characters but records it truncated', async (t) => {
  const sim = await start(t);
  const result = await post(sim.url, { text: 'y'.repeat(40_001) });
  assert.equal(result.body, 'ok');
  const [message] = sim.received;
  assert.equal(message?.truncated, true);
  assert.equal((message?.body as { text: string }).text.length, 40_000);
  assert.equal(message?.raw.length, JSON.stringify({ text: 'y'.repeat(40_001) }).length);
  assert.equal((await post(sim.url, { text: 'y'.repeat(40_000) })).body, 'ok');
  assert.equal(sim.received[1]?.truncated, false);
});

test('an unknown webhook path gets 404 no_service', async (t) => {
  const sim = await start(t);
  const result = await post(sim.url.replace('XXXX', 'YYYY'), { text: 'hi' });
  assert.deepEqual({ status: result.status, body: result.body }, { status: 404, body: 'no_service' });
  assert.equal(sim.received.length, 0);
});

test('scripted responses come first, in order, then validation resumes', async (t) => {
  const sim = await start(t);
  sim.respondNext({ status: 429, body: 'rate_limited', headers: { 'retry-after': '7' } }, { status: 500, body: 'rollup_error' });
  const first = await fetch(sim.url, { method: 'POST', body: '{"text":"a"}' });
  assert.equal(first.status, 429);
  assert.equal(first.headers.get('retry-after'), '7');
  assert.equal(await first.text(), 'rate_limited');
  assert.deepEqual((await post(sim.url, { text: 'b' })).status, 500);
  assert.deepEqual(await post(sim.url, { text: 'c' }), { status: 200, body: 'ok', type: 'text/html' });
  assert.deepEqual(
    sim.received.map((m) => m.body),
    [{ text: 'c' }],
  );
  assert.equal(sim.requests.length, 3);
});

test('a scripted 200 with a non-ok body is not recorded as received', async (t) => {
  const sim = await start(t);
  sim.respondNext({ status: 200, body: 'no_text' });
  assert.deepEqual(await post(sim.url, { text: 'a' }), { status: 200, body: 'no_text', type: 'text/html' });
  assert.equal(sim.received.length, 0);
});

test('setDefault persists until reset', async (t) => {
  const sim = await start(t);
  sim.setDefault({ status: 404, body: 'no_service' });
  assert.equal((await post(sim.url, { text: 'a' })).status, 404);
  assert.equal((await post(sim.url, { text: 'b' })).status, 404);
  sim.reset();
  assert.equal((await post(sim.url, { text: 'c' })).body, 'ok');
  assert.deepEqual(
    sim.received.map((m) => m.body),
    [{ text: 'c' }],
  );
});

test('a held response answers only once released', async (t) => {
  const sim = await start(t);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  sim.respondNext({ status: 200, body: 'ok', until: gate });
  let answered = false;
  const pending = post(sim.url, { text: 'slow' }).then((r) => ((answered = true), r));
  await sim.waitForRequests(1);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(answered, false);
  assert.equal(sim.received.length, 0);
  release();
  assert.equal((await pending).body, 'ok');
  assert.equal(sim.received.length, 1);
});

test('a hung request does not block close(), and the client sees the socket die', { timeout: 5000 }, async () => {
  const sim = await startSlackSimulator();
  sim.setDefault('hang');
  const pending = fetch(sim.url, { method: 'POST', body: '{"text":"a"}' }).then(
    () => 'answered',
    () => 'failed',
  );
  await sim.waitForRequests(1);
  assert.equal(sim.requests[0]?.response, 'hang');
  await sim.close();
  assert.equal(await pending, 'failed');
  assert.equal(sim.received.length, 0);
});
