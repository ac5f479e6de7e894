import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fromLookupEvent, fromRecord } from '../src/events/parse';
import type { CloudTrailRecord, TrailEvent } from '../src/events/types';
import {
  COLOURS,
  consoleEventUrl,
  consoleHistoryUrl,
  eventAttachment,
  eventHeadline,
  formatEventMessage,
  formatPlainMessage,
  MAX_TEXT,
} from '../src/slack/format';
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
    const message = formatEventMessage(fromRecord(record)!);
    assert.ok(fieldOf(message, 'Resource 1 of 10'));
    assert.ok(fieldOf(message, 'Resource 5 of 10'));
    assert.equal(fieldOf(message, 'Resource 6 of 10'), undefined);
    assert.equal(fieldOf(message, 'More Resources'), 'and 5 more');
  });

  test('the cap is exact: 5 resources all shown, 6 shows "and 1 more"', () => {
    const withResources = (n: number): SlackMessage =>
      formatEventMessage(synthetic({ resources: Array.from({ length: n }, (_, i) => ({ type: 'AWS::EC2::Instance', ARN: `i-${i}` })) }));
    assert.equal(fieldOf(withResources(5), 'Resource 5 of 5'), 'AWS::EC2::Instance: `i-4`');
    assert.equal(fieldOf(withResources(5), 'More Resources'), undefined);
    assert.equal(fieldOf(withResources(6), 'More Resources'), 'and 1 more');
    assert.equal(fieldOf(withResources(0), 'More Resources'), undefined);
  });
});

describe('content', () => {
  test('headline, fields and links for a plain write', () => {
    const message = formatEventMessage(synthetic({}));
    assert.equal(message.text, '*CreateTags* by `alice` (IAMUser) in eu-west-1');
    assert.equal(fieldOf(message, 'Event Time'), '<!date^1688989338^{date_short_pretty} {time_secs}|2023-07-10 11:42:18 UTC>');
    assert.equal(fieldOf(message, 'Account ID'), '111122223333');
    assert.equal(fieldOf(message, 'Source IP Address'), '203.0.113.9');
    assert.equal(fieldOf(message, 'Request Parameters'), '```{"resourcesSet":{"items":[{"resourceId":"i-1"}]}}```');
    const attachment = message.attachments![0]!;
    assert.equal(attachment.color, COLOURS.other);
    assert.equal(attachment.ts, 1688989338);
    assert.ok(attachment.mrkdwn_in?.includes('fields'));
    assert.equal(
      attachment.text,
      '<https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/6f2d2c1e-0f6a-4a8e-9a5b-1b2c3d4e5f60|View this event in the CloudTrail console>' +
        ' · <https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events|CloudTrail Event history (eu-west-1)>',
    );
  });

  test('account ID falls back to the caller account', () => {
    const message = formatEventMessage(synthetic({ recipientAccountId: undefined }));
    assert.equal(fieldOf(message, 'Account ID'), '111122223333');
  });

  test('a failed call is marked in the headline and shows the error', () => {
    const event = synthetic({ eventName: 'DeleteBucket', errorCode: 'AccessDenied', errorMessage: 'Access Denied <b>' });
    const message = formatEventMessage(event);
    assert.equal(message.text, ':x: *DeleteBucket* by `alice` (IAMUser) in eu-west-1 failed: AccessDenied');
    assert.equal(fieldOf(message, 'Error'), 'AccessDenied: Access Denied &lt;b&gt;');
    assert.equal(message.attachments![0]!.color, COLOURS.failed);
    assert.match(formatPlainMessage(event).text, /^FAILED DeleteBucket .*AccessDenied/);
  });

  test('colours by verb: Delete danger, Terminate warning, else good', () => {
    const colour = (name: string): string | undefined => formatEventMessage(synthetic({ eventName: name })).attachments![0]!.color;
    assert.equal(colour('DeleteSecret'), 'danger');
    assert.equal(colour('BatchDeleteImage'), 'danger');
    assert.equal(colour('TerminateInstances'), 'warning');
    assert.equal(colour('RunInstances'), 'good');
    const real = records.find((r) => r.eventName === 'TerminateInstances' && !r.errorCode)!;
    assert.equal(formatEventMessage(fromRecord(real)!).attachments![0]!.color, 'warning');
  });

  test('plain message: escaped text, ISO time, Event ID, no attachments', () => {
    const message = formatPlainMessage(synthetic({ userIdentity: { type: 'IAMUser', userName: '<!here>' } }));
    assert.equal(
      message.text,
      'CreateTags by `&lt;!here&gt;` (IAMUser) in eu-west-1 at 2023-07-10T11:42:18Z · Event ID: 6f2d2c1e-0f6a-4a8e-9a5b-1b2c3d4e5f60',
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
    assert.equal(fieldOf(message, 'Event Time'), 'unknown');
    assert.match(fieldOf(message, 'Note') ?? '', /not valid JSON/);
    assert.equal(message.attachments![0]!.ts, undefined);
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
    assert.equal(message.attachments![0]!.text, undefined);
    assert.match(message.text, /in `x\|&lt;!channel&gt;`$/);
  });

  test('a very long event ID is shown cut but not linked', () => {
    const event = synthetic({}, { id: 'x'.repeat(5000) });
    assert.equal(consoleEventUrl(event), undefined);
    assertSafeMessage(event, formatEventMessage(event));
  });

  test('the partition\'s console comes from the region when no domain is configured (API-FACTS L)', () => {
    const linkOf = (region: string, options = {}) => formatEventMessage(synthetic({}, { region, id: 'e-1' }), options).attachments![0]!.text ?? '';
    assert.equal(
      linkOf('us-gov-west-1'),
      '<https://us-gov-west-1.console.amazonaws-us-gov.com/cloudtrailv2/home?region=us-gov-west-1#/events/e-1|View this event in the CloudTrail console>' +
        ' · <https://us-gov-west-1.console.amazonaws-us-gov.com/cloudtrailv2/home?region=us-gov-west-1#/events|CloudTrail Event history (us-gov-west-1)>',
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
    assert.match(gov.attachments![0]!.text ?? '', /^<https:\/\/us-gov-west-1\.console\.amazonaws-us-gov\.com\/cloudtrailv2\//);
    const bad = formatEventMessage(synthetic({}), { consoleDomain: 'evil.com/|x' });
    assert.equal(bad.attachments![0]!.text, undefined);
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
    assert.equal(fieldOf(message, 'Resource 1 of 1'), 'AWS::S3::Bucket: `&lt;@U123&gt; &amp; &lt;https://evil|click&gt;`');
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
    assert.equal(fieldOf(message, 'Resource 1 of 1'), `AWS::S3::Bucket: \`${name}\``);
    assert.match(message.text, /by `Zoë 👩🏽‍💻` \(IAMUser\)/);
  });

  test('a bidi override in a name is shown, not applied', () => {
    const event = synthetic({ resources: [{ type: 't', ARN: 'invoice\u202Efdp.exe' }] });
    assert.equal(fieldOf(formatEventMessage(event), 'Resource 1 of 1'), 't: `invoice[U+202E]fdp.exe`');
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
    const message = formatEventMessage(event);
    assertSafeMessage(event, message);
    assert.equal(fieldOf(message, 'More Resources'), 'and 995 more');
    assert.ok(formatPlainMessage(event).text.length < 4000);
  });
});
