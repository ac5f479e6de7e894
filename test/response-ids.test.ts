import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromRecord } from '../src/events/parse';
import type { CloudTrailRecord, TrailEvent } from '../src/events/types';
import { formatEventMessage } from '../src/slack/format';
import { MAX_RESPONSE_IDS, responseIdsOf } from '../src/slack/response-ids';
import type { SlackMessage } from '../src/slack/types';
import { loadFixtureRecords } from './support/fixtures';

/** The response's new IDs (issue 8 item 5): what a reader needs to find, revoke or delete what a call created. */

const records = loadFixtureRecords();
const createdOf = (message: SlackMessage) => message.attachments?.[0]?.fields?.find((f) => f.title === 'Created')?.value;

function fixture(name: string, predicate: (r: CloudTrailRecord) => boolean = () => true): TrailEvent {
  const record = records.find((r) => r.eventName === name && !r.errorCode && predicate(r));
  assert.ok(record, `the fixture has a successful ${name}`);
  return fromRecord(record)!;
}

function synthetic(source: string, name: string, responseElements: unknown, extra: Partial<CloudTrailRecord> = {}): TrailEvent {
  // synthetic: only what the extractor reads
  return fromRecord({ eventID: 'e-1', eventSource: source, eventName: name, awsRegion: 'us-east-1', responseElements, ...extra })!;
}

describe('real fixture records', () => {
  test('CreateAccessKey: the new access key ID', () => {
    const event = fixture('CreateAccessKey');
    assert.deepEqual(responseIdsOf(event), { ids: [{ label: 'access key', value: 'AKIATFQR7NSCQLA2F4OD' }], omitted: 0 });
    assert.equal(createdOf(formatEventMessage(event)), 'access key `AKIATFQR7NSCQLA2F4OD`');
  });

  test('RunInstances: every launched instance ID; one instance becomes the headline\'s resource', () => {
    const event = fixture('RunInstances', (r) => JSON.stringify(r.responseElements ?? null).includes('instanceId'));
    const items = (event.record?.responseElements as { instancesSet: { items: Array<{ instanceId: string }> } }).instancesSet.items;
    assert.deepEqual(responseIdsOf(event).ids.map((id) => id.value), items.map((item) => item.instanceId).slice(0, MAX_RESPONSE_IDS));
    const message = formatEventMessage(event);
    assert.match(message.text, /^\*RunInstances\* on `i-0[0-9a-f]+` by `bert-jan` \(IAMUser\) in us-east-1 · account 123837392027$/);
    assert.equal(createdOf(message), undefined, 'the only ID is already in the headline');
  });

  test('others of the fixture: security group, user, role, policy, snapshot, image, flow log, Lambda (versioned name)', () => {
    const expected: Array<[string, string, RegExp]> = [
      ['CreateSecurityGroup', 'security group', /^sg-[0-9a-f]+$/],
      ['CreateUser', 'user ID', /^AIDA[A-Z0-9]+$/],
      ['CreateRole', 'role ID', /^AROA[A-Z0-9]+$/],
      ['CreatePolicy', 'policy ID', /^ANPA[A-Z0-9]+$/],
      ['CreateSnapshot', 'snapshot', /^snap-[0-9a-f]+$/],
      ['RegisterImage', 'image', /^ami-[0-9a-f]+$/],
      ['CreateFlowLogs', 'flow log', /^fl-[0-9a-f]+$/],
      ['CreateFunction20150331', 'function', /^arn:aws:lambda:us-east-1:\d+:function:/],
      ['AuthorizeSecurityGroupIngress', 'security group rule', /^sgr-[0-9a-f]+$/],
    ];
    for (const [name, label, value] of expected) {
      const { ids } = responseIdsOf(fixture(name));
      assert.equal(ids.length, 1, name);
      assert.equal(ids[0]?.label, label, name);
      assert.match(ids[0]?.value ?? '', value, name);
    }
  });

  test('a failed call, a read, or an unknown call names no new ID', () => {
    const failed = records.find((r) => r.eventName === 'RunInstances' && r.errorCode);
    assert.ok(failed);
    assert.deepEqual(responseIdsOf(fromRecord(failed)!), { ids: [], omitted: 0 });
    assert.deepEqual(responseIdsOf(fixture('CreateTags')), { ids: [], omitted: 0 });
    // The same name from another service is a different call (Resource Groups' CreateGroup).
    assert.deepEqual(responseIdsOf(synthetic('resource-groups.amazonaws.com', 'CreateGroup', { group: { groupId: 'x' } })).ids, []);
  });
});

describe('bounds and hostile responses', () => {
  test('50 instances: the first five listed, the rest counted', () => {
    const items = Array.from({ length: 50 }, (_, i) => ({ instanceId: `i-${String(i).padStart(17, '0')}` }));
    const event = synthetic('ec2.amazonaws.com', 'RunInstances', { instancesSet: { items } });
    const found = responseIdsOf(event);
    assert.equal(found.ids.length, MAX_RESPONSE_IDS);
    assert.equal(found.omitted, 45);
    const created = createdOf(formatEventMessage(event)) ?? '';
    assert.deepEqual(created.split('\n'), [...items.slice(0, 5).map((item) => `instance \`${item.instanceId}\``), 'and 45 more']);
  });

  test('wrong types are skipped, a single item stands for a list, and hostile values are escaped and cut', () => {
    const odd = synthetic('ec2.amazonaws.com', 'RunInstances', { instancesSet: { items: [null, 5, { instanceId: {} }, { instanceId: ' ' }, { instanceId: 'i-1' }] } });
    assert.deepEqual(responseIdsOf(odd).ids.map((id) => id.value), ['i-1']);
    const single = synthetic('ec2.amazonaws.com', 'CreateFlowLogs', { CreateFlowLogsResponse: { flowLogIdSet: { item: ['fl-1', 'fl-2'] } } });
    assert.deepEqual(responseIdsOf(single).ids.map((id) => id.value), ['fl-1', 'fl-2']);
    for (const responseElements of [null, 'x', [], { accessKey: 'AKIA' }, { accessKey: [{ accessKeyId: 'A' }] }, JSON.parse('{"__proto__":{"accessKeyId":"P"}}')]) {
      assert.deepEqual(responseIdsOf(synthetic('iam.amazonaws.com', 'CreateAccessKey', responseElements)).ids, [], JSON.stringify(responseElements));
    }
    const evil = '<!channel>`*😀'.repeat(1000);
    const event = synthetic('iam.amazonaws.com', 'CreateAccessKey', { accessKey: { accessKeyId: evil } }, { requestParameters: { userName: 'bob' } });
    const created = createdOf(formatEventMessage(event)) ?? '';
    assert.ok(created.startsWith('access key `&lt;!channel&gt;ˋ*😀'), created.slice(0, 40));
    assert.ok([...created].length < 150, `${[...created].length} code points`);
  });

  test('a response with 100,000 elements is read only in part', () => {
    const items = Array.from({ length: 100_000 }, (_, i) => ({ instanceId: `i-${i}` }));
    const found = responseIdsOf(synthetic('ec2.amazonaws.com', 'RunInstances', { instancesSet: { items } }));
    assert.equal(found.ids.length, MAX_RESPONSE_IDS);
    assert.ok(found.omitted <= 100, `${found.omitted}: only a bounded prefix is walked`);
  });
});
