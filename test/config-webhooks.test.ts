import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Writable } from 'node:stream';
import { knownSecretsOf } from '../src/alerts/scrub';
import type { CliFlags } from '../src/cli/program';
import { loadConfig, type LoadConfigInput } from '../src/config/load';
import { describeConfig } from '../src/config/describe';
import type { Config } from '../src/config/types';
import { ConfigError } from '../src/lib/errors';
import { createLogger } from '../src/logging/logger';

// Issue 8 item 4 (config part): slack.webhooks, routes, mute, rules.*, --rules, digest.*.

const DEFAULT_URL = 'https://hooks.slack.com/services/T0/B0/DEFAULTTOKEN1';
const SECURITY_URL = 'https://hooks.slack.com/services/T0/B1/SECURITYTOKEN2';
// A webhook behind a relay: not a hooks.slack.com URL, so only the by-value scrubbing can hide it.
const RELAY_URL = 'https://relay.example.com/slack/RELAYTOKEN3';
const SECRETS = ['DEFAULTTOKEN1', 'SECURITYTOKEN2', 'RELAYTOKEN3', 'B0/', 'B1/', 'relay.example.com'];
const CWD = '/srv/cloudtrail-slack';

interface Case {
  flags?: CliFlags;
  env?: Record<string, string | undefined>;
  file?: object;
}

function load({ flags = {}, env = {}, file }: Case = {}): Config {
  const input: LoadConfigInput = { flags, env, cwd: CWD };
  if (file !== undefined) {
    input.flags = { configFile: 'c.json', ...flags };
    input.readFile = () => JSON.stringify(file);
  }
  return loadConfig(input);
}

/** Loading fails with a one-line ConfigError matching `pattern`, holding no secret. */
function rejects(c: Case, pattern: RegExp): string {
  let caught: unknown;
  try {
    load(c);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  assert.doesNotMatch(caught.message, /\n/, 'one line');
  for (const secret of SECRETS) assert.ok(!caught.message.includes(secret), `leaks ${secret}: ${caught.message}`);
  return caught.message;
}

const TWO = { slack: { webhooks: { default: DEFAULT_URL, security: SECURITY_URL } } };
const ROUTES = [
  { when: { minLevel: 'high' }, to: ['security'], mention: '<!subteam^S123ABC>', continue: true },
  { when: {}, to: ['default'] },
];

describe('slack.webhooks', () => {
  test('names → URLs; the one named default is also slack.webhookUrl', () => {
    const config = load({ file: TWO });
    assert.deepEqual(config.slack.webhooks, { default: DEFAULT_URL, security: SECURITY_URL });
    assert.equal(config.slack.webhookUrl, DEFAULT_URL);
    assert.ok(Object.isFrozen(config.slack.webhooks));
  });

  test('SLACK_WEBHOOK_URL and slack.webhookUrl are the webhook named default; the variable wins', () => {
    assert.deepEqual(load({ env: { SLACK_WEBHOOK_URL: DEFAULT_URL } }).slack.webhooks, { default: DEFAULT_URL });
    const file = { slack: { webhookUrl: RELAY_URL, webhooks: { security: SECURITY_URL } } };
    assert.deepEqual(load({ file }).slack.webhooks, { default: RELAY_URL, security: SECURITY_URL });
    const both = load({ file, env: { SLACK_WEBHOOK_URL: DEFAULT_URL } });
    assert.deepEqual(both.slack.webhooks, { default: DEFAULT_URL, security: SECURITY_URL });
    assert.equal(both.slack.webhookUrl, DEFAULT_URL);
    const overDefault = load({ file: TWO, env: { SLACK_WEBHOOK_URL: RELAY_URL } });
    assert.equal(overDefault.slack.webhooks.default, RELAY_URL, 'the variable wins over slack.webhooks.default too');
  });

  test('default comes first, then the file order', () => {
    const config = load({ file: { slack: { webhooks: { zeta: SECURITY_URL, alpha: RELAY_URL } } }, env: { SLACK_WEBHOOK_URL: DEFAULT_URL } });
    assert.deepEqual(Object.keys(config.slack.webhooks), ['default', 'zeta', 'alpha']);
  });

  test('at most 16 webhooks (the state records per event which webhooks accepted it, up to 16)', () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`w${i}`, `${DEFAULT_URL}${i}`]));
    assert.equal(Object.keys(load({ file: { slack: { webhooks: { default: DEFAULT_URL, ...many(15) } } } }).slack.webhooks).length, 16);
    rejects({ file: { slack: { webhooks: { default: DEFAULT_URL, ...many(16) } } } }, /^config file .*slack\.webhooks: at most 16 webhooks, found 17/);
  });

  test('without one named default, the routes must end in a catch-all; webhookUrl is then undefined', () => {
    const file = { slack: { webhooks: { security: SECURITY_URL, ops: RELAY_URL } }, routes: [{ when: { minLevel: 'high' }, to: ['security'] }, { to: ['ops'] }] };
    const config = load({ file });
    assert.equal(config.slack.webhookUrl, undefined);
    assert.deepEqual(Object.keys(config.slack.webhooks), ['security', 'ops']);
    rejects(
      { file: { slack: { webhooks: { security: SECURITY_URL } } } },
      /^config file \/srv\/cloudtrail-slack\/c\.json: routes: no webhook is named "default", so the last route must take every event/,
    );
  });

  const refusals: Array<[string, Case, RegExp]> = [
    ['a name with capitals or spaces', { file: { slack: { webhooks: { 'Sec Ops': SECURITY_URL } } } }, /^config file .*c\.json: slack\.webhooks: expected webhook names of lower-case letters, digits, '-' and '_' \(1 to 64, starting with a letter or digit\), found "Sec Ops"$/],
    ['a name of 65 characters', { file: { slack: { webhooks: { ['a'.repeat(65)]: SECURITY_URL } } } }, /slack\.webhooks: expected webhook names .*found "a{57}…"$/],
    ['a URL pasted as the name', { file: { slack: { webhooks: { [SECURITY_URL]: SECURITY_URL } } } }, /slack\.webhooks: expected webhook names .*found a string \(not shown: it may be a secret\)$/],
    ['a URL that is not http(s)', { file: { slack: { webhooks: { security: SECURITY_URL.replace('https', 'ftp') } } } }, /slack\.webhooks\.security: expected an http\(s\) URL, found a string \(not shown: it is a secret\)$/],
    ['a URL that is not a string', { file: { slack: { webhooks: { security: 7 } } } }, /slack\.webhooks\.security: expected an http\(s\) URL, found a number/],
    ['not an object', { file: { slack: { webhooks: [SECURITY_URL] } } }, /slack\.webhooks: expected an object of webhook names to URLs.*found an array/],
    ['default given twice in the file', { file: { slack: { webhookUrl: DEFAULT_URL, webhooks: { default: RELAY_URL } } } }, /^config file .*c\.json: slack\.webhookUrl and slack\.webhooks\.default both set the webhook named "default": keep one$/],
    ['no webhook at all', { env: {} }, /^no Slack webhook: set SLACK_WEBHOOK_URL, or slack\.webhookUrl or slack\.webhooks in the config file \(or use --dry-run\)$/],
    ['an empty webhooks object', { file: { slack: { webhooks: {} } } }, /^no Slack webhook: set SLACK_WEBHOOK_URL/],
  ];
  for (const [name, c, pattern] of refusals) test(`refuses ${name}, in one line`, () => void rejects(c, pattern));
});

describe('routes', () => {
  test('are accepted as given, against the webhook names, and frozen', () => {
    const config = load({ file: { ...TWO, routes: ROUTES } });
    assert.deepEqual(config.routes, ROUTES);
    assert.ok(Object.isFrozen(config.routes[0]?.when));
    assert.deepEqual(load({ env: { SLACK_WEBHOOK_URL: DEFAULT_URL } }).routes, [], 'default: none (everything to default)');
  });

  test('an unknown webhook name is one line naming the route and the names there are', () => {
    rejects(
      { file: { ...TWO, routes: [{ when: {}, to: ['secuirty'] }] } },
      /^config file \/srv\/cloudtrail-slack\/c\.json: routes\[0\]\.to\[0\]: expected a webhook name from slack\.webhooks \(default, security\), found "secuirty"$/,
    );
  });

  test('a webhook named only in SLACK_WEBHOOK_URL counts as default', () => {
    const file = { slack: { webhooks: { security: SECURITY_URL } }, routes: ROUTES };
    assert.deepEqual(load({ file, env: { SLACK_WEBHOOK_URL: DEFAULT_URL } }).routes, ROUTES);
  });

  test('every problem of the list is reported, on one line', () => {
    const message = rejects(
      { file: { ...TWO, routes: [{ when: { minLevel: 'severe' }, to: [] }, { to: ['default'], mention: '@here', colour: 1 }] } },
      /routes\[0\]\.when\.minLevel: .*; routes\[0\]\.to: .*; /,
    );
    assert.match(message, /unknown key 'routes\[1\]\.colour'/);
    assert.match(message, /routes\[1\]\.mention: expected Slack mention tokens/);
  });

  test('not a list', () => void rejects({ file: { ...TWO, routes: { to: ['default'] } } }, /c\.json: routes: expected an array of routes/));

  test('with --dry-run and no webhook, routes may name default (the printed output stands in for it), nothing else', () => {
    assert.deepEqual(load({ file: { routes: [{ to: ['default'] }] }, flags: { dryRun: true } }).routes, [{ to: ['default'] }]);
    assert.deepEqual(load({ flags: { dryRun: true } }).slack.webhooks, {});
    rejects({ file: { routes: [{ to: ['security'] }] }, flags: { dryRun: true } }, /routes\[0\]\.to\[0\]: expected a webhook name from slack\.webhooks \(default\), found "security"/);
  });
});

describe('mute', () => {
  test('is accepted as given; default none', () => {
    const mute = [{ userNames: ['terraform-*'], unlessLevel: 'high' }, { eventNames: ['CreateTags'] }];
    assert.deepEqual(load({ file: { ...TWO, mute } }).mute, mute);
    assert.deepEqual(load({ file: TWO }).mute, []);
  });

  test('refusals are one line naming the entry', () => {
    rejects({ file: { ...TWO, mute: [{ eventNames: ['CreateTags'] }, { unlessLevel: 'high' }] } }, /^config file .*c\.json: mute\[1\]: give at least one of rules, eventNames/);
    rejects({ file: { ...TWO, mute: [{ eventName: ['x'] }] } }, /unknown key 'mute\[0\]\.eventName'/);
    rejects({ file: { ...TWO, mute: 'CreateTags' } }, /c\.json: mute: expected an array of mutes/);
  });

  test('routes and mute problems are reported together', () => {
    const message = rejects({ file: { ...TWO, routes: [{ to: ['nope'] }], mute: [{}] } }, /routes\[0\]\.to\[0\].*; mute\[0\]/);
    assert.doesNotMatch(message, /\n/);
  });
});

describe('rules.paths, rules.builtin and --rules', () => {
  const env = { SLACK_WEBHOOK_URL: DEFAULT_URL };
  test('default: no paths, the built-in pack on', () => {
    assert.deepEqual(load({ env }).rules, { paths: [], builtin: true });
  });

  test('paths resolve against the working folder; --rules adds to the file\'s, in order, each once', () => {
    const file = { rules: { paths: ['rules/mine', '/etc/cts/rules.yml'], builtin: false } };
    assert.deepEqual(load({ env, file }).rules, { paths: [`${CWD}/rules/mine`, '/etc/cts/rules.yml'], builtin: false });
    const flags: CliFlags = { rules: ['extra.yml', 'rules/mine'] };
    assert.deepEqual(load({ env, file, flags }).rules.paths, [`${CWD}/rules/mine`, '/etc/cts/rules.yml', `${CWD}/extra.yml`]);
    assert.deepEqual(load({ env, flags }).rules, { paths: [`${CWD}/extra.yml`, `${CWD}/rules/mine`], builtin: true });
  });

  test('refusals name the key or the flag', () => {
    rejects({ env, file: { rules: { paths: 'rules/' } } }, /c\.json: rules\.paths: expected an array of file or folder paths, found "rules\/"/);
    rejects({ env, file: { rules: { paths: [''] } } }, /rules\.paths\[0\]: expected a file or folder path, found ""/);
    rejects({ env, file: { rules: { builtin: 'no' } } }, /rules\.builtin: expected true or false, found "no"/);
    rejects({ env, file: { rules: { path: [] } } }, /unknown key 'rules\.path' \(did you mean 'rules\.paths'\?\)/);
    rejects({ env, flags: { rules: ['ok.yml', ' '] } }, /^--rules: expected a rule file or folder path, found " "$/);
  });
});

describe('digest', () => {
  const env = { SLACK_WEBHOOK_URL: DEFAULT_URL };
  test('defaults: on, from 5 waiting events, repeats within 10 minutes collapse', () => {
    assert.deepEqual(load({ env }).digest, { enabled: true, minEvents: 5, repeatWindowMinutes: 10 });
  });

  test('each key is read from the file; the ends of the ranges are accepted', () => {
    assert.deepEqual(load({ env, file: { digest: { enabled: false, minEvents: 2, repeatWindowMinutes: 0 } } }).digest, {
      enabled: false,
      minEvents: 2,
      repeatWindowMinutes: 0,
    });
    assert.deepEqual(load({ env, file: { digest: { minEvents: 1000, repeatWindowMinutes: 1440 } } }).digest, {
      enabled: true,
      minEvents: 1000,
      repeatWindowMinutes: 1440,
    });
  });

  test('refusals name the key and the range', () => {
    for (const value of [1, 1001, 2.5, '5']) {
      rejects({ env, file: { digest: { minEvents: value } } }, /c\.json: digest\.minEvents: expected a whole number of events from 2 to 1000 \(.+\), found /);
    }
    for (const value of [-1, 1441]) {
      rejects({ env, file: { digest: { repeatWindowMinutes: value } } }, /digest\.repeatWindowMinutes: expected a number of minutes from 0 to 1440 \(.+\), found /);
    }
    rejects({ env, file: { digest: { enabled: 1 } } }, /digest\.enabled: expected true or false, found 1/);
    rejects({ env, file: { digest: { minEvent: 3 } } }, /unknown key 'digest\.minEvent' \(did you mean 'digest\.minEvents'\?\)/);
  });
});

describe('webhook URLs are secrets', () => {
  const config = () =>
    load({ file: { slack: { webhooks: { security: SECURITY_URL, relay: RELAY_URL } }, routes: ROUTES }, env: { SLACK_WEBHOOK_URL: DEFAULT_URL } });

  test('describeConfig lists the webhook names, never a URL or a part of one', () => {
    const summary = describeConfig(config());
    assert.deepEqual(summary.slack, { configured: true, webhooks: ['default', 'security', 'relay'] });
    const text = JSON.stringify(summary);
    for (const secret of [...SECRETS, 'hooks.slack.com']) assert.ok(!text.includes(secret), `${secret} in ${text}`);
    assert.deepEqual(summary.rules, { paths: [], builtin: true });
    assert.deepEqual(summary.digest, { enabled: true, minEvents: 5, repeatWindowMinutes: 10 });
    assert.equal(summary.routes, 2);
    assert.equal(summary.mute, 0);
  });

  test('describeConfig without any webhook (--dry-run)', () => {
    assert.deepEqual(describeConfig(load({ flags: { dryRun: true } })).slack, { configured: false, webhooks: [] });
  });

  test('knownSecretsOf holds every webhook URL, so the logger masks each by value', () => {
    const secrets = knownSecretsOf(config());
    for (const url of [DEFAULT_URL, SECURITY_URL, RELAY_URL]) assert.ok(secrets.includes(url), url);
    let out = '';
    const sink = new Writable({ write: (chunk, _enc, done) => void ((out += String(chunk)), done()) });
    const log = createLogger({ level: 'info', destination: sink, secrets });
    log.warn({ err: new Error(`POST ${RELAY_URL} failed`) }, `retrying ${RELAY_URL}`);
    assert.ok(out.includes('retrying'), out);
    assert.ok(!out.includes('RELAYTOKEN3') && !out.includes('relay.example.com/slack'), out);
  });

  test('the logger censors slack.webhooks when a whole config is logged', () => {
    let out = '';
    const sink = new Writable({ write: (chunk, _enc, done) => void ((out += String(chunk)), done()) });
    createLogger({ level: 'info', destination: sink }).info({ slack: { webhooks: { relay: RELAY_URL } } }, 'config');
    assert.ok(!out.includes('RELAYTOKEN3'), out);
  });

  test('no error message echoes a URL, wherever it is misplaced', () => {
    const misplaced: Case[] = [
      { file: { slack: { webhooks: { security: `x${SECURITY_URL}` } } } },
      { file: { ...TWO, routes: [{ to: [SECURITY_URL] }] } },
      { file: { ...TWO, routes: [{ when: { accounts: [RELAY_URL] }, to: ['default'], mention: RELAY_URL }] } },
      { file: { ...TWO, mute: [{ userNames: RELAY_URL }] } },
      // A URL configured as a webhook is never shown, even where it is merely the wrong type.
      { file: { slack: { webhooks: { relay: RELAY_URL } }, routes: [{ to: ['relay'] }], rules: { paths: RELAY_URL } } },
      { file: { slack: { webhooks: { relay: RELAY_URL } }, routes: [{ to: ['relay'] }], digest: { minEvents: RELAY_URL } } },
      { file: { slack: { webhookUrl: RELAY_URL }, regions: [`${RELAY_URL}`] } },
      { file: { slack: { webhooks: { [RELAY_URL]: RELAY_URL } } } },
    ];
    for (const c of misplaced) assert.doesNotThrow(() => rejects(c, /./), JSON.stringify(c));
  });
});
