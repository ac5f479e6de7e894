import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fromLookupEvent, fromRecord } from '../src/events/parse';
import type { CloudTrailRecord, TrailEvent } from '../src/events/types';
import type { Level } from '../src/rules/decision';
import {
  COLOURS,
  consoleEventUrl,
  consoleHistoryUrl,
  eventAttachment,
  eventHeadline,
  formatEventMessage,
  formatPlainMessage,
  MAX_RESOURCES_SHOWN,
  MAX_RULES_SHOWN,
  MAX_TEXT,
} from '../src/slack/format';
import { LEVEL_COLOURS } from '../src/slack/level-colours';
import { escapeMrkdwn, neutraliseControls } from '../src/slack/escape';
import type { SlackMessage } from '../src/slack/types';

const records: CloudTrailRecord[] = fs
  .readFileSync(path.join(__dirname, 'fixtures/cloudtrail/events.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as CloudTrailRecord);

/** Our own budget for the whole JSON body: far below anything Slack rejects (C.2). */
const MAX_PAYLOAD = 16 * 1024;
/** Slack's per-field limit (Block Kit section fields, C.2). */
const SLACK_FIELD_LIMIT = 2000;
const OUR_SEQUENCES = [
  /<!date\^\d+\^\{date_short_pretty\} \{time_secs\}\|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC>/g,
  /<https:\/\/[a-z0-9.-]+\/cloudtrailv2\/home\?region=[a-z0-9-]+#\/events(\/[A-Za-z0-9%._~!*'()-]+)?\|[^<>|]*>/g,
];

/** Every check that must hold for any event: limits, Event ID everywhere, nothing unescaped. */
function assertSafeMessage(event: TrailEvent, message: SlackMessage): void {
  const json = JSON.stringify(message);
  assert.ok(json.length < MAX_PAYLOAD, `payload ${json.length} chars for ${event.id.slice(0, 40)}`);
  assert.ok(message.text.length <= MAX_TEXT && message.text.length < 4000);
  assert.ok((message.attachments ?? []).length <= 100);
  const [attachment] = message.attachments ?? [];
  assert.ok(attachment);
  for (const field of attachment.fields ?? []) assert.ok(field.value.length <= SLACK_FIELD_LIMIT, field.title);
  const idField = attachment.fields?.find((f) => f.title === 'Event ID');
  // The ID as it must appear: escaped, and (when hostile and huge) at least its first 60 UTF-16 units.
  const shortId = escapeMrkdwn(neutraliseControls(event.id)).slice(0, 60);
  assert.ok(idField?.value.includes(shortId), 'Event ID field');
  // In a sentence, an ID that is not a plain token is a code span, where a backtick becomes ˋ.
  const inSentence = shortId.replace(/`/g, '\u02cb');
  assert.ok(attachment.fallback?.includes(inSentence), 'Event ID in fallback');
  assert.ok(formatPlainMessage(event).text.includes(inSentence), 'Event ID in plain message');
  // Every < or > must belong to a control sequence we built; every & must start an entity.
  let stripped = json;
  for (const sequence of OUR_SEQUENCES) stripped = stripped.replace(sequence, '');
  assert.ok(!/[<>]/.test(stripped), `unescaped < or > in ${stripped.match(/.{0,40}[<>].{0,40}/)?.[0]}`);
  assert.ok(!/&(?!amp;|lt;|gt;)/.test(json), 'broken or raw &');
  assert.ok(!/[\u0000-\u001f]/.test(JSON.parse(json).text), 'control characters in text');
}

function synthetic(overrides: Partial<CloudTrailRecord>, event: Partial<TrailEvent> = {}): TrailEvent {
  const record: CloudTrailRecord = {
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', accountId: '111122223333', userName: 'alice' },
    eventTime: '2023-07-10T11:42:18Z',
    eventSource: 'ec2.amazonaws.com',
    eventName: 'CreateTags',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '203.0.113.9',
    userAgent: 'aws-cli/2.13.0',
    requestParameters: { resourcesSet: { items: [{ resourceId: 'i-1' }] } },
    eventID: '6f2d2c1e-0f6a-4a8e-9a5b-1b2c3d4e5f60',
    readOnly: false,
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
    ...overrides,
  };
  return { ...fromRecord(record)!, ...event };
}

const fieldOf = (message: SlackMessage, title: string): string | undefined =>
  message.attachments?.[0]?.fields?.find((f) => f.title === title)?.value;

describe('formatEventMessage on every fixture record', () => {
  test('all 1500 records give a safe message within limits with the Event ID', () => {
    assert.equal(records.length, 1500);
    for (const record of records) {
      const event = fromRecord(record);
      assert.ok(event);
      const message = formatEventMessage(event);
      assertSafeMessage(event, message);
      assert.equal(fieldOf(message, 'Event ID'), event.id);
    }
  });

  test('resources beyond the cap are counted', () => {
    const record = records.find((r) => (r.resources ?? []).length === 10);
    assert.ok(record);
    const lines = fieldOf(formatEventMessage(fromRecord(record)!), 'Resources (10)')?.split('\n') ?? [];
    assert.equal(lines.length, MAX_RESOURCES_SHOWN + 1);
    assert.equal(lines[5], 'and 5 more');
  });

  test('the cap is exact: 5 resources all shown, 6 shows "and 1 more"; the headline names the first', () => {
    const withResources = (n: number): SlackMessage =>
      formatEventMessage(synthetic({ resources: Array.from({ length: n }, (_, i) => ({ type: 'AWS::EC2::Instance', ARN: `i-${i}` })) }));
    assert.equal(fieldOf(withResources(5), 'Resources (5)')?.split('\n').at(-1), 'AWS::EC2::Instance: `i-4`');
    assert.equal(fieldOf(withResources(6), 'Resources (6)')?.split('\n').at(-1), 'and 1 more');
    assert.match(withResources(6).text, /^\*CreateTags\* on `i-0` and 5 more by /);
    assert.equal(fieldOf(withResources(1), 'Resource'), 'AWS::EC2::Instance: `i-0`');
    assert.ok(!withResources(0).attachments?.[0]?.fields?.some((f) => f.title.startsWith('Resource')));
  });
});

describe('content', () => {
  test('headline, context line, link and fields for a plain write (no decision: informational)', () => {
    const message = formatEventMessage(synthetic({}));
    assert.equal(message.text, '*CreateTags* on `i-1` by `alice` (IAMUser) in eu-west-1 · account 111122223333');
    const attachment = message.attachments![0]!;
    assert.equal(
      attachment.text,
      '<!date^1688989338^{date_short_pretty} {time_secs}|2023-07-10 11:42:18 UTC> · from 203.0.113.9 · ec2.amazonaws.com\n' +
        '<https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/6f2d2c1e-0f6a-4a8e-9a5b-1b2c3d4e5f60|View this event in the CloudTrail console>',
    );
    assert.deepEqual(attachment.fields?.map((f) => f.title), ['Event ID', 'User Agent', 'Request Parameters']);
    assert.equal(fieldOf(message, 'Request Parameters'), '```{"resourcesSet":{"items":[{"resourceId":"i-1"}]}}```');
    assert.equal(fieldOf(message, 'User Agent'), '`aws-cli/2.13.0`');
    assert.equal(attachment.color, LEVEL_COLOURS.informational);
    assert.equal(attachment.ts, undefined, 'the context line has the time; no second one in the footer');
    assert.ok(attachment.mrkdwn_in?.includes('fields') && attachment.mrkdwn_in.includes('text'));
  });

  test('the account falls back to the caller account', () => {
    const message = formatEventMessage(synthetic({ recipientAccountId: undefined }));
    assert.match(message.text, / · account 111122223333$/);
    assert.doesNotMatch(formatEventMessage(synthetic({ recipientAccountId: undefined, userIdentity: { type: 'IAMUser', userName: 'a' } })).text, /account/);
  });

  test('a failed call is marked in the headline and shows the error', () => {
    const event = synthetic({ eventName: 'DeleteBucket', errorCode: 'AccessDenied', errorMessage: 'Access Denied <b>' });
    const message = formatEventMessage(event);
    assert.equal(message.text, ':x: *DeleteBucket* on `i-1` by `alice` (IAMUser) in eu-west-1 · account 111122223333 · failed: AccessDenied');
    assert.equal(fieldOf(message, 'Error'), 'AccessDenied: Access Denied &lt;b&gt;');
    assert.equal(message.attachments![0]!.color, COLOURS.failed);
    assert.match(formatPlainMessage(event).text, /^DeleteBucket on `i-1` .* · failed: AccessDenied at /);
  });

  test('the colour comes from the level alone: the event name no longer decides it', () => {
    const colour = (name: string, level?: Level): string | undefined =>
      formatEventMessage(synthetic({ eventName: name }), level && { decision: { level, matched: [], muted: false, routes: [] } }).attachments![0]!.color;
    for (const name of ['DeleteSecret', 'TerminateInstances', 'RunInstances']) assert.equal(colour(name), LEVEL_COLOURS.informational, name);
    for (const level of ['low', 'medium', 'high', 'critical'] as const) assert.equal(colour('CreateTags', level), LEVEL_COLOURS[level]);
  });

  test('plain message: escaped text, ISO time, Event ID, no attachments', () => {
    const message = formatPlainMessage(synthetic({ userIdentity: { type: 'IAMUser', userName: '<!here>' } }));
    assert.equal(
      message.text,
      'CreateTags on `i-1` by `&lt;!here&gt;` (IAMUser) in eu-west-1 · account 111122223333 at 2023-07-10T11:42:18Z · Event ID: 6f2d2c1e-0f6a-4a8e-9a5b-1b2c3d4e5f60',
    );
    assert.equal(message.attachments, undefined);
  });

  test('building blocks compose into a digest', () => {
    const events = records.slice(0, 3).map((r) => fromRecord(r)!);
    const digest: SlackMessage = { text: `${events.length} events`, attachments: events.map((e) => eventAttachment(e)) };
    assert.equal(digest.attachments?.length, 3);
    assert.ok(eventHeadline(events[0]!).startsWith('*'));
    assert.ok(JSON.stringify(digest).length < 3 * MAX_PAYLOAD);
  });

  test('unknown time and a missing record still give a full message', () => {
    // synthetic: LookupEvents event with broken CloudTrailEvent JSON and no time
    const event = fromLookupEvent({ EventId: 'abc-1', EventName: 'PutObject', Username: 'bob', CloudTrailEvent: '{bad' }, 'us-west-2')!;
    const message = formatEventMessage(event);
    assertSafeMessage(event, message);
    assert.match(message.attachments![0]!.text ?? '', /^unknown time\n<https:\/\/us-west-2\./);
    assert.match(fieldOf(message, 'Note') ?? '', /not valid JSON/);
    assert.match(formatPlainMessage(event).text, /at unknown time/);
  });
});

describe('links', () => {
  test('the event ID is URL-encoded and the region validated', () => {
    const event = synthetic({}, { id: 'a/b|c>d<e f' });
    assert.equal(consoleEventUrl(event), 'https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/a%2Fb%7Cc%3Ed%3Ce%20f');
    assert.equal(consoleHistoryUrl('eu-west-1'), 'https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events');
    for (const region of ['us-east-1|<!channel>', 'evil.com/x', 'US-EAST-1', 'us-east-1 ', '', 'us-east-12']) {
      assert.equal(consoleHistoryUrl(region), undefined, region);
    }
  });

  test('a hostile region gets no link and is escaped', () => {
    const event = synthetic({}, { region: 'x|<!channel>' });
    const message = formatEventMessage(event);
    assertSafeMessage(event, message);
    assert.ok(!(message.attachments![0]!.text ?? '').includes('https://'), 'no link');
    assert.match(message.text, /in `x\|&lt;!channel&gt;` · account 111122223333$/);
  });

  test('a very long event ID is shown cut but not linked; the region\'s Event history is linked instead', () => {
    const event = synthetic({}, { id: 'x'.repeat(5000) });
    assert.equal(consoleEventUrl(event), undefined);
    const message = formatEventMessage(event);
    assertSafeMessage(event, message);
    assert.match(message.attachments![0]!.text ?? '', /\n<https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudtrailv2\/home\?region=eu-west-1#\/events\|CloudTrail Event history \(eu-west-1\)>$/);
  });

  test('an event ID with a lone surrogate (it cannot be URL-encoded) gets no event link, and nothing throws', () => {
    const event = synthetic({}, { id: 'a\ud800b' });
    assert.equal(consoleEventUrl(event), undefined);
    const message = formatEventMessage(event);
    assertSafeMessage(event, message);
    assert.match(message.attachments![0]!.text ?? '', /CloudTrail Event history/);
  });

  test('the partition\'s console comes from the region when no domain is configured (API-FACTS L)', () => {
    const linkOf = (region: string, options = {}) => formatEventMessage(synthetic({}, { region, id: 'e-1' }), options).attachments![0]!.text?.split('\n')[1] ?? '';
    assert.equal(
      linkOf('us-gov-west-1'),
      '<https://us-gov-west-1.console.amazonaws-us-gov.com/cloudtrailv2/home?region=us-gov-west-1#/events/e-1|View this event in the CloudTrail console>',
    );
    assert.match(linkOf('us-gov-east-1'), /^<https:\/\/us-gov-east-1\.console\.amazonaws-us-gov\.com\/cloudtrailv2\//);
    assert.match(linkOf('cn-north-1'), /^<https:\/\/cn-north-1\.console\.amazonaws\.cn\/cloudtrailv2\/home\?region=cn-north-1#\/events\/e-1\|/);
    assert.match(linkOf('cn-northwest-1'), /^<https:\/\/cn-northwest-1\.console\.amazonaws\.cn\//);
    assert.match(linkOf('ap-southeast-2'), /^<https:\/\/ap-southeast-2\.console\.aws\.amazon\.com\//);
    // A configured domain wins in every region (an ISO partition, a proxy).
    assert.match(linkOf('cn-north-1', { consoleDomain: 'console.example.net' }), /^<https:\/\/cn-north-1\.console\.example\.net\/cloudtrailv2\//);
    assert.equal(consoleHistoryUrl('us-gov-west-1'), 'https://us-gov-west-1.console.amazonaws-us-gov.com/cloudtrailv2/home?region=us-gov-west-1#/events');
  });

  test('consoleDomain is used, and an invalid one drops the links', () => {
    const gov = formatEventMessage(synthetic({}, { region: 'us-gov-west-1' }), { consoleDomain: 'console.amazonaws-us-gov.com' });
    assert.match(gov.attachments![0]!.text ?? '', /\n<https:\/\/us-gov-west-1\.console\.amazonaws-us-gov\.com\/cloudtrailv2\//);
    const bad = formatEventMessage(synthetic({}), { consoleDomain: 'evil.com/|x' });
    assert.ok(!(bad.attachments![0]!.text ?? '').includes('\n'), 'the context line only');
  });
});

describe('hostile events (synthetic)', () => {
  test('<!channel> in the user agent is inert', () => {
    const event = synthetic({ userAgent: '<!channel> hi' });
    const message = formatEventMessage(event);
    assertSafeMessage(event, message);
    assert.equal(fieldOf(message, 'User Agent'), '`&lt;!channel&gt; hi`');
  });

  test('resource names with mentions and ampersands are escaped', () => {
    const event = synthetic({ resources: [{ type: 'AWS::S3::Bucket', ARN: '<@U123> & <https://evil|click>' }] });
    const message = formatEventMessage(event);
    assertSafeMessage(event, message);
    assert.equal(fieldOf(message, 'Resource'), 'AWS::S3::Bucket: `&lt;@U123&gt; &amp; &lt;https://evil|click&gt;`');
    assert.match(message.text, /^\*CreateTags\* on `&lt;@U123&gt; &amp; &lt;https:\/\/evil\|click&gt;` by /);
  });

  test('100 KB of request parameters is cut to the budget', () => {
    const event = synthetic({ requestParameters: { policy: '<&>'.repeat(35_000), more: 'x'.repeat(10_000) } });
    const message = formatEventMessage(event);
    assertSafeMessage(event, message);
    const value = fieldOf(message, 'Request Parameters') ?? '';
    assert.ok(value.startsWith('```{"policy":"&lt;&amp;&gt;'));
    assert.ok(value.endsWith('…```'));
    assert.ok(Array.from(value).length <= 500);
  });

  test('non-ASCII, emoji and right-to-left names survive intact', () => {
    const name = 'arn:aws:s3:::données-数据-بيانات-🚀';
    const event = synthetic({ resources: [{ type: 'AWS::S3::Bucket', ARN: name }], userIdentity: { type: 'IAMUser', userName: 'Zoë 👩🏽‍💻' } });
    const message = formatEventMessage(event);
    assertSafeMessage(event, message);
    assert.equal(fieldOf(message, 'Resource'), `AWS::S3::Bucket: \`${name}\``);
    assert.match(message.text, /^\*CreateTags\* on `données-数据-بيانات-🚀` by `Zoë 👩🏽‍💻` \(IAMUser\)/);
  });

  test('a bidi override in a name is shown, not applied', () => {
    const event = synthetic({ resources: [{ type: 't', ARN: 'invoice\u202Efdp.exe' }] });
    assert.equal(fieldOf(formatEventMessage(event), 'Resource'), 't: `invoice[U+202E]fdp.exe`');
  });

  test('a surrogate pair at the cut point is never split', () => {
    const event = synthetic({ userAgent: 'a' + '😀'.repeat(2000), userIdentity: { type: 'IAMUser', userName: '😀'.repeat(500) } });
    const message = formatEventMessage(event);
    assertSafeMessage(event, message);
    const json = JSON.stringify(message);
    assert.ok(!/\\ud[89a-f]/i.test(json), 'JSON.stringify escaped a lone surrogate');
    assert.ok(fieldOf(message, 'User Agent')?.endsWith('😀…`'));
  });

  test('newlines and backticks cannot forge lines or close code spans', () => {
    const event = synthetic({ userAgent: 'curl\n*Event Name* Fake`<!here>`', requestParameters: { k: '```\nx' } });
    const message = formatEventMessage(event);
    assertSafeMessage(event, message);
    const agent = fieldOf(message, 'User Agent') ?? '';
    assert.equal(agent, '`curl *Event Name* Fakeˋ&lt;!here&gt;ˋ`');
    assert.equal(fieldOf(message, 'Request Parameters'), '```{"k":"ˋˋˋ\\nx"}```');
  });

  test('the worst event: everything huge, astral and hostile, still under the payload bound', () => {
    const evil = '😀<!channel>&"\\\n`*'.repeat(10_000);
    const record: CloudTrailRecord = {
      eventID: evil, eventName: evil, eventSource: evil, awsRegion: evil, sourceIPAddress: evil, userAgent: evil,
      errorCode: evil, errorMessage: evil, eventType: evil, recipientAccountId: evil, requestParameters: { evil },
      userIdentity: { type: evil, userName: evil, accountId: evil, arn: evil },
      resources: Array.from({ length: 1000 }, () => ({ type: evil, ARN: evil })),
    };
    const event = { ...fromRecord(record)!, username: evil };
    const decision = {
      level: 'critical' as const, muted: false, routes: [],
      matched: Array.from({ length: 40 }, (_, i) => ({ id: evil, title: `${i}${evil}`, level: 'critical' as const, tags: [evil] })),
    };
    for (const options of [{}, { decision, consoleDomain: 'console.example.net' }]) {
      const message = formatEventMessage(event, options);
      assertSafeMessage(event, message);
      assert.equal(fieldOf(message, 'Resources (1000)')?.split('\n').at(-1), 'and 995 more');
      assert.ok(formatPlainMessage(event, options).text.length < 4000);
    }
    const rules = fieldOf(formatEventMessage(event, { decision }), 'Rules')?.split('\n') ?? [];
    assert.equal(rules.length, MAX_RULES_SHOWN + 1);
    assert.equal(rules.at(-1), 'and 35 more');
  });
});
