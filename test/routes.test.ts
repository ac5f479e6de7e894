import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromRecord } from '../src/events/parse';
import type { Level, RuleHit } from '../src/rules/decision';
import type { EventFacts } from '../src/rules/match-facts';
import { compileRoutes, isSlackMention, validateRoutes, type RouteConfig } from '../src/rules/routes';

// synthetic: the facts the decider hands to routes
function facts(parts: { level?: Level; hits?: RuleHit[]; source?: string; account?: string; region?: string } = {}): EventFacts {
  const event = fromRecord({ eventID: 'e-1', eventName: 'CreateTags', eventSource: parts.source ?? 'ec2.amazonaws.com' })!;
  const hits = parts.hits ?? [];
  return { event, account: parts.account, region: parts.region ?? 'us-east-1', hits, level: parts.level ?? hits[0]?.level ?? 'informational' };
}

function hit(id: string, level: Level, tags: string[] = []): RuleHit {
  return { id, title: `title of ${id}`, level, tags };
}

const ISSUE_EXAMPLE: RouteConfig[] = [
  { when: { minLevel: 'high' }, to: ['security'], mention: '<!subteam^S123>', continue: true },
  { when: {}, to: ['default'] },
];

describe('the issue example', () => {
  const route = compileRoutes(ISSUE_EXAMPLE);

  test('high and critical go to security with the mention, and to default without it', () => {
    for (const level of ['high', 'critical'] as const) {
      assert.deepEqual(route(facts({ level })), [{ webhook: 'security', mention: '<!subteam^S123>' }, { webhook: 'default' }], level);
    }
  });

  test('informational, low and medium go to default only', () => {
    for (const level of ['informational', 'low', 'medium'] as const) {
      assert.deepEqual(route(facts({ level })), [{ webhook: 'default' }], level);
    }
  });

  test('is valid with webhooks default and security', () => {
    assert.deepEqual(validateRoutes(ISSUE_EXAMPLE, ['default', 'security']), []);
  });
});

describe('route order', () => {
  test('the first route that holds decides: later ones are not tried', () => {
    const route = compileRoutes([
      { when: { eventSources: ['ec2.*'] }, to: ['infra'] },
      { when: {}, to: ['everything'] },
    ]);
    assert.deepEqual(route(facts()), [{ webhook: 'infra' }]);
    assert.deepEqual(route(facts({ source: 's3.amazonaws.com' })), [{ webhook: 'everything' }]);
  });

  test('continue: true lets later routes take the event too', () => {
    const route = compileRoutes([
      { when: { eventSources: ['ec2.*'] }, to: ['infra'], continue: true },
      { when: { regions: ['eu-*'] }, to: ['europe'] },
      { when: {}, to: ['last'] },
    ]);
    assert.deepEqual(route(facts({ region: 'eu-west-1' })), [{ webhook: 'infra' }, { webhook: 'europe' }]);
    assert.deepEqual(route(facts({ region: 'us-east-1' })), [{ webhook: 'infra' }, { webhook: 'last' }]);
  });

  test('an event no route takes goes to default; a continued route alone still counts as taking it', () => {
    const route = compileRoutes([
      { when: { minLevel: 'critical' }, to: ['pager'], continue: true },
      { when: { eventSources: ['iam.*'] }, to: ['iam'] },
    ]);
    assert.deepEqual(route(facts()), [{ webhook: 'default' }]);
    assert.deepEqual(route(facts({ level: 'critical' })), [{ webhook: 'pager' }]);
    assert.deepEqual(compileRoutes([])(facts({ level: 'critical' })), [{ webhook: 'default' }]);
  });

  test('a webhook named twice gets the event once, with the mention of its first appearance', () => {
    const route = compileRoutes([
      { when: {}, to: ['security', 'security'], mention: '<@U111>', continue: true },
      { when: {}, to: ['default', 'security'], mention: '<@U222>' },
    ]);
    assert.deepEqual(route(facts()), [{ webhook: 'security', mention: '<@U111>' }, { webhook: 'default', mention: '<@U222>' }]);
    const quiet = compileRoutes([
      { when: {}, to: ['security'], continue: true },
      { when: {}, to: ['security'], mention: '<@U222>' },
    ]);
    assert.deepEqual(quiet(facts()), [{ webhook: 'security' }]);
  });
});

describe('when keys', () => {
  const only = (when: RouteConfig['when']) => {
    const route = compileRoutes([{ when, to: ['hit'] }]);
    return (f: EventFacts) => route(f)[0]?.webhook === 'hit';
  };

  test('rules: globs over the matched rules ids or tags, case-insensitive', () => {
    const byId = only({ rules: ['aws-cloudtrail-*'] });
    assert.equal(byId(facts({ hits: [hit('AWS-CloudTrail-Stop', 'high')] })), true);
    assert.equal(byId(facts({ hits: [hit('aws-iam-user', 'low')] })), false);
    assert.equal(byId(facts()), false, 'no matched rule');
    const byTag = only({ rules: ['attack.t1562*'] });
    assert.equal(byTag(facts({ hits: [hit('x', 'low', ['attack.defense-evasion', 'attack.t1562.008'])] })), true);
    assert.equal(byTag(facts({ hits: [hit('x', 'low', ['attack.persistence'])] })), false);
  });

  test('minLevel: the event level is at least the given one', () => {
    const medium = only({ minLevel: 'medium' });
    assert.deepEqual(
      (['informational', 'low', 'medium', 'high', 'critical'] as const).map((level) => medium(facts({ level }))),
      [false, false, true, true, true],
    );
  });

  test('accounts, regions and eventSources: globs over the event account, region and source', () => {
    assert.equal(only({ accounts: ['1111*'] })(facts({ account: '111122223333' })), true);
    assert.equal(only({ accounts: ['1111*'] })(facts({ account: '999922223333' })), false);
    assert.equal(only({ accounts: ['*'] })(facts({ account: undefined })), false, 'an unknown account matches no glob');
    assert.equal(only({ regions: ['US-EAST-1', 'eu-*'] })(facts({ region: 'eu-central-1' })), true);
    assert.equal(only({ regions: ['eu-*'] })(facts({ region: 'us-east-1' })), false);
    assert.equal(only({ eventSources: ['IAM.amazonaws.com'] })(facts({ source: 'iam.amazonaws.com' })), true);
    assert.equal(only({ eventSources: ['iam.amazonaws.com'] })(facts({ source: 'iam.amazonaws.com.evil' })), false);
  });

  test('every given key must hold; an empty when always holds', () => {
    const both = only({ minLevel: 'high', regions: ['eu-*'] });
    assert.equal(both(facts({ level: 'high', region: 'eu-west-1' })), true);
    assert.equal(both(facts({ level: 'high', region: 'us-east-1' })), false);
    assert.equal(both(facts({ level: 'low', region: 'eu-west-1' })), false);
    assert.equal(only({})(facts()), true);
    assert.equal(only(undefined)(facts()), true);
  });
});

describe('mention tokens', () => {
  test('only Slack mention tokens are accepted', () => {
    for (const ok of ['<@U123ABC>', '<@W0123>', '<!subteam^S123>', '<!subteam^S0ABC|@sec-team.oncall>', '<!here>', '<!channel>', '<@U1AB> <!subteam^S2CD>']) {
      assert.equal(isSlackMention(ok), true, ok);
    }
    const bad = ['', '@here', '<!everyone>', '<@u123>', '<@U123', '<!subteam^S1|sec>', '<!subteam^S1|@a b>', '<@U1AB>  <!here>',
      ' <!here>', '<!here> ', '<!here>\n', '<https://evil.example|click>', '<!date^1^{date}|x>', '<#C123>', '<!here><!channel>'];
    for (const text of bad) assert.equal(isSlackMention(text), false, JSON.stringify(text));
  });
});

describe('validateRoutes', () => {
  const hooks = ['default', 'security'];
  const errorsOf = (routes: unknown, names: string[] = hooks) => validateRoutes(routes, names);

  test('each problem is one line naming its path', () => {
    const errors = errorsOf([
      { when: { minLevel: 'hgh', rules: [], regions: 'eu-west-1', wen: 1 }, to: ['secops', 'default'], mention: '@oncall', continue: 'yes' },
      { when: { minLevel: 'low' }, to: [] },
      'everything',
      { when: [], to: ['security'], priority: 1 },
      { when: {}, to: ['default'] },
    ]);
    assert.deepEqual(errors, [
      "unknown key 'routes[0].when.wen' (expected rules, minLevel, accounts, regions, eventSources)",
      'routes[0].when.rules: expected a non-empty array of rule id or tag globs, found []',
      'routes[0].when.minLevel: expected one of low, medium, high, critical, found "hgh"',
      'routes[0].when.regions: expected a non-empty array of region globs, found "eu-west-1"',
      'routes[0].to[0]: expected a webhook name from slack.webhooks (default, security), found "secops"',
      'routes[0].mention: expected Slack mention tokens such as <@U123ABC>, <!subteam^S123ABC>, <!subteam^S123ABC|@team>, <!here> or <!channel>, separated by single spaces, found "@oncall"',
      'routes[0].continue: expected true or false, found "yes"',
      'routes[1].to: expected a non-empty array of webhook names, found []',
      'routes[2]: expected an object like {"when": {"minLevel": "high"}, "to": ["security"]}, found "everything"',
      "unknown key 'routes[3].priority' (expected when, to, mention, continue)",
      'routes[3].when: expected an object with rules, minLevel, accounts, regions, eventSources (all optional), found []',
    ]);
    for (const error of errors) assert.doesNotMatch(error, /\n/);
  });

  test('not a list', () => {
    assert.deepEqual(errorsOf({ when: {} }), [
      'routes: expected an array of routes like [{"when": {"minLevel": "high"}, "to": ["security"]}], found an object',
    ]);
  });

  test('without a default webhook the list must end with a catch-all', () => {
    const noDefault = ['security', 'audit'];
    const message =
      'routes: no webhook is named "default", so the last route must take every event: end the list with {"when": {}, "to": [...]} without "continue"';
    assert.deepEqual(errorsOf([{ when: { minLevel: 'high' }, to: ['security'] }], noDefault), [message]);
    assert.deepEqual(errorsOf([{ when: {}, to: ['audit'], continue: true }], noDefault), [message]);
    assert.deepEqual(errorsOf(undefined, noDefault), [message]);
    assert.deepEqual(errorsOf([{ when: { minLevel: 'high' }, to: ['security'] }, { when: {}, to: ['audit'] }], noDefault), []);
    assert.deepEqual(errorsOf([{ to: ['audit'] }], noDefault), [], 'no when: a catch-all too');
    assert.deepEqual(errorsOf(undefined), [], 'no routes: everything goes to default');
  });

  test('routes after a catch-all are never reached', () => {
    const late = { when: { minLevel: 'high' }, to: ['security'] };
    assert.deepEqual(errorsOf([late, { to: ['default'] }, late, late]), [
      'routes[2]: never reached: routes[1] takes every event (its "when" is empty and it has no "continue")',
    ]);
    assert.deepEqual(errorsOf([{ when: {}, to: ['security'], continue: true }, late, { when: {}, to: ['default'] }]), []);
  });

  test('a webhook URL put where a name belongs is not echoed', () => {
    const [error] = errorsOf([{ when: {}, to: ['https://hooks.slack.com/services/T0/B0/secret'] }]);
    assert.equal(error, 'routes[0].to[0]: expected a webhook name from slack.webhooks (default, security), found a string (not shown: it may be a secret)');
    assert.doesNotMatch(errorsOf([{ when: {}, to: ['x'], mention: 'https://example.com/hook?k=s3cr3t' }]).join('\n'), /s3cr3t/);
  });
});
