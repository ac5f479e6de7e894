import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRich, type MessageOptions } from '../src/pipeline/queue-message';
import { formatEventMessage, formatPlainMessage } from '../src/slack/format';
import { formatDigestMessage } from '../src/slack/format-digest';
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
