import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IncomingWebhook, type IncomingWebhookSendArguments } from '@slack/webhook';
import type { QueueItem } from '../src/pipeline/types';
import { parseMrkdwn } from '../src/preview/mrkdwn';
import { resolveColour, toPreviewMessage } from '../src/preview/payload';
import { startSlackSimulator } from '../src/sim/slack-server';
import { codeSpan, safeText } from '../src/slack/escape';
import { COLOURS } from '../src/slack/format';
import { DIGEST_TEXT_BUDGET, formatDigestMessage, formatPlainDigest } from '../src/slack/format-digest';
import { LEVEL_COLOURS } from '../src/slack/level-colours';
import type { SlackMessage } from '../src/slack/types';
import { loadFixtureRecords } from './support/fixtures';
import { queueItem, T0, type ItemSpec } from './support/queue-items';

const WINDOW = 10 * 60_000;
const MENTION = '<!subteam^S0123ABCD|@security>';
/** Slack: top-level text best under 4,000 characters; our attachment-text ceiling 12,000 (API-FACTS C.2, O.1). */
const TEXT_LIMIT = 4000;
const ATTACHMENT_TEXT_LIMIT = 12_000;
/** Control sequences the formatter builds itself: date tokens and console links. */
const OUR_SEQUENCES = [
  /<!date\^\d+\^\{date_short_pretty\} \{time_secs\}\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC>/g,
  /<!date\^\d+\^\{time_secs\}\|\d\d:\d\d:\d\d UTC>/g,
  /<https:\/\/[a-z0-9-]+\.console\.aws\.amazon\.com\/cloudtrail[a-z0-9]*\/home\?region=[a-z0-9-]+#\/events\/[A-Za-z0-9%._~!*'()-]+\|[^<>|]*>/g,
];

const codePoints = (s: string) => [...s].length;
const attachmentText = (m: SlackMessage) => m.attachments?.[0]?.text ?? '';

/** Maximal hostile text: a mention, mrkdwn, backticks, a bidi override, 2-, 3- and 4-byte UTF-8, control chars. */
function hostile(tag: string, length = 5000): string {
  return `${tag}<!channel>*bold*\`tick\`\u202eevil é€𝄞😀 & <@U1>\n`.repeat(Math.ceil(length / 40)).slice(0, length);
}

function hostileItems(count: number, linkable: boolean): QueueItem[] {
  return Array.from({ length: count }, (_, i) =>
    queueItem({
      // A real ID is a 36-character GUID; a hostile one too long to link is shown, cut.
      id: linkable ? `${String(i).padStart(8, '0')}-aaaa-4bbb-8ccc-dddddddddddd` : hostile(`${i}-`, 128),
      name: hostile(`Create${i}`),
      at: T0 + i * 1000,
      arn: `arn:aws:sts::111122223333:assumed-role/${hostile('R', 300)}`,
      resource: hostile(`res${i}-`, 2000),
      errorCode: i % 3 === 0 ? hostile('AccessDenied', 500) : undefined,
      mention: MENTION,
      level: i === 7 ? 'medium' : 'low',
      record: { userAgent: hostile('ua'), recipientAccountId: hostile('acct', 300) },
    }),
  );
}

/** Slack limits, no unescaped control sequence from event data, no bidi or control characters. */
function assertWithinLimits(message: SlackMessage): void {
  assert.ok(codePoints(message.text) <= TEXT_LIMIT && message.text.length <= TEXT_LIMIT, `text ${message.text.length}`);
  assert.ok((message.attachments ?? []).length <= 1);
  const body = attachmentText(message);
  assert.ok(body.length <= ATTACHMENT_TEXT_LIMIT, `attachment text ${body.length}`);
  let stripped = body;
  for (const sequence of OUR_SEQUENCES) stripped = stripped.replace(sequence, '');
  assert.ok(!/[<>]/.test(stripped), `unescaped < or > near ${stripped.match(/.{0,40}[<>].{0,40}/)?.[0]}`);
  const withoutMention = message.text.split(MENTION).join('');
  assert.ok(!/[<>]/.test(withoutMention), `unescaped < or > in text: ${withoutMention.slice(0, 80)}`);
  assert.ok(!/[<>]/.test(message.attachments?.[0]?.fallback ?? ''), 'fallback');
  const json = JSON.stringify(message);
  assert.ok(!/&(?!amp;|lt;|gt;)/.test(json.replace(/\\u0026/g, '&')), 'a raw & or broken entity');
  assert.ok(!/[\u0000-\u0009\u000b-\u001f\u202a-\u202e\u2066-\u2069]/.test(message.text + body), 'control or bidi characters');
}

/** The mention is posted once, raw, at the start of the top-level text, and nowhere else. */
function assertMentionOnce(message: SlackMessage): void {
  assert.ok(message.text.startsWith(`${MENTION} `), message.text.slice(0, 60));
  assert.equal(message.text.split(MENTION).length - 1, 1);
  const { text: _text, ...rest } = message;
  assert.ok(!JSON.stringify(rest).includes('subteam'), 'mention outside the top-level text');
}

/** The console link's form of an ID, or undefined when it has none (a lone surrogate cannot be URL-encoded). */
function encodedId(id: string): string | undefined {
  try {
    return encodeURIComponent(id);
  } catch {
    return undefined;
  }
}

/**
 * Each item is linked (its ID URL-encoded in a console link) or its ID is shown as `shown(id)` gives it
 * (escaped, maybe cut; without the closing ellipsis).
 */
function assertNamesEveryEvent(text: string, items: readonly QueueItem[], shown: (id: string) => string): void {
  for (const { event } of items) {
    const encoded = encodedId(event.id);
    const linked = encoded !== undefined && text.includes(`#/events/${encoded}|`);
    assert.ok(linked || text.includes(shown(event.id)), `event ${JSON.stringify(event.id.slice(0, 30))} not named`);
  }
}
/** The digest's form of an unlinked ID: a code span, cut to 40. */
const asCode = (id: string) => codeSpan(id, 40).replace(/…`$/, '');
/** The plain digest's form: escaped text, cut to 40. */
const asText = (id: string) => safeText(id, 40).replace(/…$/, '');

describe('formatDigestMessage', () => {
  for (const linkable of [true, false]) {
    test(`50 maximally hostile events (${linkable ? 'GUID' : 'hostile'} IDs) fit Slack's limits and name every event`, () => {
      const items = hostileItems(50, linkable);
      const message = formatDigestMessage(items, { repeatWindowMs: WINDOW });
      assertWithinLimits(message);
      assertMentionOnce(message);
      assertNamesEveryEvent(attachmentText(message), items, asCode);
      assert.ok(!attachmentText(message).includes('more event'), 'no event left out');
      assert.match(message.text, /^\S+ 50 changes \(17 failed\) by /);
      assert.equal(attachmentText(message).split('\n').length, 50);
    });
  }

  test('50 real CloudTrail events from one actor: one linked line each, with date tokens', () => {
    const records = loadFixtureRecords().filter((r) => r.readOnly === false && typeof r.eventID === 'string').slice(0, 50);
    assert.equal(records.length, 50);
    const items = records.map((record, i) =>
      queueItem({ id: record.eventID, at: T0 + i * 1000, record: { ...record, eventTime: new Date(T0 + i * 1000).toISOString(), awsRegion: 'us-east-1', userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/Deployer/terraform' } }, region: 'us-east-1' }),
    );
    const message = formatDigestMessage(items, { repeatWindowMs: WINDOW });
    assertWithinLimits(message);
    const lines = attachmentText(message).split('\n');
    assert.ok(lines.length > 1 && lines.length <= 50, `${lines.length} lines`);
    const linked = items.filter(({ event }) => attachmentText(message).includes(`#/events/${encodeURIComponent(event.id)}|`));
    const repeats = lines.map((l) => Number(/ ×(\d+)/.exec(l)?.[1] ?? 1));
    assert.equal(repeats.reduce((a, b) => a + b, 0), 50, 'every event on a line or counted in a repeat');
    assert.equal(linked.length, lines.length, 'every line links its event');
    assert.ok(lines.every((l) => l.startsWith('<!date^')), 'every line starts with a date token');
  });

  test('the headline names the actor, region and account; no mention without one', () => {
    const items = [queueItem({ at: T0 }), queueItem({ at: T0 + 1, errorCode: 'AccessDenied' })];
    const message = formatDigestMessage(items, { repeatWindowMs: WINDOW });
    assert.equal(message.text, '2 changes (1 failed) by Deployer/terraform (AssumedRole) in eu-west-1 (account 111122223333)');
    assert.equal(message.attachments?.[0]?.fallback, message.text);
    const failed = [queueItem({ errorCode: 'AccessDenied' }), queueItem({ errorCode: 'AccessDenied' })];
    assert.match(formatDigestMessage(failed, { repeatWindowMs: WINDOW }).text, /^2 failed calls by /);
  });

  test('repeats of (actor, event name, resource) within the window collapse into one counted line', () => {
    const at = (minutes: number) => T0 + minutes * 60_000;
    const items = [
      ...[0, 1, 2, 4, 9].map((m) => queueItem({ at: at(m), resource: 'i-0abc' })),
      queueItem({ at: at(3), resource: 'i-0def' }),
      queueItem({ at: at(5), resource: 'i-0abc', name: 'DeleteTags' }),
      queueItem({ at: at(6), resource: 'i-0abc', errorCode: 'AccessDenied' }),
    ];
    const message = formatDigestMessage(items, { repeatWindowMs: WINDOW });
    const lines = attachmentText(message).split('\n');
    assert.equal(lines.length, 4, lines.join('\n'));
    assert.match(lines[0] ?? '', /\|CreateTags> `i-0abc` ×5 \(until <!date\^\d+\^\{time_secs\}\|12:09:00 UTC>\)$/);
    assert.ok(lines[0]?.includes(`#/events/${encodeURIComponent(items[0]?.event.id ?? '')}|`), 'links the first of the run');
    assert.ok(!/×/.test(lines.slice(1).join('\n')), 'other resource, name or error: not folded');
    assert.match(message.text, /^8 changes \(1 failed\)/);
  });

  test('repeats do not collapse outside the window, and the window is between neighbours', () => {
    const at = (minutes: number) => T0 + minutes * 60_000;
    const lines = (minutes: number[], window = WINDOW) =>
      attachmentText(formatDigestMessage(minutes.map((m) => queueItem({ at: at(m), resource: 'i-1' })), { repeatWindowMs: window })).split('\n');
    assert.equal(lines([0, 11]).length, 2);
    assert.equal(lines([0, 10]).length, 2, 'exactly the window apart is not closer than it');
    assert.deepEqual(lines([0, 9.99]).map((l) => / ×(\d+)/.exec(l)?.[1]), ['2']);
    assert.deepEqual(lines([0, 6, 12, 30, 31]).map((l) => / ×(\d+)/.exec(l)?.[1]), ['3', '2']);
    assert.equal(lines([0, 1, 2], 0).length, 3, 'a window of 0 never collapses');
  });

  test('another actor is never folded into a repeat', () => {
    const items = [queueItem({ resource: 'i-1' }), queueItem({ resource: 'i-1', arn: 'arn:aws:iam::111122223333:user/bob' })];
    assert.equal(attachmentText(formatDigestMessage(items, { repeatWindowMs: WINDOW })).split('\n').length, 2);
  });

  test('colour: the highest level; a digest of failed calls only keeps the failed-call purple', () => {
    const colour = (specs: ItemSpec[]) => formatDigestMessage(specs.map((s) => queueItem(s)), { repeatWindowMs: WINDOW }).attachments?.[0]?.color;
    assert.equal(colour([{}, {}]), LEVEL_COLOURS.informational);
    assert.equal(colour([{ level: 'low' }, {}]), LEVEL_COLOURS.low);
    assert.equal(colour([{ level: 'low' }, { level: 'medium' }, {}]), LEVEL_COLOURS.medium);
    assert.equal(colour([{ errorCode: 'X', level: 'medium' }, { errorCode: 'Y' }]), COLOURS.failed);
    assert.equal(colour([{ errorCode: 'X' }, { level: 'medium' }]), LEVEL_COLOURS.medium);
    assert.notEqual(LEVEL_COLOURS.high, LEVEL_COLOURS.medium);
    assert.notEqual(LEVEL_COLOURS.critical, LEVEL_COLOURS.medium);
  });

  test('more events than fit any layout: the last lines become "…and N more events", within budget', () => {
    const items = hostileItems(400, false);
    const message = formatDigestMessage(items, { repeatWindowMs: WINDOW });
    const body = attachmentText(message);
    assert.ok(body.length <= DIGEST_TEXT_BUDGET, String(body.length));
    const more = Number(/…and (\d+) more events$/.exec(body)?.[1]);
    assert.equal(body.split('\n').length - 1 + more, 400, 'every event shown or counted');
  });

  test('an unlinkable region or ID still names the event', () => {
    const items = [queueItem({ region: '<!here>', name: 'A' }), queueItem({ region: '<!here>', name: 'B' })];
    const lone = queueItem({ id: 'abc\ud800def', name: 'C' });
    const message = formatDigestMessage([...items, lone], { repeatWindowMs: WINDOW });
    assertWithinLimits(message);
    assertNamesEveryEvent(attachmentText(message), [...items, lone], asCode);
    assert.match(attachmentText(message), /`abc\ufffddef`/, 'a lone surrogate: shown as U+FFFD, not a crash');
    assert.ok(!attachmentText(message).includes('https://'));
  });
});

describe('formatPlainDigest', () => {
  for (const linkable of [true, false]) {
    test(`50 maximally hostile events (${linkable ? 'GUID' : 'hostile'} IDs): text only, under 4,000, every ID, one mention`, () => {
      const items = hostileItems(50, linkable);
      const message = formatPlainDigest(items);
      assert.deepEqual(Object.keys(message).sort(), ['text', 'unfurl_links', 'unfurl_media']);
      assertWithinLimits(message);
      assertMentionOnce(message);
      assertNamesEveryEvent(message.text, items, asText);
    });
  }

  test('one line per event, oldest first, repeats not folded', () => {
    const items = [queueItem({ at: T0 + 2000, resource: 'i-1' }), queueItem({ at: T0, resource: 'i-1' })];
    const lines = formatPlainDigest(items).text.split('\n');
    assert.equal(lines[0], '2 changes by Deployer/terraform (AssumedRole) in eu-west-1 (account 111122223333):');
    assert.deepEqual(lines.slice(1), [
      `2026-11-26T12:00:00Z CreateTags i-1 ID ${items[1]?.event.id}`,
      `2026-11-26T12:00:02Z CreateTags i-1 ID ${items[0]?.event.id}`,
    ]);
  });
});

describe('digests in the previews and at the Slack double', () => {
  test('the preview reads the colour and every line of the digest', () => {
    const items = hostileItems(10, true);
    const message = formatDigestMessage(items, { repeatWindowMs: WINDOW });
    const preview = toPreviewMessage(JSON.parse(JSON.stringify(message)));
    assert.equal(preview.text, message.text);
    assert.equal(preview.attachments.length, 1);
    assert.equal(preview.attachments[0]?.colour, resolveColour(message.attachments?.[0]?.color));
    assert.equal(preview.attachments[0]?.text, attachmentText(message));
    const links = parseMrkdwn(preview.attachments[0]?.text ?? '').filter((span) => span.href !== undefined);
    assert.equal(links.length, 10);
  });

  test('Slack accepts hostile, real and plain digests sent through @slack/webhook', async (t) => {
    const sim = await startSlackSimulator();
    t.after(() => sim.close());
    const webhook = new IncomingWebhook(sim.url);
    const messages = [
      formatDigestMessage(hostileItems(50, true), { repeatWindowMs: WINDOW }),
      formatDigestMessage(hostileItems(50, false), { repeatWindowMs: WINDOW }),
      formatPlainDigest(hostileItems(50, false)),
    ];
    for (const message of messages) {
      const result = await webhook.send(message as IncomingWebhookSendArguments);
      assert.equal(result.text, 'ok');
    }
    assert.equal(sim.received.length, 3);
    sim.received.forEach((received, i) => {
      assert.equal(received.truncated, false);
      assert.deepEqual(received.body, JSON.parse(JSON.stringify(messages[i])));
    });
  });
});

test('a resource ARN is shown without its partition, service, region and account', () => {
  const items = [
    queueItem({ resource: 'arn:aws:ec2:us-east-1:111122223333:instance/i-0abc', name: 'A' }),
    queueItem({ resource: 'arn:aws:s3:::my-bucket', name: 'B' }),
    queueItem({ resource: 'not-an-arn:x', name: 'C' }),
  ];
  const lines = attachmentText(formatDigestMessage(items, { repeatWindowMs: WINDOW })).split('\n');
  assert.deepEqual(lines.map((l) => /`([^`]*)`/.exec(l)?.[1]), ['instance/i-0abc', 'my-bucket', 'not-an-arn:x']);
});

test('an unknown or far-future event time reads "unknown time" and gets no date token', () => {
  const items = [queueItem({ name: 'A', record: { eventTime: 'garbage' } }), queueItem({ name: 'B', record: { eventTime: '+020000-01-01T00:00:00Z' } })];
  const message = formatDigestMessage(items, { repeatWindowMs: WINDOW });
  const lines = attachmentText(message).split('\n');
  assert.ok(lines.every((l) => l.startsWith('unknown time ')), lines.join('\n'));
  assert.equal(message.attachments?.[0]?.ts, undefined);
  assert.ok(formatPlainDigest(items).text.split('\n').slice(1).every((l) => l.startsWith('unknown time ')));
});
