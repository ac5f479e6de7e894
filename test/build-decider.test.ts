import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/load';
import type { Config } from '../src/config/types';
import { fromRecord } from '../src/events/parse';
import type { CloudTrailRecord, TrailEvent } from '../src/events/types';
import { buildDecider } from '../src/rules/build-decider';
import { loadRuleSet } from '../src/rules/load-rule-set';
import type { RuleIndex } from '../src/rules/sigma';
import { ROOT } from './support/cli-process';

const SAMPLES = join(ROOT, 'test', 'fixtures', 'rule-pack');

function sample(stem: string, kind: 'positive' | 'negative' = 'positive'): TrailEvent {
  const data: unknown = JSON.parse(readFileSync(join(SAMPLES, `${stem}.${kind}.json`), 'utf8'));
  return fromRecord((Array.isArray(data) ? data[0] : data) as CloudTrailRecord)!;
}

function record(fields: CloudTrailRecord): TrailEvent {
  return fromRecord({ eventID: `id-${String(fields.eventName)}`, eventTime: '2026-11-30T10:00:00Z', awsRegion: 'eu-west-1', ...fields })!;
}

/** The config as loaded from a file, so the routes and mutes are the validated ones. */
function configWith(file: object): Config {
  return loadConfig({ flags: { configFile: 'c.json' }, env: {}, cwd: '/srv', readFile: () => JSON.stringify(file) });
}

const WEBHOOKS = { default: 'https://hooks.slack.com/services/T0/B0/X', security: 'https://hooks.slack.com/services/T0/B1/Y' };

describe('buildDecider', () => {
  let index: RuleIndex;
  before(async () => {
    index = (await loadRuleSet({ paths: [], builtin: true })).index;
  });

  test('routes with the issue\'s example: high and critical to security with the mention, everything to default', () => {
    const config = configWith({
      slack: { webhooks: WEBHOOKS },
      routes: [
        { when: { minLevel: 'high' }, to: ['security'], mention: '<!subteam^S123ABC>', continue: true },
        { when: {}, to: ['default'] },
      ],
    });
    const decide = buildDecider(config, index);
    const stop = decide(sample('cloudtrail-logging-stopped-or-trail-deleted'), { region: 'us-east-1' });
    assert.equal(stop.level, 'critical');
    assert.equal(stop.muted, false);
    assert.deepEqual(stop.routes, [{ webhook: 'security', mention: '<!subteam^S123ABC>' }, { webhook: 'default' }]);
    const tags = decide(record({ eventSource: 'ec2.amazonaws.com', eventName: 'CreateTags' }), { region: 'eu-west-1' });
    assert.deepEqual([tags.level, tags.matched, tags.routes], ['informational', [], [{ webhook: 'default' }]]);
  });

  test('mutes: config mute entries, then exclude.* translated, then the ConsoleLogin default', () => {
    const config = configWith({
      slack: { webhooks: WEBHOOKS },
      mute: [{ eventNames: ['CreateTags'] }],
      exclude: { eventSources: ['ssm.amazonaws.com'] },
    });
    const decide = buildDecider(config, index);
    const target = { region: 'eu-west-1' };
    const muted = decide(record({ eventSource: 'ec2.amazonaws.com', eventName: 'CreateTags' }), target);
    assert.deepEqual([muted.muted, muted.muteReason, muted.routes], [true, 'mute[0]', []]);
    const excluded = decide(record({ eventSource: 'ssm.amazonaws.com', eventName: 'PutParameter' }), target);
    assert.equal(excluded.muteReason, 'exclude.eventSources "ssm.amazonaws.com"');
    const signIn = decide(sample('signin-console-login-without-mfa', 'negative'), target);
    assert.deepEqual([signIn.muted, signIn.muteReason], [true, 'built-in mute "ConsoleLogin"']);
    const risky = decide(sample('signin-console-login-without-mfa'), target);
    assert.deepEqual([risky.muted, risky.level], [false, 'medium'], 'a sign-in without MFA comes through');
  });

  test('with no routes, every unmuted event goes to default', () => {
    const decide = buildDecider(configWith({ slack: { webhooks: WEBHOOKS } }), index);
    assert.deepEqual(decide(sample('iam-user-created'), { region: 'us-east-1' }).routes, [{ webhook: 'default' }]);
  });

  test('a rule index that throws: onRuleError hears it, and the event is still routed', () => {
    const seen: string[] = [];
    const broken: RuleIndex = {
      size: 1,
      match: () => {
        throw new Error('boom');
      },
    };
    const decide = buildDecider(configWith({ slack: { webhooks: WEBHOOKS } }), broken, (error, event) => seen.push(`${(error as Error).message} ${event.name}`));
    const decision = decide(record({ eventName: 'CreateTags' }), { region: 'eu-west-1' });
    assert.deepEqual([decision.matched, decision.routes], [[], [{ webhook: 'default' }]]);
    assert.deepEqual(seen, ['boom CreateTags']);
  });
});
