import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../src/config/load';
import { describeConfig } from '../src/config/describe';
import type { Config } from '../src/config/types';
import { ConfigError } from '../src/lib/errors';
import { knownSecretsOf, scrubSecrets } from '../src/alerts/scrub';

// Config of the stall alarm and the heartbeat (issue 9 item 5): stallAlertMinutes, heartbeat.url,
// heartbeat.timeoutSeconds, heartbeat.slackDaily, CLOUDTRAIL_SLACK_HEARTBEAT_URL.

const WEBHOOK = 'https://hooks.slack.com/services/T0/B0/SECRETTOKEN123';
const PING = 'https://hc-ping.com/0f1e2d3c-4b5a-6978-8a9b-acbdcedf0011';
const PING_SECRET = '0f1e2d3c-4b5a-6978-8a9b-acbdcedf0011';

function load(file?: object, env: Record<string, string> = {}): Config {
  return loadConfig({
    flags: file === undefined ? {} : { configFile: 'c.json' },
    env: { SLACK_WEBHOOK_URL: WEBHOOK, ...env },
    cwd: '/srv',
    readFile: () => JSON.stringify(file),
  });
}

function refused(file: object | undefined, env: Record<string, string> = {}): string {
  try {
    load(file, env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.doesNotMatch(error.message, /\n/, 'one line');
    assert.ok(!error.message.includes(PING_SECRET), `the ping URL is a secret: ${error.message}`);
    return error.message;
  }
  assert.fail('expected a ConfigError');
}

test('defaults: stall alarm at 30 minutes, heartbeat off, 10 s ping timeout, no daily Slack message', () => {
  const config = load();
  assert.equal(config.stallAlertMinutes, 30);
  assert.deepEqual({ ...config.heartbeat }, { url: undefined, timeoutSeconds: 10, slackDaily: undefined });
});

test('stallAlertMinutes must exceed settleMinutes + the poll interval (a healthy region is that far behind)', () => {
  assert.equal(load({ stallAlertMinutes: 17 }).stallAlertMinutes, 17, '15 + 1 < 17');
  const message = refused({ stallAlertMinutes: 16 });
  assert.match(message, /^config file \/srv\/c\.json: stallAlertMinutes: expected more than settleMinutes \+ the poll interval \(15 \+ 1 = 16 minutes.*\), found 16$/);
  refused({ stallAlertMinutes: 40, settleMinutes: 30, pollIntervalSeconds: 600 });
});

test('an unset stallAlertMinutes follows a long settle window instead of refusing a config that worked before', () => {
  // settle 60 + poll 2 = 62 minutes of healthy lag: the default moves up, 15 minutes above it.
  assert.equal(load({ settleMinutes: 60, pollIntervalSeconds: 120 }).stallAlertMinutes, 77);
  assert.equal(load({ settleMinutes: 14 }).stallAlertMinutes, 30);
});

test('heartbeat keys: url (http/https), timeoutSeconds, slackDaily true/false/"HH:MM" (UTC)', () => {
  const config = load({ heartbeat: { url: PING, timeoutSeconds: 3, slackDaily: '07:30' } });
  assert.deepEqual({ ...config.heartbeat }, { url: PING, timeoutSeconds: 3, slackDaily: '07:30' });
  assert.equal(load({ heartbeat: { slackDaily: true } }).heartbeat.slackDaily, '00:00', 'true: at midnight UTC, the day just ended');
  assert.equal(load({ heartbeat: { slackDaily: false } }).heartbeat.slackDaily, undefined);
  for (const bad of ['7:30', '24:00', '12:60', 'noon', '']) {
    assert.match(refused({ heartbeat: { slackDaily: bad } }), /heartbeat\.slackDaily: expected true, false or a time of day "HH:MM" \(UTC\)/);
  }
  const urlRefused = /heartbeat\.url: expected an http\(s\) URL without a user name or password \(fetch refuses those; ping services put the key in the path\), found a string \(not shown: it is a secret\)$/;
  assert.match(refused({ heartbeat: { url: 'ftp://x.example/abc' } }), urlRefused);
  // fetch refuses a URL with credentials: such a heartbeat would never ping; refused at load, the secret not echoed.
  const withLogin = refused({ heartbeat: { url: `http://user:hbPASSWORD@127.0.0.1:1/${PING_SECRET}` } });
  assert.match(withLogin, urlRefused);
  assert.ok(!withLogin.includes('hbPASSWORD') && !withLogin.includes(PING_SECRET), withLogin);
  assert.match(refused({ heartbeat: { ulr: PING } }), /unknown key 'heartbeat\.ulr' \(did you mean 'heartbeat\.url'\?\)/);
  assert.match(refused({ hearbeat: {} }), /unknown key 'hearbeat' \(did you mean 'heartbeat'\?\)/);
});

test('CLOUDTRAIL_SLACK_HEARTBEAT_URL sets the ping URL and wins over the file; a bad one is refused without echo', () => {
  const other = 'https://hc-ping.com/ffffffff-0000-1111-2222-333333333333';
  assert.equal(load(undefined, { CLOUDTRAIL_SLACK_HEARTBEAT_URL: PING }).heartbeat.url, PING);
  assert.equal(load({ heartbeat: { url: other } }, { CLOUDTRAIL_SLACK_HEARTBEAT_URL: PING }).heartbeat.url, PING);
  const message = refused(undefined, { CLOUDTRAIL_SLACK_HEARTBEAT_URL: `mailto:${PING_SECRET}` });
  const expected = /^CLOUDTRAIL_SLACK_HEARTBEAT_URL: expected an http\(s\) URL without a user name or password \(fetch refuses those; ping services put the key in the path\) \(value not shown: it is a secret\)$/;
  assert.match(message, expected);
  const withLogin = refused(undefined, { CLOUDTRAIL_SLACK_HEARTBEAT_URL: `https://u:hbPASSWORD@hc-ping.com/${PING_SECRET}` });
  assert.match(withLogin, expected);
  assert.ok(!withLogin.includes('hbPASSWORD'), withLogin);
});

test('the ping URL is a secret: masked by the scrubber, described by scheme and host only', () => {
  const config = load({ heartbeat: { url: PING } });
  assert.ok(knownSecretsOf(config).includes(PING));
  const line = scrubSecrets(`GET ${PING} failed; path ${new URL(PING).pathname}`, knownSecretsOf(config));
  assert.ok(!line.includes(PING_SECRET), line);
  const described = JSON.stringify(describeConfig(config));
  assert.ok(!described.includes(PING_SECRET), described);
  assert.match(described, /"heartbeat":\{"url":"https:\/\/hc-ping\.com\/…","timeoutSeconds":10,"slackDaily":"off"\}/);
  assert.match(described, /"stallAlertMinutes":30/);
});
