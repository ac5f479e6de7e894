import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CliFlags } from '../src/cli/program';
import { loadConfig, type LoadConfigInput } from '../src/config/load';
import { describeConfig } from '../src/config/describe';
import { BOUNDS } from '../src/config/bounds';
import { DEFAULTS } from '../src/config/schema';
import { MAX_TIMER_MS } from '../src/lib/timers';
import { EVENT_HISTORY_RETENTION_MS } from '../src/cloudtrail/retention';
import { DEFAULT_REGIONS, type Config } from '../src/config/types';
import { ConfigError } from '../src/lib/errors';

const WEBHOOK = 'https://hooks.slack.com/services/T0/B0/SECRETTOKEN123';
const SMTP = 'smtp://alerts:hunter2@mail.example.com:587';
const SECRETS = ['SECRETTOKEN123', 'hunter2', 'B0/'];
const CWD = '/srv/cloudtrail-slack';

interface Case {
  flags?: CliFlags;
  env?: Record<string, string | undefined>;
  /** The config file's text; given → `--config c.json`. */
  file?: string | object;
}

function load({ flags = {}, env = { SLACK_WEBHOOK_URL: WEBHOOK }, file }: Case = {}): Config {
  const input: LoadConfigInput = { flags, env, cwd: CWD };
  if (file !== undefined) {
    input.flags = { configFile: 'c.json', ...flags };
    input.readFile = (path) => {
      assert.equal(path, `${CWD}/c.json`);
      return typeof file === 'string' ? file : JSON.stringify(file);
    };
  }
  return loadConfig(input);
}

/** Asserts loading fails with a one-line ConfigError that matches `pattern` and holds no secret. */
function rejects(c: Case, pattern: RegExp): string {
  let caught: unknown;
  try {
    load(c);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  const { message } = caught;
  assert.match(message, pattern);
  assert.doesNotMatch(message, /\n/, 'one line');
  for (const secret of SECRETS) assert.ok(!message.includes(secret), `message leaks ${secret}: ${message}`);
  return message;
}

describe('loadConfig defaults', () => {
  test('match the legacy tool where it had one, DEFAULTS elsewhere', () => {
    const config = load();
    assert.equal(config.profile, undefined, 'SDK default chain');
    assert.equal(config.stateProfile, 'default', "the Ruby original's -c default");
    assert.deepEqual(config.regions, [...DEFAULT_REGIONS]);
    assert.equal(config.stateDir, `${CWD}/state`);
    assert.equal(config.initialLookbackMinutes, 20, 'the original looked back 20 minutes');
    assert.equal(config.pollIntervalSeconds, 60);
    assert.equal(config.settleMinutes, 15);
    assert.equal(config.settleScanIntervalSeconds, 300);
    assert.equal(config.lookupRequestsPerSecond, 1);
    assert.equal(config.slackMessagesPerSecond, 1);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.shutdownTimeoutSeconds, 10);
    assert.equal(config.alertAfterMinutes, 15);
    assert.equal(config.alertCooldownMinutes, 60);
    assert.equal(config.once, false);
    assert.equal(config.dryRun, false);
    assert.equal(config.daemonize, false);
    assert.equal(config.logFile, undefined);
    assert.equal(config.pidFile, undefined);
    assert.equal(config.cloudtrailEndpoint, undefined);
    assert.deepEqual(config.email, { smtpUrl: undefined, to: [], from: undefined });
    assert.deepEqual(config.exclude, { eventNames: [], eventSources: [], userNames: [] });
  });

  test('default regions cover the 14 regions the original hard-coded in 2017', () => {
    const legacy = ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'ca-central-1', 'eu-west-1', 'eu-west-2',
      'eu-central-1', 'ap-south-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-southeast-1', 'ap-southeast-2', 'sa-east-1'];
    for (const region of legacy) assert.ok(DEFAULTS.regions.includes(region), region);
  });

  test('returns a deeply frozen object', () => {
    const config = load({ file: { regions: ['eu-west-1'], exclude: { eventNames: ['ConsoleLogin'] } } });
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.regions));
    assert.ok(Object.isFrozen(config.slack));
    assert.ok(Object.isFrozen(config.exclude.eventNames));
    assert.throws(() => (config.regions as string[]).push('us-east-1'), TypeError);
    assert.notEqual(load().regions, DEFAULT_REGIONS, 'a copy: freezing it leaves the shared default alone');
  });
});

describe('loadConfig precedence: defaults < file < env < flags', () => {
  const file = {
    profile: 'file-profile',
    regions: ['eu-west-1'],
    stateDir: 'file-state',
    pollIntervalSeconds: 30,
    logLevel: 'warn',
    logFile: 'file.log',
    pidFile: 'file.pid',
    shutdownTimeoutSeconds: 5,
    cloudtrailEndpoint: 'http://127.0.0.1:1111',
    slack: { webhookUrl: 'https://hooks.slack.com/services/T1/B1/FILETOKEN' },
    email: { smtpUrl: 'smtp://file.example.com', to: ['file@example.com'], from: 'from-file@example.com' },
  };
  const env = {
    SLACK_WEBHOOK_URL: WEBHOOK,
    SMTP_URL: SMTP,
    ALERT_EMAIL_TO: 'a@example.com, b@example.com',
    ALERT_EMAIL_FROM: 'env@example.com',
    AWS_PROFILE: 'env-profile',
  };
  const flags: CliFlags = {
    credsProfile: 'flag-profile',
    regions: ['ap-south-1'],
    stateDir: '/abs/state',
    pollIntervalSeconds: 5,
    logLevel: 'trace',
    logFile: 'flag.log',
    pidFile: 'flag.pid',
    shutdownTimeoutSeconds: 3,
    endpoint: 'http://127.0.0.1:2222',
    once: true,
    dryRun: true,
    daemonize: true,
  };

  const rows: Array<[string, (c: Config) => unknown, unknown, unknown, unknown]> = [
    // key, read, file wins over default, env wins over file, flag wins over both
    ['profile', (c) => c.profile, 'file-profile', 'file-profile', 'flag-profile'],
    ['stateProfile', (c) => c.stateProfile, 'file-profile', 'file-profile', 'flag-profile'],
    ['regions', (c) => c.regions, ['eu-west-1'], ['eu-west-1'], ['ap-south-1']],
    ['stateDir', (c) => c.stateDir, `${CWD}/file-state`, `${CWD}/file-state`, '/abs/state'],
    ['pollIntervalSeconds', (c) => c.pollIntervalSeconds, 30, 30, 5],
    ['logLevel', (c) => c.logLevel, 'warn', 'warn', 'trace'],
    ['logFile', (c) => c.logFile, `${CWD}/file.log`, `${CWD}/file.log`, `${CWD}/flag.log`],
    ['pidFile', (c) => c.pidFile, `${CWD}/file.pid`, `${CWD}/file.pid`, `${CWD}/flag.pid`],
    ['shutdownTimeoutSeconds', (c) => c.shutdownTimeoutSeconds, 5, 5, 3],
    ['cloudtrailEndpoint', (c) => c.cloudtrailEndpoint, 'http://127.0.0.1:1111', 'http://127.0.0.1:1111', 'http://127.0.0.1:2222'],
    ['slack.webhookUrl', (c) => c.slack.webhookUrl, file.slack.webhookUrl, WEBHOOK, WEBHOOK],
    ['email.smtpUrl', (c) => c.email.smtpUrl, file.email.smtpUrl, SMTP, SMTP],
    ['email.to', (c) => c.email.to, ['file@example.com'], ['a@example.com', 'b@example.com'], ['a@example.com', 'b@example.com']],
    ['email.from', (c) => c.email.from, 'from-file@example.com', 'env@example.com', 'env@example.com'],
    ['once', (c) => c.once, false, false, true],
    ['dryRun', (c) => c.dryRun, false, false, true],
    ['daemonize', (c) => c.daemonize, false, false, true],
  ];
  for (const [key, read, fromFile, fromEnv, fromFlags] of rows) {
    test(key, () => {
      assert.deepEqual(read(load({ file, env: {} })), fromFile, 'file over defaults');
      assert.deepEqual(read(load({ file, env })), fromEnv, 'env over file');
      assert.deepEqual(read(load({ file, env, flags })), fromFlags, 'flags over env and file');
    });
  }

  test('an absent or undefined flag never overrides the file', () => {
    const config = load({ file, env: {}, flags: { regions: undefined, once: undefined, logLevel: undefined } });
    assert.deepEqual(config.regions, ['eu-west-1']);
    assert.equal(config.logLevel, 'warn');
  });

  test('empty environment variables count as unset', () => {
    const config = load({ file, env: { SLACK_WEBHOOK_URL: '', SMTP_URL: '  ', ALERT_EMAIL_TO: '', AWS_PROFILE: '' } });
    assert.equal(config.slack.webhookUrl, file.slack.webhookUrl);
    assert.equal(config.email.smtpUrl, file.email.smtpUrl);
    assert.deepEqual(config.email.to, ['file@example.com']);
  });

  test('the state profile falls back to AWS_PROFILE, but the credentials profile does not', () => {
    const config = load({ env: { SLACK_WEBHOOK_URL: WEBHOOK, AWS_PROFILE: 'env-profile' } });
    assert.equal(config.profile, undefined, 'the SDK reads AWS_PROFILE itself');
    assert.equal(config.stateProfile, 'env-profile');
    assert.equal(load({ env: { SLACK_WEBHOOK_URL: WEBHOOK, AWS_PROFILE: 'env-profile' }, file: { profile: 'p' } }).stateProfile, 'p');
  });

  test('--debug means log level debug, over the file; an explicit --log-level wins', () => {
    assert.equal(load({ file: { logLevel: 'warn' }, flags: { debug: true } }).logLevel, 'debug');
    assert.equal(load({ flags: { debug: true, logLevel: 'trace' } }).logLevel, 'trace');
    assert.equal(load({ flags: { debug: false } }).logLevel, 'info');
  });

  test('the config file path comes from --config, else CLOUDTRAIL_SLACK_CONFIG', () => {
    const seen: string[] = [];
    const readFile = (path: string) => {
      seen.push(path);
      return '{"pollIntervalSeconds": 7}';
    };
    const env = { SLACK_WEBHOOK_URL: WEBHOOK, CLOUDTRAIL_SLACK_CONFIG: '/etc/env.json' };
    assert.equal(loadConfig({ flags: {}, env, readFile, cwd: CWD }).pollIntervalSeconds, 7);
    loadConfig({ flags: { configFile: 'flag.json' }, env, readFile, cwd: CWD });
    assert.deepEqual(seen, ['/etc/env.json', `${CWD}/flag.json`]);
    assert.equal(loadConfig({ flags: {}, env: { SLACK_WEBHOOK_URL: WEBHOOK }, readFile, cwd: CWD }).pollIntervalSeconds, 60);
    assert.equal(seen.length, 2, 'no file read without a path');
  });

  test('regions are deduplicated, order kept', () => {
    assert.deepEqual(load({ file: { regions: ['eu-west-1', 'us-east-1', 'eu-west-1'] } }).regions, ['eu-west-1', 'us-east-1']);
  });

  test('email.to may be one comma-separated string; a byte order mark is ignored', () => {
    const config = load({ file: `\uFEFF${JSON.stringify({ email: { smtpUrl: SMTP, to: 'a@example.com, Ops <b@example.com>' } })}` });
    assert.deepEqual(config.email.to, ['a@example.com', 'Ops <b@example.com>']);
  });

  test('webhook is optional with --dry-run', () => {
    assert.equal(load({ env: {}, flags: { dryRun: true } }).slack.webhookUrl, undefined);
  });
});

describe('loadConfig errors: one line, naming the key, flag or variable', () => {
  const cases: Array<[string, Case, RegExp]> = [
    ['unknown top-level key, with a suggestion', { file: { regoins: ['us-east-1'] } }, /^config file \/srv\/cloudtrail-slack\/c\.json: unknown key 'regoins' \(did you mean 'regions'\?\)$/],
    ['unknown nested key, with a suggestion', { file: { slack: { webhookURL: WEBHOOK } } }, /unknown key 'slack\.webhookURL' \(did you mean 'slack\.webhookUrl'\?\)/],
    ['unknown key, nothing close', { file: { colour: 'red' } }, /unknown key 'colour'$/],
    ['every unknown key', { file: { exclude: { eventName: [] }, zzz: 1 } }, /unknown key 'zzz'.*unknown key 'exclude\.eventName' \(did you mean 'exclude\.eventNames'\?\)|unknown key 'exclude\.eventName'.*unknown key 'zzz'/],
    ['not JSON, with its position', { file: '{\n  "regions": ["us-east-1",]\n}' }, /c\.json: not valid JSON at line 2, column 27 \(unexpected "\]"\)$/],
    ['trailing text', { file: '{}\n}' }, /c\.json: not valid JSON at line 2, column 1 \(unexpected non-whitespace character after JSON\)$/],
    ['unterminated string', { file: '{"a": "b' }, /c\.json: not valid JSON at line 1, column 9 \(unterminated string\)$/],
    ['empty file', { file: '' }, /c\.json: not valid JSON at line 1, column 1 \(unexpected end of JSON input\)/],
    ['not an object', { file: '["us-east-1"]' }, /c\.json: expected a JSON object, found an array/],
    ['null', { file: 'null' }, /c\.json: expected a JSON object, found null/],
    ['wrong type', { file: { pollIntervalSeconds: '60' } }, /pollIntervalSeconds: expected a number of seconds from 1 to 86400 \(.*\), found "60"/],
    ['not positive', { file: { pollIntervalSeconds: 0 } }, /pollIntervalSeconds: expected a number of seconds from 1 to 86400 \(.*\), found 0/],
    ['bad region in file', { file: { regions: ['us-east-1', 'Frankfurt'] } }, /regions\[1\]: expected a region name like us-east-1, found "Frankfurt"/],
    ['empty region list', { file: { regions: [] } }, /regions: expected at least one region/],
    ['settleMinutes too small', { file: { settleMinutes: 0.5 } }, /settleMinutes: expected a number of minutes from 1 to 1440.*found 0\.5/],
    ['settleMinutes too big', { file: { settleMinutes: 1441 } }, /settleMinutes: .*found 1441/],
    ['lookback beyond 90 days', { file: { initialLookbackMinutes: 90 * 24 * 60 + 1 } }, /initialLookbackMinutes: .*90 days.*found 129601/],
    ['LookupEvents rate above the AWS limit', { file: { lookupRequestsPerSecond: 3 } }, /lookupRequestsPerSecond: .*AWS allows 2 LookupEvents requests per second per region.*found 3/],
    ['Slack rate above its limit', { file: { slackMessagesPerSecond: 2 } }, /slackMessagesPerSecond: .*Slack allows about 1 message per second.*found 2/],
    ['bad log level in file', { file: { logLevel: 'verbose' } }, /logLevel: expected one of fatal, error, warn, info, debug, trace, found "verbose"/],
    ['bad exclusion', { file: { exclude: { eventNames: ['ConsoleLogin', 7] } } }, /exclude\.eventNames\[1\]: expected a non-empty string, found 7/],
    ['bad email.to', { file: { email: { smtpUrl: SMTP, to: ['ops'] } } }, /email\.to\[0\]: expected an email address.*found "ops"/],
    ['bad email.from', { file: { email: { from: 'nobody' } } }, /email\.from: expected an email address.*found "nobody"/],
    ['profile with a slash', { file: { profile: '../etc' } }, /profile: expected an AWS profile name without '\/'/],
    ['bad endpoint', { file: { cloudtrailEndpoint: 'localhost:4566' } }, /cloudtrailEndpoint: expected an http\(s\) URL/],
    ['file webhook not http', { file: { slack: { webhookUrl: 'hooks.slack.com/services/T0/B0/SECRETTOKEN123' } } }, /slack\.webhookUrl: expected an http\(s\) URL, found a string \(not shown/],
    ['file webhook not a string', { file: { slack: { webhookUrl: 42 } } }, /slack\.webhookUrl: expected an http\(s\) URL, found a number/],
    ['slack given as a string', { file: { slack: WEBHOOK } }, /slack: expected an object.*found a string \(not shown/],
    ['file smtp not smtp', { file: { email: { smtpUrl: 'http://alerts:hunter2@mail.example.com' } } }, /email\.smtpUrl: expected an smtp:\/\/ or smtps:\/\/ URL/],
    ['SLACK_WEBHOOK_URL not a URL', { env: { SLACK_WEBHOOK_URL: 'hooks.slack.com/services/T0/B0/SECRETTOKEN123' } }, /^SLACK_WEBHOOK_URL is not an http\(s\) URL/],
    ['SLACK_WEBHOOK_URL wrong scheme', { env: { SLACK_WEBHOOK_URL: WEBHOOK.replace('https', 'ftp') } }, /^SLACK_WEBHOOK_URL is not an http\(s\) URL/],
    ['SMTP_URL not smtp', { env: { SLACK_WEBHOOK_URL: WEBHOOK, SMTP_URL: SMTP.replace('smtp', 'imap') } }, /^SMTP_URL is not an smtp:\/\/ or smtps:\/\/ URL/],
    ['SMTP_URL unparseable', { env: { SLACK_WEBHOOK_URL: WEBHOOK, SMTP_URL: 'alerts:hunter2 at mail' } }, /^SMTP_URL is not/],
    ['ALERT_EMAIL_TO bad', { env: { SLACK_WEBHOOK_URL: WEBHOOK, ALERT_EMAIL_TO: 'a@example.com,,ops' } }, /^ALERT_EMAIL_TO: expected comma-separated email addresses.*found "ops"/],
    ['ALERT_EMAIL_FROM bad', { env: { SLACK_WEBHOOK_URL: WEBHOOK, ALERT_EMAIL_FROM: 'ops at example' } }, /^ALERT_EMAIL_FROM: expected an email address/],
    ['AWS_ENDPOINT_URL_CLOUDTRAIL bad', { env: { SLACK_WEBHOOK_URL: WEBHOOK, AWS_ENDPOINT_URL_CLOUDTRAIL: 'notaurl' } }, /^AWS_ENDPOINT_URL_CLOUDTRAIL: expected an http\(s\) URL/],
    ['AWS_PROFILE with a slash', { env: { SLACK_WEBHOOK_URL: WEBHOOK, AWS_PROFILE: 'a/b' } }, /^AWS_PROFILE: expected a profile name without/],
    ['no webhook', { env: {} }, /^no Slack webhook: set SLACK_WEBHOOK_URL, or slack\.webhookUrl or slack\.webhooks in the config file \(or use --dry-run\)$/],
    ['smtp without recipient', { env: { SLACK_WEBHOOK_URL: WEBHOOK, SMTP_URL: SMTP } }, /server but no recipient: set ALERT_EMAIL_TO or email\.to/],
    ['--regions invalid', { flags: { regions: ['us-east-1', 'moon-1'] } }, /^--regions: expected region names like us-east-1, found "moon-1"$/],
    ['--regions empty', { flags: { regions: [] } }, /^--regions: expected at least one region/],
    ['--poll-interval', { flags: { pollIntervalSeconds: -1 } }, /^--poll-interval: expected a number of seconds from 1 to 86400 \(.*\), found -1$/],
    ['--shutdown-timeout', { flags: { shutdownTimeoutSeconds: Number.NaN } }, /^--shutdown-timeout: expected a number of seconds from 0\.1 to 600 \(.*\), found NaN$/],
    ['--log-level', { flags: { logLevel: 'loud' as never } }, /^--log-level: expected one of fatal, .*found "loud"$/],
    ['--endpoint', { flags: { endpoint: 'tcp://x' } }, /^--endpoint: expected an http\(s\) URL, found "tcp:\/\/x"$/],
    ['--creds-profile', { flags: { credsProfile: 'a/b' } }, /^--creds-profile: expected a profile name without/],
    ['--state-dir empty', { flags: { stateDir: ' ' } }, /^--state-dir: expected a path/],
  ];
  for (const [name, c, pattern] of cases) test(name, () => void rejects(c, pattern));

  test('a missing config file is named with where its path came from', () => {
    const enoent = () => {
      throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    };
    assert.throws(
      () => loadConfig({ flags: { configFile: 'nope.json' }, env: {}, readFile: enoent, cwd: CWD }),
      (error: Error) => error instanceof ConfigError && error.message === `config file ${CWD}/nope.json (from --config): not found`,
    );
    assert.throws(
      () => loadConfig({ flags: {}, env: { CLOUDTRAIL_SLACK_CONFIG: '/etc/x.json' }, readFile: enoent, cwd: CWD }),
      /^ConfigError: config file \/etc\/x\.json \(from CLOUDTRAIL_SLACK_CONFIG\): not found$/,
    );
  });

  test('reads a real file with the default reader', () => {
    assert.throws(
      () => loadConfig({ flags: { configFile: 'test' }, env: {}, cwd: process.cwd() }),
      /config file .*\/test \(from --config\): is a folder, not a file/,
    );
  });

  test('file errors come before env errors, and the JSON text is never quoted back', () => {
    const file = `{"slack": {"webhookUrl": "${WEBHOOK}" "x": 1}}`;
    const message = rejects({ file, env: { SLACK_WEBHOOK_URL: 'bad' } }, /not valid JSON at line 1, column \d+/);
    assert.doesNotMatch(message, /hooks\.slack\.com/);
  });

  test('several problems in the file are reported together, still on one line', () => {
    const message = rejects({ file: { pollIntervalSeconds: -1, regions: ['x'], slack: { webhookUrl: 'nope' } } }, /; .*; /);
    assert.match(message, /regions\[0\]/);
    assert.match(message, /pollIntervalSeconds/);
    assert.match(message, /slack\.webhookUrl/);
  });
});

describe('every duration and rate setting has bounds the runtime can honour', () => {
  // [config key, flag or variable (if any), too small, too big, a value inside]
  const settings: Array<[keyof typeof BOUNDS, string | undefined, number, number, number]> = [
    ['pollIntervalSeconds', '--poll-interval', 0.5, 86_401, 86_400],
    ['settleMinutes', undefined, 0.5, 1441, 1440],
    ['initialLookbackMinutes', undefined, -1, 129_601, 129_600],
    ['settleScanIntervalSeconds', undefined, 0.5, 86_401, 86_400],
    ['lookupRequestsPerSecond', undefined, 0.001, 2.5, 0.01],
    ['slackMessagesPerSecond', undefined, 0.001, 1.5, 0.01],
    ['shutdownTimeoutSeconds', '--shutdown-timeout', 0.05, 601, 600],
    ['alertAfterMinutes', undefined, 0.5, 1441, 1440],
    ['alertCooldownMinutes', undefined, 0.5, 10_081, 10_080],
    ['digest.minEvents', undefined, 1, 1001, 1000],
    ['digest.repeatWindowMinutes', undefined, -0.5, 1441, 1440],
    ['trailMonitor.intervalMinutes', undefined, 0.5, 1441, 1440],
    ['stallAlertMinutes', undefined, 4, 10_081, 10_080],
    ['heartbeat.timeoutSeconds', undefined, 0.5, 121, 120],
  ];
  /** `digest.minEvents` → {digest: {minEvents: value}}: the config file's shape of a dotted key. */
  const fileWith = (key: string, value: unknown): object =>
    key.split('.').reduceRight<unknown>((inner, part) => ({ [part]: inner }), value) as object;
  const read = (config: Config, key: string): unknown =>
    key.split('.').reduce<unknown>((value, part) => (value as Record<string, unknown>)[part], config);
  const flagKey: Record<string, keyof CliFlags> = { '--poll-interval': 'pollIntervalSeconds', '--shutdown-timeout': 'shutdownTimeoutSeconds' };

  test('every bounded key is listed here; every duration but the lookback (a window, not a wait) fits one Node timer', () => {
    assert.deepEqual(settings.map(([key]) => key).sort(), Object.keys(BOUNDS).sort());
    assert.equal(BOUNDS.initialLookbackMinutes.max * 60_000, EVENT_HISTORY_RETENTION_MS, 'the lookback ends at the retention');
    for (const [key, bound] of Object.entries(BOUNDS)) {
      if (key === 'initialLookbackMinutes') continue;
      if (bound.unit === 'events') continue; // a count, not a duration
      const ms = bound.unit === 'minutes' ? bound.max * 60_000 : bound.unit === 'seconds' ? bound.max * 1000 : 1000 / bound.min;
      assert.ok(ms <= MAX_TIMER_MS, `${bound.unit} up to ${bound.max}: ${ms} ms`);
      assert.ok(bound.why.length > 10, 'the reason is given');
    }
  });

  for (const [key, flag, low, high, inside] of settings) {
    test(`${key}: the config key refuses ${low} and ${high}, naming the key and the range; accepts ${inside}`, () => {
      const bound = BOUNDS[key];
      for (const value of [low, high, 1e12, Infinity]) {
        // Infinity cannot be written in JSON: the file holds null then, which is the wrong type (still refused).
        const expected = `expected a ${'integer' in bound ? 'whole ' : ''}number of ${bound.unit} from ${bound.min} to ${bound.max} \\(`;
        const message = rejects({ file: fileWith(key, value) }, new RegExp(`c\\.json: ${key.replace('.', '\\.')}: ${expected}`));
        assert.ok(message.length < 400, message);
      }
      assert.equal(read(load({ file: fileWith(key, inside) }), key), inside);
    });
    if (flag === undefined) continue;
    test(`${flag}: refuses ${low} and ${high} when built by a caller, naming the flag and the range`, () => {
      for (const value of [low, high]) {
        rejects({ flags: { [flagKey[flag] as string]: value } }, new RegExp(`^${flag}: expected a number of ${BOUNDS[key].unit} from ${BOUNDS[key].min} to ${BOUNDS[key].max} \\(.*\\), found ${String(value).replace('.', '\\.')}$`));
      }
    });
  }

  test('the issue\'s examples: a 30-day poll interval, 1e12 in the file, a 3,000,000 s shutdown timeout', () => {
    rejects({ flags: { pollIntervalSeconds: 2_592_000 } }, /^--poll-interval: expected a number of seconds from 1 to 86400 .*found 2592000$/);
    rejects({ file: '{"pollIntervalSeconds": 1e12}' }, /pollIntervalSeconds: expected a number of seconds from 1 to 86400 .*found 1000000000000$/);
    rejects({ flags: { shutdownTimeoutSeconds: 3_000_000 } }, /^--shutdown-timeout: expected a number of seconds from 0\.1 to 600 .*found 3000000$/);
  });

  test('CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT (set by ecosystem.config.js) is bounded too, and named when wrong', () => {
    const env = (value: string) => ({ SLACK_WEBHOOK_URL: WEBHOOK, CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT: value });
    assert.equal(load({ env: env('25') }).shutdownTimeoutSeconds, 25);
    assert.equal(load({ env: env('25'), flags: { shutdownTimeoutSeconds: 3 } }).shutdownTimeoutSeconds, 3, 'a flag wins');
    for (const value of ['3000000', '0', '1e3', '10s', '-5']) {
      rejects({ env: env(value) }, new RegExp(`^CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT: expected a number of seconds from 0\\.1 to 600 \\(.*\\), found "${value}"$`));
    }
  });
});

describe('secrets', () => {
  test('never appear in an error message, wherever they are misplaced', () => {
    const misplaced: Case[] = [
      { file: { regions: [WEBHOOK] } },
      { file: { profile: SMTP } },
      { file: { email: { to: [SMTP] } } },
      { file: { email: SMTP } },
      { file: { exclude: { eventNames: WEBHOOK } } },
      { file: { logFile: 5, email: { smtpUrl: SMTP.replace('smtp:', 'smtpx:') } } },
      { file: `{"slack":{"webhookUrl":"${WEBHOOK}"},` },
      { file: `{"email":{"smtpUrl":"${SMTP}"}} trailing` },
      { file: `{"email":{"smtpUrl":"${SMTP}`},
      { env: { SLACK_WEBHOOK_URL: `x${WEBHOOK}`, SMTP_URL: SMTP } },
      { env: { SLACK_WEBHOOK_URL: WEBHOOK, SMTP_URL: `${SMTP}\u0000`.replace('smtp', 'x') } },
      { env: { SLACK_WEBHOOK_URL: WEBHOOK, SMTP_URL: SMTP, ALERT_EMAIL_TO: WEBHOOK } },
      { flags: { endpoint: SMTP } },
    ];
    for (const c of misplaced) assert.doesNotThrow(() => rejects(c, /./), JSON.stringify(c));
  });

  test('never appear in describeConfig', () => {
    const config = load({
      env: { SLACK_WEBHOOK_URL: WEBHOOK, SMTP_URL: SMTP, ALERT_EMAIL_TO: 'ops@example.com' },
      flags: { endpoint: 'http://user:hunter2@127.0.0.1:4566/x?token=SECRETTOKEN123' },
    });
    const summary = describeConfig(config);
    const text = JSON.stringify(summary);
    for (const secret of [...SECRETS, 'alerts']) assert.ok(!text.includes(secret), `${secret} in ${text}`);
    assert.deepEqual(summary.slack, { configured: true, webhooks: ['default'] });
    assert.deepEqual(summary.email, {
      configured: true,
      server: 'smtp://…@mail.example.com:587',
      to: ['ops@example.com'],
      from: undefined,
    });
    assert.deepEqual(summary.regions, [...DEFAULT_REGIONS]);
    assert.equal(summary.stateDir, `${CWD}/state`);
    assert.equal(summary.pollIntervalSeconds, 60);
  });

  test('describeConfig says when Slack and email are not configured', () => {
    const summary = describeConfig(load({ env: {}, flags: { dryRun: true } }));
    assert.deepEqual(summary.slack, { configured: false, webhooks: [] });
    assert.equal((summary.email as { configured: boolean }).configured, false);
  });

  test('a webhook on another host is not described either: its name only', () => {
    const summary = describeConfig(load({ env: { SLACK_WEBHOOK_URL: 'http://127.0.0.1:9999/SECRETTOKEN123' } }));
    assert.deepEqual(summary.slack, { configured: true, webhooks: ['default'] });
    assert.ok(!JSON.stringify(summary).includes('9999'));
  });
});
