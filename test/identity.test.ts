import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { describeIdentity, HIDDEN_USER_NAME } from '../src/events/identity';
import { fromLookupEvent, fromRecord } from '../src/events/parse';
import type { CloudTrailRecord, TrailEvent } from '../src/events/types';

const records: CloudTrailRecord[] = fs
  .readFileSync(path.join(__dirname, 'fixtures/cloudtrail/events.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as CloudTrailRecord);

function fixture(eventId: string): TrailEvent {
  const record = records.find((r) => r.eventID === eventId);
  assert.ok(record, `fixture ${eventId}`);
  const event = fromRecord(record);
  assert.ok(event);
  return event;
}

/** An event around a hand-written userIdentity (or none). */
function withIdentity(userIdentity: unknown, extra: Partial<TrailEvent> = {}): TrailEvent {
  const record = { eventID: 'e-1', recipientAccountId: '111122223333', userIdentity } as CloudTrailRecord;
  return { ...fromRecord(record)!, username: undefined, ...extra };
}

describe('describeIdentity on real records', () => {
  test('IAMUser: the user name', () => {
    assert.deepEqual(describeIdentity(fixture('875240ac-e821-4fc6-a311-8c352a1d20f5')), {
      type: 'IAMUser',
      name: 'benjamin',
    });
  });

  test('AssumedRole: issuer role name and session name from the ARN', () => {
    assert.deepEqual(describeIdentity(fixture('3bcc9d61-5936-429a-8b49-d5cb8e7b0e06')), {
      type: 'AssumedRole',
      name: 'AWSServiceRoleForAmazonInspector2/MandoService2842426183934887787',
    });
  });

  test('AWSService: the invoking service', () => {
    assert.deepEqual(describeIdentity(fixture('55e25aa9-7165-446e-aef6-815c7a79a961')), {
      type: 'AWSService',
      name: 'ec2.amazonaws.com',
    });
  });

  test('a service event with no identity type: Unknown, named by invokedBy', () => {
    assert.deepEqual(describeIdentity(fixture('895dc875-cb08-45a5-b8c2-9158838741c0')), {
      type: 'Unknown',
      name: 'ec2.amazonaws.com',
    });
  });

  test('every fixture record gets a non-empty name and type', () => {
    for (const record of records) {
      const who = describeIdentity(fromRecord(record)!);
      assert.ok(who.name.length > 0 && who.type.length > 0, String(record.eventID));
      assert.notEqual(who.name, 'unknown', String(record.eventID));
    }
  });
});

describe('describeIdentity on synthetic identities', () => {
  test('Root without an alias: root + account', () => {
    // synthetic: Root identities are not in the fixture
    const event = withIdentity({ type: 'Root', principalId: '111122223333', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333' });
    assert.deepEqual(describeIdentity(event), { type: 'Root', name: 'root', detail: 'account 111122223333' });
  });

  test('Root with an account alias in userName', () => {
    // synthetic
    const event = withIdentity({ type: 'Root', accountId: '111122223333', userName: 'acme-prod' });
    assert.deepEqual(describeIdentity(event), { type: 'Root', name: 'acme-prod', detail: 'root, account 111122223333' });
  });

  test('IdentityCenterUser: user id and identity store', () => {
    // synthetic: shape from the CloudTrail userIdentity reference
    const event = withIdentity({
      type: 'IdentityCenterUser',
      accountId: '111122223333',
      onBehalfOf: { userId: '544894e8-80c1-707f-60e3-3ba6510dfac1', identityStoreArn: 'arn:aws:identitystore::111122223333:identitystore/d-9067642ac7' },
      credentialId: 'EXAMPLEVHULjJdTUdPJfofVa1sufHDoj7aYcOYcxFVllWR_Whr1fEXAMPLE',
    });
    assert.deepEqual(describeIdentity(event), {
      type: 'IdentityCenterUser',
      name: '544894e8-80c1-707f-60e3-3ba6510dfac1',
      detail: 'identity store d-9067642ac7',
    });
  });

  test('FederatedUser: name from the ARN, issuer from the session context', () => {
    // synthetic
    const event = withIdentity({
      type: 'FederatedUser',
      principalId: '111122223333:Bob',
      arn: 'arn:aws:sts::111122223333:federated-user/Bob',
      accountId: '111122223333',
      sessionContext: { sessionIssuer: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/broker', userName: 'broker' } },
    });
    assert.deepEqual(describeIdentity(event), { type: 'FederatedUser', name: 'Bob', detail: 'federated by broker' });
  });

  test('SAMLUser and WebIdentityUser: user name and provider', () => {
    // synthetic
    const saml = withIdentity({ type: 'SAMLUser', principalId: 'SAMPLE:alice', userName: 'alice', identityProvider: 'bdGOnTesti4+ruBAf5JRcQ=' });
    assert.deepEqual(describeIdentity(saml), { type: 'SAMLUser', name: 'alice', detail: 'via bdGOnTesti4+ruBAf5JRcQ=' });
    // synthetic
    const web = withIdentity({ type: 'WebIdentityUser', principalId: 'accounts.google.com:1234', userName: '1234', identityProvider: 'accounts.google.com' });
    assert.deepEqual(describeIdentity(web), { type: 'WebIdentityUser', name: '1234', detail: 'via accounts.google.com' });
  });

  test('AWSAccount: account and principal', () => {
    // synthetic: a cross-account call
    const event = withIdentity({ type: 'AWSAccount', principalId: 'AIDAEXAMPLE', accountId: '444455556666' });
    assert.deepEqual(describeIdentity(event), { type: 'AWSAccount', name: '444455556666', detail: 'principal AIDAEXAMPLE' });
  });

  test('a caller from another account says so', () => {
    // synthetic
    const event = withIdentity({ type: 'IAMUser', userName: 'ci', accountId: '444455556666' });
    assert.deepEqual(describeIdentity(event), { type: 'IAMUser', name: 'ci', detail: 'account 444455556666' });
  });

  test('no record: LookupEvents username, else unknown', () => {
    // synthetic: LookupEvents event whose CloudTrailEvent JSON is broken
    const named = fromLookupEvent({ EventId: 'x', Username: 'carol', CloudTrailEvent: '{oops' }, 'us-east-1')!;
    assert.deepEqual(describeIdentity(named), { type: 'Unknown', name: 'carol' });
    const anonymous = fromLookupEvent({ EventId: 'y' }, 'us-east-1')!;
    assert.deepEqual(describeIdentity(anonymous), { type: 'Unknown', name: 'unknown' });
  });

  test('Unknown type: username, else principalId', () => {
    // synthetic
    assert.equal(describeIdentity(withIdentity({ type: 'Unknown', principalId: 'AIDAX' })).name, 'AIDAX');
    assert.equal(describeIdentity(withIdentity({ type: 'Unknown', principalId: 'AIDAX' }, { username: 'dave' })).name, 'dave');
  });

  test('HIDDEN_DUE_TO_SECURITY_REASONS is never shown as a name', () => {
    // synthetic: failed console sign-in with an unknown user name
    const event = withIdentity({ type: 'IAMUser', accountId: '111122223333', userName: HIDDEN_USER_NAME }, { username: HIDDEN_USER_NAME });
    const who = describeIdentity(event);
    assert.equal(who.name, 'hidden user');
    assert.match(who.detail ?? '', /hidden by AWS/);
    // With a principal it falls back to that instead.
    const withPrincipal = withIdentity({ type: 'IAMUser', userName: HIDDEN_USER_NAME, principalId: 'AIDAQ' });
    assert.equal(describeIdentity(withPrincipal).name, 'AIDAQ');
  });

  test('never throws, whatever the shape', () => {
    // synthetic: garbage shapes
    const shapes: unknown[] = [
      undefined, null, 5, 'IAMUser', [], [{ type: 'IAMUser' }], { type: 5 }, { type: ['Root'] },
      { type: 'AssumedRole', arn: 7, sessionContext: 'x' }, { type: 'AssumedRole', arn: 'arn:aws:sts::1:assumed-role' },
      { type: 'AssumedRole', sessionContext: { sessionIssuer: [] } }, { type: 'IdentityCenterUser', onBehalfOf: [] },
      { type: 'FederatedUser', arn: 'not-an-arn' }, { type: 'Root', accountId: {} }, { type: '__proto__' },
      { type: 'constructor' }, { type: 'toString' }, { type: 'hasOwnProperty', userName: 9 }, { type: '  ' },
    ];
    for (const shape of shapes) {
      const who = describeIdentity(withIdentity(shape));
      assert.equal(typeof who.name, 'string');
      assert.ok(who.name.length > 0);
      assert.equal(typeof who.type, 'string');
    }
    assert.equal(describeIdentity(withIdentity({ type: 'constructor' })).type, 'constructor');
    assert.deepEqual(describeIdentity(withIdentity(42)), { type: 'Unknown', name: 'unknown' });
  });
});
