import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromLookupEvent, fromRecord } from '../src/events/parse';
import type { CloudTrailRecord, TrailEvent } from '../src/events/types';
import { createEventFilter } from '../src/rules/filter';
import { formatEventMessage, formatPlainMessage } from '../src/slack/format';
import { loadFixtureRecords } from './support/fixtures';

const NONE = { eventNames: [], eventSources: [], userNames: [] };
const base = loadFixtureRecords().find((r) => r.readOnly === false && Array.isArray(r.resources) && r.resources.length > 0)!;
const BASE_TIME = Date.parse(String(base.eventTime));

/** A LookupEvents `Event` as the SDK hands it over for `base`, before a test breaks one field. */
function lookupOf(record: CloudTrailRecord): Record<string, unknown> {
  return {
    EventId: record.eventID,
    EventName: record.eventName,
    ReadOnly: String(record.readOnly),
    EventTime: new Date(Date.parse(String(record.eventTime))),
    EventSource: record.eventSource,
    Username: record.userIdentity?.userName,
    Resources: (record.resources ?? []).map((r) => ({ ResourceType: r.type, ResourceName: r.ARN })),
    CloudTrailEvent: JSON.stringify(record),
  };
}

/** What must hold for any event, however odd its input: sane types, and it goes through filter and format. */
function assertSane(event: TrailEvent): void {
  assert.equal(typeof event.id, 'string');
  assert.ok(event.id.length > 0);
  assert.equal(typeof event.name, 'string');
  assert.equal(typeof event.source, 'string');
  assert.ok(Number.isFinite(event.time) && Math.abs(event.time) <= 8.64e15, `time ${event.time}`);
  assert.ok(event.readOnly === undefined || typeof event.readOnly === 'boolean');
  assert.ok(event.username === undefined || typeof event.username === 'string');
  assert.ok(Array.isArray(event.resources));
  for (const r of event.resources) {
    assert.ok(r.type === undefined || typeof r.type === 'string');
    assert.ok(r.name === undefined || typeof r.name === 'string');
  }
  assert.ok(event.record === undefined || (typeof event.record === 'object' && !Array.isArray(event.record)));
  createEventFilter({ ...NONE, userNames: ['x*'] })(event);
  assert.ok(formatEventMessage(event).text.length > 0);
  assert.ok(formatPlainMessage(event).text.length > 0);
}

// synthetic: every case below is the real record `base` with one field of the LookupEvents Event broken
const CASES: Array<{ name: string; patch: Record<string, unknown>; check?(event: TrailEvent): void }> = [
  { name: 'Resources as a string', patch: { Resources: 'arn:aws:s3:::bucket' }, check: (e) => assert.deepEqual(e.resources, [{ name: 'arn:aws:s3:::bucket' }]) },
  { name: 'Resources as one object', patch: { Resources: { ResourceType: 'AWS::S3::Bucket', ResourceName: 'b' } }, check: (e) => assert.deepEqual(e.resources, [{ type: 'AWS::S3::Bucket', name: 'b' }]) },
  { name: 'Resources null', patch: { Resources: null }, check: (e) => assert.ok(e.resources.length > 0, 'falls back to the record') },
  { name: 'Resources a number', patch: { Resources: 7 } },
  { name: 'Resources an array of junk', patch: { Resources: [null, 'x', 5, [], { ResourceType: 7, ResourceName: { a: 1 } }, {}] }, check: (e) => assert.deepEqual(e.resources, [{ name: 'x' }, { type: '7' }]) },
  { name: 'EventTime an ISO string', patch: { EventTime: '2023-07-10T11:42:18Z' }, check: (e) => assert.equal(e.time, Date.parse('2023-07-10T11:42:18Z')) },
  { name: 'EventTime epoch seconds', patch: { EventTime: 1688989338 }, check: (e) => assert.equal(e.time, 1688989338000) },
  { name: 'EventTime epoch ms', patch: { EventTime: 1688989338000 }, check: (e) => assert.equal(e.time, 1688989338000) },
  { name: 'EventTime an invalid Date', patch: { EventTime: new Date(Number.NaN) }, check: (e) => assert.equal(e.time, BASE_TIME, 'from the record') },
  { name: 'EventTime out of Date range', patch: { EventTime: 1e300 }, check: (e) => assert.equal(e.time, BASE_TIME) },
  { name: 'EventTime garbage', patch: { EventTime: 'soon' }, check: (e) => assert.equal(e.time, BASE_TIME) },
  { name: 'EventTime an object', patch: { EventTime: { toISOString: 1 } }, check: (e) => assert.equal(e.time, BASE_TIME) },
  { name: 'Username a number', patch: { Username: 42 }, check: (e) => assert.equal(e.username, '42') },
  { name: 'Username an object', patch: { Username: { a: 1 } }, check: (e) => assert.equal(e.username, undefined) },
  { name: 'EventId a number', patch: { EventId: 12345 }, check: (e) => assert.equal(e.id, '12345') },
  { name: 'EventId absent', patch: { EventId: undefined }, check: (e) => assert.equal(e.id, base.eventID, 'from the record') },
  { name: 'EventName an array', patch: { EventName: ['x'] }, check: (e) => assert.equal(e.name, base.eventName) },
  { name: 'EventSource a boolean', patch: { EventSource: true }, check: (e) => assert.equal(e.source, base.eventSource) },
  { name: 'ReadOnly the boolean true', patch: { ReadOnly: true }, check: (e) => assert.equal(e.readOnly, true) },
  { name: 'ReadOnly "TRUE"', patch: { ReadOnly: 'TRUE' }, check: (e) => assert.equal(e.readOnly, true) },
  { name: 'ReadOnly junk', patch: { ReadOnly: 'maybe' }, check: (e) => assert.equal(e.readOnly, false, 'from the record') },
  { name: 'CloudTrailEvent already parsed', patch: { CloudTrailEvent: base }, check: (e) => assert.equal(e.record?.eventID, base.eventID) },
  { name: 'CloudTrailEvent an array', patch: { CloudTrailEvent: [base] }, check: (e) => assert.match(String(e.recordError), /not a JSON object/) },
  { name: 'CloudTrailEvent a number', patch: { CloudTrailEvent: 5 }, check: (e) => assert.match(String(e.recordError), /not a JSON object/) },
  { name: 'CloudTrailEvent "null"', patch: { CloudTrailEvent: 'null' }, check: (e) => assert.match(String(e.recordError), /not a JSON object/) },
  { name: 'CloudTrailEvent broken JSON', patch: { CloudTrailEvent: '{"eventID": "x", "us' }, check: (e) => assert.match(String(e.recordError), /not valid JSON/) },
  { name: 'AccessKeyId a number', patch: { AccessKeyId: 9 }, check: (e) => assert.equal(e.accessKeyId, '9') },
];

describe('fromLookupEvent never throws on odd answers and gives sane fields', () => {
  for (const c of CASES) {
    test(c.name, () => {
      const event = fromLookupEvent({ ...lookupOf(base), ...c.patch }, 'us-east-1');
      assertSane(event);
      c.check?.(event);
    });
  }

  // synthetic: odd records inside a well-formed LookupEvents Event
  const RECORDS: Array<[string, Record<string, unknown>]> = [
    ['readOnly "true" (a string)', { readOnly: 'true' }],
    ['eventTime a number', { eventTime: 1688989338 }],
    ['userIdentity a string', { userIdentity: 'root' }],
    ['userIdentity null', { userIdentity: null }],
    ['resources a string', { resources: 'arn:aws:s3:::b' }],
    ['resources with nulls', { resources: [null, 1, { ARN: 5, type: [] }] }],
    ['errorCode an object', { errorCode: { code: 1 } }],
    ['requestParameters deeply nested', { requestParameters: JSON.parse('['.repeat(2000) + ']'.repeat(2000)) }],
    ['everything a number', Object.fromEntries(Object.keys(base).map((k) => [k, 1]))],
  ];
  for (const [name, patch] of RECORDS) {
    test(`record: ${name}`, () => {
      const record = { ...base, ...patch };
      const event = fromLookupEvent({ EventId: 'e-1', CloudTrailEvent: JSON.stringify(record) }, 'us-east-1');
      assertSane(event);
      const replayed = fromRecord({ ...record, eventID: 'e-1' } as CloudTrailRecord);
      assert.ok(replayed);
      assertSane(replayed);
    });
  }

  test('readOnly "true" in the record counts as read-only, in both paths', () => {
    const record = { ...base, readOnly: 'true' } as unknown as CloudTrailRecord;
    assert.equal(fromLookupEvent({ EventId: 'e', CloudTrailEvent: JSON.stringify(record) }, 'us-east-1').readOnly, true);
    assert.equal(fromRecord(record)?.readOnly, true);
  });

  test('not an object at all (null, a string, a number, an array) still gives a sane event', () => {
    for (const raw of [null, undefined, 'x', 5, [], [base]]) assertSane(fromLookupEvent(raw, 'us-east-1'));
  });
});
