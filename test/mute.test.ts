import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromRecord } from '../src/events/parse';
import type { CloudTrailRecord, TrailEvent } from '../src/events/types';
import { createDecider, type RuleIndex } from '../src/rules/decide';
import type { Level, RuleHit } from '../src/rules/decision';
import { createEventFilter, type Exclusions } from '../src/rules/filter';
import type { EventFacts } from '../src/rules/match-facts';
import { BUILTIN_MUTES, collectMutes, compileMutes, translateExclude, validateMutes, type MuteConfig } from '../src/rules/mute';
import { loadFixtureRecords } from './support/fixtures';

// synthetic: a write event by an IAM user, with the facts the decider would compute for it
function event(parts: Partial<CloudTrailRecord> = {}): TrailEvent {
  const record: CloudTrailRecord = {
    eventID: 'e-1',
    eventName: 'CreateTags',
    eventSource: 'ec2.amazonaws.com',
    readOnly: false,
    userIdentity: { type: 'IAMUser', userName: 'alice' },
    ...parts,
  };
  return fromRecord(record)!;
}

function facts(e: TrailEvent, parts: Partial<Omit<EventFacts, 'event'>> = {}): EventFacts {
  const hits = parts.hits ?? [];
  return { event: e, account: '111122223333', region: 'us-east-1', hits, level: hits[0]?.level ?? 'informational', ...parts };
}

function hit(id: string, level: Level, tags: string[] = []): RuleHit {
  return { id, title: id, level, tags };
}

const muteOf = (...mutes: MuteConfig[]) => compileMutes(collectMutes({ mute: mutes, builtin: false }));

describe('mute entries', () => {
  test('every key: names, sources, users, accounts, regions and rules, as case-insensitive globs', () => {
    const e = event({ eventName: 'PutObject', eventSource: 's3.amazonaws.com' });
    const matches: Array<[MuteConfig, EventFacts, boolean]> = [
      [{ eventNames: ['put*'] }, facts(e), true],
      [{ eventNames: ['Put'] }, facts(e), false],
      [{ eventSources: ['S3.amazonaws.com'] }, facts(e), true],
      [{ eventSources: ['ec2.*'] }, facts(e), false],
      [{ userNames: ['ALICE'] }, facts(e), true],
      [{ userNames: ['bob'] }, facts(e), false],
      [{ accounts: ['1111*'] }, facts(e), true],
      [{ accounts: ['1111*'] }, facts(e, { account: undefined }), false],
      [{ regions: ['us-*'] }, facts(e), true],
      [{ regions: ['eu-*'] }, facts(e), false],
      [{ rules: ['noisy-*'] }, facts(e, { hits: [hit('noisy-tags', 'low')] }), true],
      [{ rules: ['tag.noise'] }, facts(e, { hits: [hit('x', 'low', ['TAG.noise'])] }), true],
      [{ rules: ['noisy-*'] }, facts(e), false],
    ];
    for (const [mute, f, muted] of matches) assert.equal(muteOf(mute)(f) !== undefined, muted, JSON.stringify(mute));
  });

  test('every given key must hold', () => {
    const mute = muteOf({ eventNames: ['PutObject'], userNames: ['terraform-*'] });
    assert.equal(mute(facts(event({ eventName: 'PutObject', userIdentity: { type: 'IAMUser', userName: 'terraform-ci' } }))), 'mute[0]');
    assert.equal(mute(facts(event({ eventName: 'PutObject' }))), undefined);
    assert.equal(mute(facts(event({ userIdentity: { type: 'IAMUser', userName: 'terraform-ci' } }))), undefined);
  });

  test('user names: the one principal matcher (role, session, role/session, ARN) as exclude.userNames uses', () => {
    // synthetic: an assumed role whose LookupEvents Username is the session name
    const role = {
      ...event({ userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::1:assumed-role/Admin/alice@example.com', sessionContext: { sessionIssuer: { userName: 'Admin' } } } }),
      username: 'alice@example.com',
    };
    assert.equal(muteOf({ userNames: ['Admin/*'] })(facts(role)), 'mute[0]');
    assert.equal(muteOf({ userNames: ['alice@example.com'] })(facts(role)), 'mute[0]');
    // The role name alone and the ARN match too (issue 7 item 3: one meaning everywhere); another role does not.
    assert.equal(muteOf({ userNames: ['Admin'] })(facts(role)), 'mute[0]');
    assert.equal(muteOf({ userNames: ['arn:aws:sts::1:assumed-role/Admin/*'] })(facts(role)), 'mute[0]');
    assert.equal(muteOf({ userNames: ['Deployer'] })(facts(role)), undefined);
  });

  test('unlessLevel: a matched rule at that level or above lets the event through', () => {
    const mute = muteOf({ eventSources: ['iam.*'], unlessLevel: 'high' });
    const e = event({ eventSource: 'iam.amazonaws.com' });
    assert.equal(mute(facts(e)), 'mute[0]', 'no rule');
    assert.equal(mute(facts(e, { hits: [hit('a', 'medium')] })), 'mute[0]');
    assert.equal(mute(facts(e, { hits: [hit('a', 'high')] })), undefined);
    assert.equal(mute(facts(e, { hits: [hit('a', 'critical'), hit('b', 'low')] })), undefined);
  });

  test('the reason names the first entry that mutes, never the event values', () => {
    const mutes = collectMutes({ mute: [{ regions: ['eu-*'] }, { eventNames: ['Put*'] }], exclude: { userNames: ['terraform-*'] } });
    const mute = compileMutes(mutes);
    const hostile = event({ eventName: 'PutObject<!channel>', userIdentity: { type: 'IAMUser', userName: 'terraform-<!here>' } });
    assert.equal(mute(facts(hostile)), 'mute[1]');
    assert.equal(mute(facts(event({ userIdentity: { type: 'IAMUser', userName: 'terraform-<!here>' } }))), 'exclude.userNames "terraform-*"');
    assert.equal(mute(facts(event({ eventName: 'ConsoleLogin' }))), 'built-in mute "ConsoleLogin"');
  });
});

describe('legacy exclude.* and the built-in ConsoleLogin mute', () => {
  test('each non-blank pattern becomes one mute without unlessLevel', () => {
    assert.deepEqual(translateExclude({ eventNames: ['Describe*', ' '], eventSources: [], userNames: ['terraform-*'] }), [
      { name: 'exclude.eventNames "Describe*"', mute: { eventNames: ['Describe*'] } },
      { name: 'exclude.userNames "terraform-*"', mute: { userNames: ['terraform-*'] } },
    ]);
    assert.deepEqual(BUILTIN_MUTES, [{ name: 'built-in mute "ConsoleLogin"', mute: { eventNames: ['ConsoleLogin'], unlessLevel: 'low' } }]);
    assert.deepEqual(collectMutes({ builtin: false }), []);
  });

  // A fake of the pack's risky sign-in rule: a console sign-in without MFA is high.
  const signInIndex: RuleIndex = {
    match: (record) => {
      const r = record as CloudTrailRecord & { additionalEventData?: { MFAUsed?: string } };
      return r.eventName === 'ConsoleLogin' && r.additionalEventData?.MFAUsed === 'No' ? [hit('console-login-without-mfa', 'high')] : [];
    },
  };
  const records = loadFixtureRecords();
  const logins = records.filter((r) => r.eventName === 'ConsoleLogin').map((r) => fromRecord(r)!);

  test('a successful sign-in with MFA is muted; one the rules rate high comes through', () => {
    const decide = createDecider({ index: signInIndex, mutes: collectMutes({}) });
    const withMfa = logins.find((e) => (e.record as { additionalEventData?: { MFAUsed?: string } }).additionalEventData?.MFAUsed === 'Yes')!;
    const withoutMfa = logins.find((e) => (e.record as { additionalEventData?: { MFAUsed?: string } }).additionalEventData?.MFAUsed === 'No')!;
    assert.deepEqual(decide(withMfa, { region: 'us-east-1' }), {
      level: 'informational', matched: [], muted: true, muteReason: 'built-in mute "ConsoleLogin"', routes: [],
    });
    const risky = decide(withoutMfa, { region: 'us-east-1' });
    assert.equal(risky.muted, false);
    assert.equal(risky.level, 'high');
    assert.deepEqual(risky.routes, [{ webhook: 'default' }]);
  });

  const configs: Exclusions[] = [
    { eventNames: [], eventSources: [], userNames: [] },
    { eventNames: ['Put*', 'CreateTags'], eventSources: [], userNames: [] },
    { eventNames: [], eventSources: ['ssm.amazonaws.com', '*.AMAZONAWS.com'], userNames: [] },
    { eventNames: [], eventSources: ['secretsmanager.*'], userNames: ['bert-*'] },
    { eventNames: ['Delete*'], eventSources: ['iam.amazonaws.com'], userNames: ['stratus-*', ''] },
  ];

  test('over the 1,500 fixture records, mutes drop what the old filter dropped (sign-ins a rule matched aside)', () => {
    const events = records.map((r) => fromRecord(r)!);
    let compared = 0;
    let differ = 0;
    for (const exclude of configs) {
      const filter = createEventFilter(exclude);
      const decide = createDecider({ index: signInIndex, mutes: collectMutes({ exclude }) });
      for (const e of events) {
        const decision = decide(e, { region: e.region });
        const posted = e.readOnly !== true && !decision.muted; // the pipeline skips read-only events before decide
        if (decision.matched.length > 0) {
          assert.equal(e.name, 'ConsoleLogin');
          if (posted !== filter(e).post) differ += 1;
          continue;
        }
        assert.equal(posted, filter(e).post, `${e.id} with ${JSON.stringify(exclude)}`);
        compared += 1;
      }
    }
    assert.equal(compared, 5 * 1500 - 5 * 1);
    assert.equal(differ, 3, 'the no-MFA sign-in is posted now, except where exclude.userNames drops its user or exclude.eventSources drops signin');
  });
});

describe('validateMutes', () => {
  test('each problem is one line naming its path', () => {
    const errors = validateMutes([
      { eventName: ['x'], unlessLevel: 'loud' },
      { userNames: [], regions: ['eu-*', 7] },
      null,
      { unlessLevel: 'high' },
    ]);
    assert.deepEqual(errors, [
      "unknown key 'mute[0].eventName' (expected rules, eventNames, eventSources, userNames, accounts, regions, unlessLevel)",
      'mute[0]: give at least one of rules, eventNames, eventSources, userNames, accounts, regions: a mute without one would drop every event',
      'mute[0].unlessLevel: expected one of low, medium, high, critical, found "loud"',
      'mute[1].userNames: expected a non-empty array of globs, found []',
      'mute[1].regions[1]: expected a non-empty string, found 7',
      'mute[2]: expected an object like {"eventNames": ["CreateTags"]}, found null',
      'mute[3]: give at least one of rules, eventNames, eventSources, userNames, accounts, regions: a mute without one would drop every event',
    ]);
    assert.deepEqual(validateMutes({}), ['mute: expected an array of mutes like [{"userNames": ["terraform-*"], "unlessLevel": "high"}], found an object']);
    assert.deepEqual(validateMutes([{ rules: ['noisy-*'], unlessLevel: 'critical' }]), []);
    assert.deepEqual(validateMutes(undefined), []);
  });

  test('an entry with only unlessLevel mutes nothing even if it slips past validation', () => {
    assert.equal(compileMutes([{ name: 'mute[0]', mute: { unlessLevel: 'high' } }])(facts(event())), undefined);
    assert.equal(compileMutes([{ name: 'mute[0]', mute: {} }])(facts(event())), undefined);
  });
});
