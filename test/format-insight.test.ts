import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fromLookupEvent, fromRecord } from '../src/events/parse';
import type { CloudTrailRecord, TrailEvent } from '../src/events/types';
import { runReplay } from '../src/replay/command';
import { createEventFilter } from '../src/rules/filter';
import { formatEventMessage, formatPlainMessage } from '../src/slack/format';
import type { SlackMessage } from '../src/slack/types';
import { captureLogger } from './support/daemon-harness';

// synthetic: hand-written Insights records (see test/fixtures/cloudtrail/SOURCES.md)
const FIXTURE = join(__dirname, 'fixtures', 'cloudtrail', 'insights.jsonl');
const insights: CloudTrailRecord[] = readFileSync(FIXTURE, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CloudTrailRecord);
const [callStart, callEnd, errorStart] = insights.map((r) => fromRecord(r)!) as [TrailEvent, TrailEvent, TrailEvent];

const fieldsOf = (m: SlackMessage) => Object.fromEntries((m.attachments?.[0]?.fields ?? []).map((f) => [f.title, f.value]));
const PLACEHOLDERS = /UnknownEvent|by unknown|\(Unknown\)/;

async function replayFile(name: string, text: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cts-insight-'));
  try {
    writeFileSync(join(dir, name), text);
    const out: string[] = [];
    const err: string[] = [];
    const code = await runReplay([name], {}, { env: {}, cwd: dir, writeOut: (s) => void out.push(s), writeErr: (s) => void err.push(s), log: captureLogger().log });
    const payloads = out.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as SlackMessage);
    return { code, payloads, err: err.join('') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('CloudTrail Insights records get their own message', () => {
  test('replay of a Start and an End: the insight, never a placeholder', async () => {
    const run = await replayFile('insights.jsonl', readFileSync(FIXTURE, 'utf8'));
    assert.equal(run.code, 0, run.err);
    assert.equal(run.payloads.length, 3, 'Insights have no readOnly: the filter lets them through');
    const [start, end, errors] = run.payloads as [SlackMessage, SlackMessage, SlackMessage];
    for (const message of run.payloads) assert.doesNotMatch(JSON.stringify(message), PLACEHOLDERS);

    assert.match(start.text, /CloudTrail Insight started/);
    assert.match(start.text, /API call rate/);
    assert.match(start.text, /`RunInstances`/);
    const s = fieldsOf(start);
    assert.equal(s['Insight Type'], 'API call rate (ApiCallRateInsight)');
    assert.equal(s['State'], 'Start');
    assert.equal(s['API'], '`RunInstances`');
    assert.equal(s['Event Source'], '`ec2.amazonaws.com`');
    assert.equal(s['Baseline'], '0.0213 calls per minute (over 7.1 days)');
    assert.equal(s['Insight'], '14 calls per minute in its first minute, 657× the baseline');
    assert.match(s['Top Callers (userIdentityArn)']!, /`arn:aws:sts::111122223333:assumed-role\/ci-runner\/build-4711` 13\/min/);
    assert.match(s['Top Callers (userIdentityArn)']!, /`arn:aws:iam::111122223333:user\/alice` 1\/min \(baseline 0\.0198\/min\)/);
    assert.match(s['Top User Agents (userAgent)']!, /`aws-cli\/2\.15\.0 Python\/3\.11\.6` 14\/min/);
    assert.match(s['Top Error Codes (errorCode)']!, /no error 14\/min/);
    assert.equal(s['Shared Event ID'], 'c3a9e0f4-8b71-4d25-a6e2-0f5d7b9c4e18');
    assert.equal(s['Event ID'], callStart.id);
    assert.equal(start.attachments?.[0]?.color, 'warning');

    assert.match(end.text, /CloudTrail Insight ended/);
    const e = fieldsOf(end);
    assert.equal(e['State'], 'End');
    assert.equal(e['Insight'], '9.6 calls per minute over the insight, 451× the baseline');
    assert.equal(e['Duration'], '26 minutes');
    assert.equal(end.attachments?.[0]?.color, 'good');

    assert.match(errors.text, /API error rate/);
    assert.equal(fieldsOf(errors)['Insight'], '3 errors per minute in its first minute');
    assert.match(fieldsOf(errors)['Top Error Codes (errorCode)']!, /`AccessDenied` 3\/min/);
  });

  test('the plain version carries the insight too', () => {
    const plain = formatPlainMessage(callEnd);
    assert.match(plain.text, /CloudTrail Insight ended: unusual API call rate for RunInstances \(ec2\.amazonaws\.com\) in eu-west-1/);
    assert.match(plain.text, /baseline 0\.0213\/min, insight 9\.6\/min/);
    assert.ok(plain.text.includes(callEnd.id));
    assert.doesNotMatch(plain.text, PLACEHOLDERS);
  });

  test('from LookupEvents (EventCategory=insight) the same message', () => {
    const lookup = fromLookupEvent({ EventId: callStart.id, EventName: 'RunInstances', EventSource: 'ec2.amazonaws.com', CloudTrailEvent: JSON.stringify(insights[0]) }, 'eu-west-1');
    assert.deepEqual(formatEventMessage(lookup), formatEventMessage(callStart));
    assert.equal(createEventFilter({ eventNames: [], eventSources: [], userNames: ['*'] })(lookup).post, true, 'no caller to exclude');
  });

  test('hostile and odd insightDetails are escaped and bounded', () => {
    // synthetic: attacker-chosen user agents and ARNs in the attributions, wrong types elsewhere
    const hostile = '<!channel> `x` *b* \u202e & <https://evil|x>'.repeat(20);
    const many = Array.from({ length: 50 }, (_, i) => ({ value: `${hostile}${i}`, average: i }));
    const record = {
      ...insights[0],
      insightDetails: {
        state: 7, eventName: '<!here>', eventSource: { a: 1 }, insightType: '<b>',
        insightContext: { statistics: { baseline: 'x', insight: { average: '2.5' }, insightDuration: null }, attributions: [...Array(9)].map(() => ({ attribute: hostile, insight: many, baseline: many })) },
      },
    } as CloudTrailRecord;
    const message = formatEventMessage(fromRecord(record)!);
    const json = JSON.stringify(message);
    assert.ok(json.length < 16 * 1024, `bounded: ${json.length}`);
    assert.ok(!/<!channel>|<!here>|<https:\/\/evil|\u202e/.test(json.replace(/<https:\/\/[a-z0-9.-]+\/[^|>]*\|[^<>|]*>/g, '')));
    assert.match(fieldsOf(message)['Insight']!, /^2\.5 /);
  });
});

describe('records without an event name are described from what they have', () => {
  test('an eventType, category and source: all shown, no placeholder', () => {
    // synthetic: a service event whose eventName went missing
    const event = fromRecord({ eventID: 'u-1', eventTime: '2026-03-02T09:00:00Z', eventType: 'AwsServiceEvent', eventCategory: 'Management', eventSource: 'ec2.amazonaws.com', awsRegion: 'eu-west-1', recipientAccountId: '111122223333' })!;
    const message = formatEventMessage(event);
    assert.match(message.text, /^\*CloudTrail event without an event name\*: `AwsServiceEvent` \(Management\) from `ec2\.amazonaws\.com` in eu-west-1/);
    assert.doesNotMatch(JSON.stringify(message), PLACEHOLDERS);
    assert.equal(fieldsOf(message)['Event Type'], 'AwsServiceEvent');
    assert.match(fieldsOf(message)['Fields in the Record']!, /`eventCategory`/);
    assert.match(formatPlainMessage(event).text, /CloudTrail event without an event name: AwsServiceEvent \(Management\) from ec2\.amazonaws\.com in eu-west-1/);
  });

  test('from LookupEvents with neither a name nor a readable record: says so, with its ID and the note', () => {
    const event = fromLookupEvent({ EventId: 'x-1', CloudTrailEvent: '{broken' }, 'eu-west-1');
    const message = formatEventMessage(event);
    assert.match(message.text, /^\*CloudTrail event without an event name\* in eu-west-1$/);
    assert.match(fieldsOf(message)['Note']!, /not valid JSON/);
    assert.equal(fieldsOf(message)['Event ID'], 'x-1');
    assert.doesNotMatch(JSON.stringify(message), PLACEHOLDERS);
  });

  test('replay skips a record with nothing to describe, and says why in its summary', async () => {
    const lines = [JSON.stringify({ eventID: 'only-an-id' }), JSON.stringify(insights[0])].join('\n');
    const run = await replayFile('odd.jsonl', lines);
    assert.equal(run.payloads.length, 1);
    assert.match(run.err, /1 skipped \(no eventName, eventType, eventSource or insightDetails\)/);
    assert.doesNotMatch(JSON.stringify(run.payloads), PLACEHOLDERS);
  });
});
