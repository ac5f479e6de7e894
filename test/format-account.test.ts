import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRich, type MessageOptions } from '../src/pipeline/queue-message';
import { fromRecord } from '../src/events/parse';
import { formatEventMessage, formatPlainMessage } from '../src/slack/format';
import { formatDigestMessage, formatPlainDigest } from '../src/slack/format-digest';
import { captureLogger } from './support/daemon-harness';
import { queueItem } from './support/queue-items';

/**
 * Issue 9 item 3: messages name the account where they name the region. A record names its own account
 * (recipientAccountId, else the caller's); one that does not is from the account whose Event history the daemon
 * reads: the account STS said the daemon runs as.
 */

const NO_ACCOUNT = { recipientAccountId: undefined, userIdentity: { type: 'AWSService', invokedBy: 'ec2.amazonaws.com' } };

test('a record without an account is named by the account the daemon runs as', () => {
  const { event } = queueItem({ record: NO_ACCOUNT });
  assert.doesNotMatch(formatEventMessage(event).text, /account/, 'nothing known: nothing said');
  assert.match(formatEventMessage(event, { account: '444455556666' }).text, / in eu-west-1 · account 444455556666$/);
  assert.match(formatPlainMessage(event, { account: '444455556666' }).text, / in eu-west-1 · account 444455556666 at /);
});

test("the record's own account wins over the daemon's (the event says where it happened)", () => {
  const { event } = queueItem({ record: { recipientAccountId: '111122223333' } });
  assert.match(formatEventMessage(event, { account: '444455556666' }).text, /· account 111122223333$/);
});

test("a digest of records without an account names the daemon's account", () => {
  const items = [queueItem({ record: NO_ACCOUNT }), queueItem({ record: NO_ACCOUNT })];
  assert.match(formatDigestMessage(items, { repeatWindowMs: 0, account: '444455556666' }).text, /in eu-west-1 \(account 444455556666\)$/);
  assert.doesNotMatch(formatDigestMessage(items, { repeatWindowMs: 0 }).text, /account/);
});

test('the queue reads the account when it builds a message (STS may answer after the start)', () => {
  let account: string | undefined;
  const options: MessageOptions = { repeatWindowMs: 0, account: () => account };
  const plan = { kind: 'single' as const, items: [queueItem({ record: NO_ACCOUNT })] };
  const { log } = captureLogger();
  const before = buildRich(plan, options, log);
  account = '444455556666';
  const after = buildRich(plan, options, log);
  assert.ok('message' in before && 'message' in after);
  assert.doesNotMatch(before.message.text, /account/);
  assert.match(after.message.text, /· account 444455556666$/);
});

// Issue 10: many accounts. Names come from the config or the organisation listing: untrusted, escaped.
const NAMES = new Map([['111122223333', 'prod'], ['444455556666', 'Dev <!channel> *team*']]);
const accounts = { nameOf: (id: string) => NAMES.get(id) };

test('a message names its account "name (id)" when the name is known, the ID alone otherwise', () => {
  const { event } = queueItem({ record: { recipientAccountId: '111122223333' } });
  assert.match(formatEventMessage(event, { accounts }).text, / in eu-west-1 · account prod \(111122223333\)$/);
  assert.match(formatPlainMessage(event, { accounts }).text, / · account prod \(111122223333\) at /);
  assert.equal(formatEventMessage(event).text, formatEventMessage(event, { accounts: { nameOf: () => undefined } }).text);
  const other = queueItem({ record: { recipientAccountId: '999988887777' } }).event;
  assert.match(formatEventMessage(other, { accounts }).text, /· account 999988887777$/);
});

test('an account name is escaped and set apart like event text: it can neither mention nor format', () => {
  const { event } = queueItem({ record: { recipientAccountId: '444455556666' } });
  const text = formatEventMessage(event, { accounts }).text;
  assert.match(text, /· account `Dev &lt;!channel&gt; \*team\*` \(444455556666\)$/);
  assert.doesNotMatch(text, /<!channel>/);
  const long = { nameOf: () => 'n'.repeat(500) };
  assert.ok(formatEventMessage(event, { accounts: long }).text.length < 300, 'a long name is cut');
});

test('a record without an account is named by its target\'s account before the daemon\'s own', () => {
  const item = { ...queueItem({ record: NO_ACCOUNT }), target: '111122223333/eu-west-1' };
  const options: MessageOptions = { repeatWindowMs: 0, account: () => '444455556666', accounts };
  const { log } = captureLogger();
  const built = buildRich({ kind: 'single', items: [item] }, options, log);
  assert.ok('message' in built);
  assert.match(built.message.text, /· account prod \(111122223333\)$/);
  const own = buildRich({ kind: 'single', items: [queueItem({ record: NO_ACCOUNT })] }, options, log);
  assert.ok('message' in own);
  assert.match(own.message.text, /· account `Dev &lt;!channel&gt; \*team\*` \(444455556666\)$/);
});

test('a digest of one account names it in the summary; a digest mixing accounts names each line\'s', () => {
  const one = [queueItem({ record: { recipientAccountId: '111122223333' } }), queueItem({ record: { recipientAccountId: '111122223333' } })];
  const single = formatDigestMessage(one, { repeatWindowMs: 0, accounts });
  assert.match(single.text, /in eu-west-1 \(account prod \(111122223333\)\)$/);
  assert.doesNotMatch(single.attachments?.[0]?.text ?? '', /111122223333/, 'the lines need not repeat it');
  const mixed = [
    queueItem({ name: 'RunInstances', record: { recipientAccountId: '111122223333' } }),
    { ...queueItem({ name: 'CreateBucket', record: NO_ACCOUNT }), target: '444455556666/eu-west-1' },
  ];
  const digest = formatDigestMessage(mixed, { repeatWindowMs: 0, accounts });
  assert.match(digest.text, /\(2 accounts\)$/);
  const lines = (digest.attachments?.[0]?.text ?? '').split('\n');
  assert.match(lines.find((l) => l.includes('RunInstances')) ?? '', /· prod \(111122223333\)$/);
  assert.match(lines.find((l) => l.includes('CreateBucket')) ?? '', /· `Dev &lt;!channel&gt; \*team\*` \(444455556666\)$/);
  assert.doesNotMatch(JSON.stringify(digest), /<!channel>/);
  const plain = formatPlainDigest(mixed, { accounts });
  assert.match(plain.text, /CreateBucket.* · 444455556666$/m);
  assert.match(plain.text, /RunInstances.* · 111122223333$/m);
});

test('Insights records and records without a name name their account too: the record\'s, else the target\'s', () => {
  const insight = fromRecord({
    eventVersion: '1.08', eventType: 'AwsCloudTrailInsight', eventCategory: 'Insight', eventID: 'i-1', eventTime: '2026-11-26T12:00:00Z',
    awsRegion: 'eu-west-1', recipientAccountId: '111122223333', sharedEventID: 's-1',
    insightDetails: { state: 'Start', eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', insightType: 'ApiCallRateInsight' },
  })!;
  const field = (message: ReturnType<typeof formatEventMessage>) => message.attachments?.[0]?.fields?.find((f) => f.title === 'Account ID')?.value;
  assert.equal(field(formatEventMessage(insight, { accounts })), 'prod (111122223333)');
  const unnamed = fromRecord({ eventID: 'u-1', eventTime: '2026-11-26T12:00:00Z', awsRegion: 'eu-west-1' })!;
  assert.equal(field(formatEventMessage(unnamed, { account: '444455556666', accounts })), '`Dev &lt;!channel&gt; *team*` (444455556666)');
});
