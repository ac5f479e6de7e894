import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromLookupEvent, fromRecord } from '../src/events/parse';
import type { CloudTrailRecord, TrailEvent } from '../src/events/types';
import { createDecider, type RuleIndex } from '../src/rules/decide';
import type { Level } from '../src/rules/decision';
import { collectMutes } from '../src/rules/mute';
import type { RouteConfig } from '../src/rules/routes';

// synthetic: a write event
function event(parts: Partial<CloudTrailRecord> = {}): TrailEvent {
  return fromRecord({ eventID: 'e-1', eventName: 'StopLogging', eventSource: 'cloudtrail.amazonaws.com', readOnly: false, ...parts })!;
}

type Rule = { id: string; title: string; level: Level; tags: string[] };
const rule = (id: string, level: Level, title = id, tags: string[] = []): Rule => ({ id, title, level, tags });

/** A fake of the Sigma index: the given rules for every record, and a log of the records it saw. */
function fakeIndex(rules: Rule[]): RuleIndex & { seen: unknown[] } {
  const seen: unknown[] = [];
  return { seen, match: (record) => (seen.push(record), rules) };
}

const US = { region: 'us-east-1' };

describe('level and matched rules', () => {
  test('level is the highest matched level; matched is sorted highest first, then by title', () => {
    const index = fakeIndex([rule('b', 'medium', 'Beta'), rule('c', 'critical', 'Zeta'), rule('a', 'medium', 'Alpha'), rule('d', 'low')]);
    const decision = createDecider({ index })(event(), US);
    assert.equal(decision.level, 'critical');
    assert.deepEqual(decision.matched.map((hit) => hit.id), ['c', 'a', 'b', 'd']);
    assert.deepEqual(decision.matched[0], { id: 'c', title: 'Zeta', level: 'critical', tags: [] });
  });

  test('no match: informational, routed to default', () => {
    assert.deepEqual(createDecider({ index: fakeIndex([]) })(event(), US), {
      level: 'informational', matched: [], muted: false, routes: [{ webhook: 'default' }],
    });
  });

  test('rules see the raw record; the index result is copied, not shared', () => {
    const tags = ['attack.t1562'];
    const index = fakeIndex([rule('a', 'high', 'A', tags)]);
    const e = event();
    const decision = createDecider({ index })(e, US);
    assert.deepEqual(index.seen, [e.record]);
    assert.strictEqual(index.seen[0], e.record);
    assert.notStrictEqual(decision.matched[0]!.tags, tags);
  });
});

describe('events the rules cannot read are never lost', () => {
  test('without a parsed record (bad CloudTrailEvent JSON): no rule is asked, the event is still routed', () => {
    const index = fakeIndex([rule('a', 'critical')]);
    const broken = fromLookupEvent({ EventId: 'x', EventName: 'StopLogging', EventSource: 'cloudtrail.amazonaws.com', CloudTrailEvent: '{bad' }, 'us-east-1');
    const routes: RouteConfig[] = [{ when: { eventSources: ['cloudtrail.*'] }, to: ['security'] }];
    const decision = createDecider({ index, routes })(broken, US);
    assert.deepEqual(index.seen, []);
    assert.deepEqual(decision, { level: 'informational', matched: [], muted: false, routes: [{ webhook: 'security' }] });
  });

  test('an index that throws: reported, and the event routed as matching no rule', () => {
    const errors: Array<[unknown, string]> = [];
    const index: RuleIndex = { match: () => { throw new Error('boom'); } };
    const decide = createDecider({ index, onRuleError: (error, e) => errors.push([error, e.id]) });
    assert.deepEqual(decide(event(), US).routes, [{ webhook: 'default' }]);
    assert.equal(errors.length, 1);
    assert.equal((errors[0]![0] as Error).message, 'boom');
    assert.equal(errors[0]![1], 'e-1');
    assert.deepEqual(createDecider({ index })(event(), US).routes, [{ webhook: 'default' }], 'no reporter: still routed');
  });
});

describe('mutes and routes together', () => {
  const routes: RouteConfig[] = [
    { when: { minLevel: 'high' }, to: ['security'], mention: '<!subteam^S123>', continue: true },
    { when: { rules: ['attack.*'] }, to: ['security', 'audit'] },
    { when: {}, to: ['default'] },
  ];

  test('a muted event gets no routes and names its mute', () => {
    const decide = createDecider({ index: fakeIndex([rule('a', 'medium')]), routes, mutes: collectMutes({ mute: [{ eventNames: ['Stop*'], unlessLevel: 'high' }] }) });
    assert.deepEqual(decide(event(), US), {
      level: 'medium', matched: [rule('a', 'medium')], muted: true, muteReason: 'mute[0]', routes: [],
    });
  });

  test('unlessLevel reached: not muted, routed with the mention, each webhook once', () => {
    const index = fakeIndex([rule('a', 'high', 'A', ['attack.defense-evasion'])]);
    const decide = createDecider({ index, routes, mutes: collectMutes({ mute: [{ eventNames: ['Stop*'], unlessLevel: 'high' }] }) });
    const decision = decide(event(), US);
    assert.equal(decision.muted, false);
    assert.equal(decision.muteReason, undefined);
    assert.deepEqual(decision.routes, [{ webhook: 'security', mention: '<!subteam^S123>' }, { webhook: 'audit' }]);
  });

  test('accounts: the target account when known, else the record recipientAccountId', () => {
    const byAccount: RouteConfig[] = [{ when: { accounts: ['111122223333'] }, to: ['prod'] }];
    const decide = createDecider({ index: fakeIndex([]), routes: byAccount });
    const e = event({ recipientAccountId: '111122223333' });
    assert.deepEqual(decide(e, US).routes, [{ webhook: 'prod' }]);
    assert.deepEqual(decide(e, { account: '999988887777', region: 'us-east-1' }).routes, [{ webhook: 'default' }]);
    assert.deepEqual(decide(event({ recipientAccountId: '999988887777' }), { account: '111122223333', region: 'us-east-1' }).routes, [{ webhook: 'prod' }]);
  });

  test('regions: the target region, not the record awsRegion', () => {
    const decide = createDecider({ index: fakeIndex([]), routes: [{ when: { regions: ['eu-*'] }, to: ['europe'] }] });
    const e = event({ awsRegion: 'us-east-1' });
    assert.deepEqual(decide(e, { region: 'eu-west-1' }).routes, [{ webhook: 'europe' }]);
    assert.deepEqual(decide(e, US).routes, [{ webhook: 'default' }]);
  });

  test('the same event decided twice gives equal decisions', () => {
    const decide = createDecider({ index: fakeIndex([rule('a', 'high', 'A', ['attack.x'])]), routes, mutes: collectMutes({}) });
    assert.deepEqual(decide(event(), US), decide(event(), US));
  });
});

describe('accounts by name (issue 10)', () => {
  const names = { nameOf: (id: string) => ({ '111122223333': 'prod-payments', '444455556666': 'dev-sandbox' })[id] };

  test('an account glob matches the account name too, for the target account or the record one', () => {
    const routes: RouteConfig[] = [{ when: { accounts: ['prod-*'] }, to: ['prod'] }];
    const decide = createDecider({ index: fakeIndex([]), routes, accounts: names });
    assert.deepEqual(decide(event({ recipientAccountId: '999988887777' }), { account: '111122223333', region: 'us-east-1' }).routes, [{ webhook: 'prod' }]);
    assert.deepEqual(decide(event({ recipientAccountId: '111122223333' }), US).routes, [{ webhook: 'prod' }]);
    assert.deepEqual(decide(event({ recipientAccountId: '444455556666' }), US).routes, [{ webhook: 'default' }]);
    assert.deepEqual(decide(event({ recipientAccountId: '444455556666' }), { account: '444455556666', region: 'us-east-1' }).routes, [{ webhook: 'default' }]);
  });

  test('the target account when the record names none', () => {
    const decide = createDecider({ index: fakeIndex([]), routes: [{ when: { accounts: ['111122223333'] }, to: ['prod'] }] });
    assert.deepEqual(decide(event({}), { account: '111122223333', region: 'us-east-1' }).routes, [{ webhook: 'prod' }]);
  });

  test('a mute by account name mutes that account only', () => {
    const decide = createDecider({ index: fakeIndex([]), mutes: collectMutes({ mute: [{ accounts: ['dev-*'] }] }), accounts: names });
    assert.equal(decide(event({}), { account: '444455556666', region: 'us-east-1' }).muted, true);
    assert.equal(decide(event({}), { account: '111122223333', region: 'us-east-1' }).muted, false);
  });
});
