import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fromLookupEvent, fromRecord } from '../src/events/parse';
import type { CloudTrailRecord, TrailEvent } from '../src/events/types';
import { compilePattern, createEventFilter, DEFAULT_EXCLUDED_EVENT_NAMES, type Exclusions } from '../src/rules/filter';

const records: CloudTrailRecord[] = fs
  .readFileSync(path.join(__dirname, 'fixtures/cloudtrail/events.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as CloudTrailRecord);

const NONE: Exclusions = { eventNames: [], eventSources: [], userNames: [] };

// synthetic: a write event with the given parts
function event(parts: Partial<TrailEvent> & { identity?: CloudTrailRecord['userIdentity'] } = {}): TrailEvent {
  const { identity, ...rest } = parts;
  const record: CloudTrailRecord = {
    eventID: 'e-1',
    eventName: 'CreateTags',
    eventSource: 'ec2.amazonaws.com',
    readOnly: false,
    userIdentity: identity ?? { type: 'IAMUser', userName: 'alice' },
  };
  return { ...fromRecord(record)!, ...rest };
}

describe('read-only events', () => {
  test('readOnly true is skipped, false and undefined are posted', () => {
    const filter = createEventFilter(NONE);
    assert.deepEqual(filter(event({ readOnly: true })), { post: false, reason: 'read-only event' });
    assert.deepEqual(filter(event({ readOnly: false })), { post: true });
    assert.deepEqual(filter(event({ readOnly: undefined })), { post: true });
  });

  test('a LookupEvents event with unreadable JSON and no ReadOnly is posted', () => {
    const lookup = fromLookupEvent({ EventId: 'x', EventName: 'PutObject', CloudTrailEvent: '{bad' }, 'us-east-1')!;
    assert.equal(lookup.readOnly, undefined);
    assert.deepEqual(createEventFilter(NONE)(lookup), { post: true });
  });
});

describe('event names', () => {
  test('ConsoleLogin is excluded by default, whatever the config', () => {
    assert.deepEqual(DEFAULT_EXCLUDED_EVENT_NAMES, ['ConsoleLogin']);
    const filter = createEventFilter({ ...NONE, eventNames: ['Describe*'] });
    assert.equal(filter(event({ name: 'ConsoleLogin' })).post, false);
    assert.equal(filter(event({ name: 'consolelogin' })).post, false, 'case-insensitive');
    assert.equal(filter(event({ name: 'DescribeInstances' })).post, false);
    assert.equal(filter(event({ name: 'CreateTags' })).post, true);
  });

  test('exact match unless a * says otherwise', () => {
    const filter = createEventFilter({ ...NONE, eventNames: ['Delete'] });
    assert.equal(filter(event({ name: 'DeleteBucket' })).post, true);
    assert.equal(filter(event({ name: 'Delete' })).post, false);
  });

  test('the reason names the rule, not the event data', () => {
    const decision = createEventFilter({ ...NONE, eventNames: ['Put*'] })(event({ name: 'PutObject<!channel>' }));
    assert.deepEqual(decision, { post: false, reason: 'event name matches excluded "Put*"' });
  });
});

describe('event sources and user names', () => {
  test('sources: case-insensitive, with wildcards', () => {
    const filter = createEventFilter({ ...NONE, eventSources: ['S3.AMAZONAWS.COM', 'health.*'] });
    assert.equal(filter(event({ source: 's3.amazonaws.com' })).post, false);
    assert.equal(filter(event({ source: 'health.amazonaws.com' })).post, false);
    assert.equal(filter(event({ source: 'ec2.amazonaws.com' })).post, true);
    const all = createEventFilter({ ...NONE, eventSources: ['*.amazonaws.com'] });
    assert.equal(all(event()).post, false);
  });

  test('user names: IAM user, role/session name and LookupEvents username', () => {
    // synthetic: an assumed role whose LookupEvents Username is the session name
    const role = event({
      identity: { type: 'AssumedRole', arn: 'arn:aws:sts::1:assumed-role/Admin/alice@example.com', sessionContext: { sessionIssuer: { userName: 'Admin' } } },
      username: 'alice@example.com',
    });
    assert.equal(createEventFilter({ ...NONE, userNames: ['admin/*'] })(role).post, false);
    assert.equal(createEventFilter({ ...NONE, userNames: ['ALICE@example.com'] })(role).post, false);
    assert.equal(createEventFilter({ ...NONE, userNames: ['Admin'] })(role).post, false, 'the role name alone matches too');
    assert.equal(createEventFilter({ ...NONE, userNames: ['Adm'] })(role).post, true, 'whole names only');
    assert.equal(createEventFilter({ ...NONE, userNames: ['alice'] })(event()).post, false);
    assert.equal(createEventFilter({ ...NONE, userNames: ['bob'] })(event()).post, true);
  });

  test('empty patterns are ignored', () => {
    const filter = createEventFilter({ eventNames: [''], eventSources: ['  '], userNames: [''] });
    assert.deepEqual(filter(event({ identity: {} })), { post: true });
  });
});

describe('patterns', () => {
  test('only * is special', () => {
    assert.equal(compilePattern('a.b').test('axb'), false);
    assert.equal(compilePattern('a.b').test('A.B'), true);
    assert.equal(compilePattern('(x[').test('(x['), true);
    assert.equal(compilePattern('*').test(''), true);
    assert.equal(compilePattern('a*c*e').test('abcde'), true);
    assert.equal(compilePattern('a*c*e').test('abcdef'), false);
    assert.equal(compilePattern('**x').test('yx'), true);
  });

  test('a pathological pattern against a long hostile value stays linear', { timeout: 5000 }, () => {
    assert.equal(compilePattern('*a*a*a*a*a*a*a*a*b').test('a'.repeat(50_000)), false);
  });
});

describe('on the real records', () => {
  test('posts exactly the write events that are not ConsoleLogin', () => {
    const filter = createEventFilter(NONE);
    const events = records.map((r) => fromRecord(r)!);
    const posted = events.filter((e) => filter(e).post);
    const expected = records.filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin').length;
    assert.equal(posted.length, expected);
    assert.equal(expected, 359); // 361 writes, 2 of them ConsoleLogin
    assert.ok(posted.every((e) => e.readOnly === false && e.name !== 'ConsoleLogin'));
  });

  test('excluding a user by name removes all of their events', () => {
    const filter = createEventFilter({ ...NONE, userNames: ['benjamin'] });
    const events = records.map((r) => fromRecord(r)!).filter((e) => e.readOnly === false);
    const remaining = events.filter((e) => filter(e).post);
    assert.ok(remaining.length < events.length);
    assert.ok(remaining.every((e) => e.record?.userIdentity?.userName !== 'benjamin'));
  });
});
