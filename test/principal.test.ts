import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromLookupEvent, fromRecord } from '../src/events/parse';
import { createPrincipalMatcher, principalNames } from '../src/events/principal';
import type { CloudTrailRecord, TrailEvent } from '../src/events/types';
import { parseEventText } from '../src/replay/read';
import { createEventFilter } from '../src/rules/filter';
import { buildStoredEvent } from '../src/sim/cloudtrail-events';
import { loadFixtureRecords } from './support/fixtures';

const records = loadFixtureRecords();
const byId = (id: string): CloudTrailRecord => {
  const record = records.find((r) => r.eventID === id);
  assert.ok(record, `fixture ${id}`);
  return record;
};
const eventOf = (record: CloudTrailRecord): TrailEvent => fromRecord(record)!;
// synthetic: a write record around a hand-written userIdentity (identity types the real fixtures lack)
const synthetic = (userIdentity: unknown): TrailEvent =>
  eventOf({ eventID: 'e-1', eventName: 'PutBucketPolicy', eventSource: 's3.amazonaws.com', readOnly: false, userIdentity } as CloudTrailRecord);

/** Asserts that each pattern matches the event and each of `misses` does not. */
function assertMatches(event: TrailEvent, hits: string[], misses: string[] = []): void {
  for (const pattern of hits) assert.equal(createPrincipalMatcher([pattern])(event), pattern, `${pattern} should match ${principalNames(event).join(', ')}`);
  for (const pattern of misses) assert.equal(createPrincipalMatcher([pattern])(event), undefined, `${pattern} should not match`);
}

// Real records (test/fixtures/cloudtrail, see SOURCES.md)
const IAM_USER = byId('ff709962-49b6-494d-8198-cdf0f7e8e666'); // bert-jan, CreateRole
const ASSUMED_ROLE = byId('696b9be3-18d2-49ef-844f-3e813af3033d'); // an EC2 instance role, session i-0dbc91f429e48eeed
const AWS_SERVICE = byId('55e25aa9-7165-446e-aef6-815c7a79a961'); // ec2.amazonaws.com calls AssumeRole
const SERVICE_EVENT = byId('895dc875-cb08-45a5-b8c2-9158838741c0'); // userIdentity is only {accountId, invokedBy}
const ROLE = 'stratus-red-team-ec2-steal-credentials-role';
const SESSION = 'i-0dbc91f429e48eeed';

describe('principalNames / createPrincipalMatcher: one example per identity type', () => {
  test('IAMUser (real): the user name and the user ARN', () => {
    assertMatches(eventOf(IAM_USER), ['bert-jan', 'BERT-*', 'arn:aws:iam::123837392027:user/bert-jan', '*:user/bert-jan'], ['bert', 'jan']);
  });

  test('AssumedRole (real): role name, session name, role/session, assumed-role ARN and role ARN', () => {
    assertMatches(
      eventOf(ASSUMED_ROLE),
      [ROLE, SESSION, 'i-0*', `${ROLE}/${SESSION}`, 'stratus-red-team-*/*',
        `arn:aws:sts::123837392027:assumed-role/${ROLE}/${SESSION}`, `arn:aws:iam::123837392027:role/${ROLE}`],
      ['stratus-red-team', 'i-0dbc', 'ec2.amazonaws.com'],
    );
  });

  test('AWSService (real) and a service event with only invokedBy (real): the service', () => {
    assertMatches(eventOf(AWS_SERVICE), ['ec2.amazonaws.com', '*.amazonaws.com'], ['ec2']);
    assertMatches(eventOf(SERVICE_EVENT), ['ec2.amazonaws.com'], ['123837392027']);
  });

  test('a person acting through a service is not matched by the service (invokedBy of an IAMUser)', () => {
    const viaService = records.find((r) => r.userIdentity?.type === 'IAMUser' && r.userIdentity.invokedBy === 'AWS Internal');
    assert.ok(viaService, 'fixture with invokedBy on an IAM user');
    assertMatches(eventOf(viaService), [String(viaService.userIdentity?.userName)], ['AWS Internal']);
  });

  test('Root (synthetic): root, the account alias, and the root ARN', () => {
    const withAlias = synthetic({ type: 'Root', principalId: '111122223333', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333', userName: 'example-prod' });
    assertMatches(withAlias, ['root', 'ROOT', 'example-prod', 'arn:aws:iam::111122223333:root']);
    assertMatches(synthetic({ type: 'Root', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333' }), ['root'], ['example-prod']);
  });

  test('FederatedUser (synthetic): the federated name, its ARN, and the IAM user who federated it', () => {
    const federated = synthetic({
      type: 'FederatedUser', principalId: '111122223333:bob', arn: 'arn:aws:sts::111122223333:federated-user/bob', accountId: '111122223333',
      sessionContext: { sessionIssuer: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', userName: 'alice' } },
    });
    assertMatches(federated, ['bob', 'arn:aws:sts::111122223333:federated-user/bob', 'alice', 'arn:aws:iam::111122223333:user/alice'], ['carol']);
  });

  test('SAMLUser and WebIdentityUser (synthetic): the user name', () => {
    assertMatches(synthetic({ type: 'SAMLUser', principalId: 'SampleUkh1i4+ExamplexL/jEvs=', userName: 'SamlExample', identityProvider: 'bdGOnTesti4+ExampleGYRTQwbLE=' }), ['SamlExample', 'saml*']);
    assertMatches(synthetic({ type: 'WebIdentityUser', principalId: 'accounts.google.com:123456789012', userName: 'dev@example.com', identityProvider: 'accounts.google.com' }), ['dev@example.com', '*@example.com'], ['accounts.google.com']);
  });

  test('IdentityCenterUser (synthetic): the user ID and the user name; through an SSO role: the session name', () => {
    const direct = synthetic({
      type: 'IdentityCenterUser', accountId: '111122223333', userName: 'jane@example.com', credentialId: 'EXAMPLEcredential',
      onBehalfOf: { userId: '544894e8-80c1-707f-60e3-3ba6510dfac1', identityStoreArn: 'arn:aws:identitystore::111122223333:identitystore/d-9067642ac7' },
    });
    assertMatches(direct, ['544894e8-80c1-707f-60e3-3ba6510dfac1', 'jane@example.com'], ['d-9067642ac7']);
    const viaRole = synthetic({
      type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/jane@example.com',
      sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef', userName: 'AWSReservedSSO_Admin_0123456789abcdef' } },
    });
    assertMatches(viaRole, ['jane@example.com', 'AWSReservedSSO_*', 'AWSReservedSSO_Admin_*/jane@*']);
  });

  test('the LookupEvents Username is a candidate too; a hidden or missing name matches nothing', () => {
    assertMatches({ ...synthetic({ type: 'Unknown' }), username: 'ci-bot' }, ['ci-bot']);
    assertMatches(synthetic({ type: 'IAMUser', userName: 'HIDDEN_DUE_TO_SECURITY_REASONS' }), [], ['HIDDEN_DUE_TO_SECURITY_REASONS', 'unknown', 'hidden user']);
    assert.deepEqual(principalNames(synthetic(undefined)), []);
    assert.equal(createPrincipalMatcher(['*'])(synthetic(null)), undefined, 'no name, nothing to match');
  });

  test('odd identities never throw', () => {
    for (const identity of [42, 'root', [], { type: 7, arn: ['x'], sessionContext: 'x' }, { arn: 'arn:' }, { arn: 'arn:aws:sts::1:assumed-role' }]) {
      assert.doesNotThrow(() => createPrincipalMatcher(['*x*'])(synthetic(identity)));
    }
  });
});

describe('the daemon and replay decide the same for the same record', () => {
  /** What the daemon sees: the simulator's LookupEvents Event for the record, with Username as given. */
  function daemonView(record: CloudTrailRecord, username: string | undefined): TrailEvent {
    const { event } = buildStoredEvent(record, {}, 1, Date.now());
    return fromLookupEvent({ ...event, Username: username, EventTime: new Date(event.EventTime * 1000) }, 'us-east-1');
  }
  /** What replay sees: the record read from a JSON lines file. */
  function replayView(record: CloudTrailRecord): TrailEvent {
    const [event] = parseEventText('events.jsonl', JSON.stringify(record)).events;
    assert.ok(event);
    return event;
  }

  // synthetic: the example, a role `deployer` whose session is an instance ID; and the real record
  const deployer: CloudTrailRecord = {
    ...ASSUMED_ROLE,
    eventID: '00000000-0000-4000-8000-000000000007',
    userIdentity: {
      type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/deployer/i-0abc1234def567890', accountId: '111122223333',
      sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::111122223333:role/deployer', userName: 'deployer' } },
    },
  };
  const cases: Array<[CloudTrailRecord, string, string]> = [[deployer, 'deployer', 'i-0abc1234def567890'], [ASSUMED_ROLE, ROLE, SESSION]];
  for (const [record, role, session] of cases) {
    test(`role ${role}, session ${session}: every pattern gives one decision on both paths`, () => {
      const patterns = [role, session, 'i-0abc*', `${role}/${session}`, `*/${session}`, 'nobody', '*deploy*'];
      // LookupEvents' Username for a role is the role or the session name (which, AWS does not say): both checked.
      const views = [daemonView(record, role), daemonView(record, session), daemonView(record, undefined), replayView(record)];
      for (const pattern of patterns) {
        const filter = createEventFilter({ eventNames: [], eventSources: [], userNames: [pattern] });
        const decisions = views.map((view) => filter(view).post);
        assert.ok(decisions.every((d) => d === decisions[0]), `${pattern}: ${decisions.join(' ')}`);
      }
      const drop = createEventFilter({ eventNames: [], eventSources: [], userNames: [role] });
      assert.equal(drop(replayView(record)).post, false, 'the role name drops it in replay');
      const bySession = createEventFilter({ eventNames: [], eventSources: [], userNames: [session] });
      assert.equal(bySession(daemonView(record, role)).post, false, 'the session name drops it in the daemon');
    });
  }
});
