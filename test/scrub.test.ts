import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAlerter, type AlertMail } from '../src/alerts/alerter';
import { createScrubber, knownSecretsOf, scrubSecrets } from '../src/alerts/scrub';
import { loadConfig } from '../src/config/load';
import { describeConfig } from '../src/config/describe';
import { createLogger } from '../src/logging/logger';
import { ManualClock } from './support/manual-clock';

const cases: { name: string; input: string; secret: string; expected: string }[] = [
  {
    name: 'masks the path of a Slack webhook URL',
    input: 'POST https://hooks.slack.com/services/T0/B0/SECRETTOKEN123 failed: 404 no_service',
    secret: 'SECRETTOKEN123',
    expected: 'POST https://hooks.slack.com/*** failed: 404 no_service',
  },
  {
    name: 'masks a GovSlack webhook URL inside quotes',
    input: 'url="https://hooks.slack-gov.com/services/T1/B1/abcDEF"',
    secret: 'abcDEF',
    expected: 'url="https://hooks.slack-gov.com/***"',
  },
  {
    name: 'masks the password of URL userinfo and keeps the user',
    input: 'connect smtp://alerts:hunter2@mail.example.com:587 refused',
    secret: 'hunter2',
    expected: 'connect smtp://alerts:***@mail.example.com:587 refused',
  },
  {
    name: "masks a password containing '@' up to the last '@' of the authority",
    input: 'smtps://me:p@ss@w0rd@mail.example.com/x',
    secret: 'p@ss@w0rd',
    expected: 'smtps://me:***@mail.example.com/x',
  },
  {
    name: 'masks a lone userinfo token',
    input: 'git fetch https://ghp_abcdefgh12345678@github.com/o/r',
    secret: 'ghp_abcdefgh12345678',
    expected: 'git fetch https://***@github.com/o/r',
  },
  {
    name: 'masks an AKIA access key id but keeps its first and last 4',
    input: 'The security token for AKIAIOSFODNN7EXAMPLE is invalid',
    secret: 'AKIAIOSFODNN7EXAMPLE',
    expected: 'The security token for AKIA************MPLE is invalid',
  },
  {
    name: 'masks an ASIA access key id',
    input: 'key=ASIAY34FZKBOKMUTVV7A,',
    secret: 'ASIAY34FZKBOKMUTVV7A',
    expected: 'key=ASIA************VV7A,',
  },
  {
    name: 'masks the value after aws_secret_access_key',
    input: 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion = x',
    secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    expected: 'aws_secret_access_key = ***\nregion = x',
  },
  {
    name: 'masks a JSON SecretAccessKey',
    input: '{"AccessKeyId":"x","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}',
    secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    expected: '{"AccessKeyId":"x","SecretAccessKey":"***"}',
  },
  {
    name: 'masks AWS_SESSION_TOKEN values',
    input: 'AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ',
    secret: 'IQoJb3JpZ2luX2VjEJr',
    expected: 'AWS_SESSION_TOKEN=***',
  },
  {
    name: 'masks xoxb- and xoxp- tokens',
    input: 'tokens xoxb-1234-5678-abcdEFGH and xoxp-99-88-zz',
    secret: 'abcdEFGH',
    expected: 'tokens xoxb-*** and xoxp-***',
  },
  {
    name: 'masks bearer tokens',
    input: 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig',
    secret: 'eyJhbGciOiJIUzI1NiJ9',
    expected: 'Authorization: Bearer ***',
  },
];

for (const { name, input, secret, expected } of cases) {
  test(name, () => {
    const out = scrubSecrets(input);
    assert.equal(out, expected);
    assert.ok(!out.includes(secret), `still contains ${secret}`);
  });
}

test('leaves ordinary text alone', () => {
  const text =
    'AccessDenied: User arn:aws:iam::123456789012:user/alice is not authorized to perform cloudtrail:LookupEvents ' +
    'on https://cloudtrail.us-east-1.amazonaws.com/ (request id 5f1c…); see https://docs.aws.amazon.com/x?y=1#z';
  assert.equal(scrubSecrets(text), text);
});

test('masks known secrets literally, wherever they appear', () => {
  const out = scrubSecrets('auth failed for alerts with hunter2; again hunter2', ['hunter2', undefined]);
  assert.equal(out, 'auth failed for alerts with ***; again ***');
});

test('ignores known secrets shorter than 4 characters', () => {
  assert.equal(scrubSecrets('a cab', ['a', '']), 'a cab');
});

// ---- the forms the field report found unmasked, and masking by value (issue 7, item 14) ----------------------

const missed: { name: string; input: string; secret: string; expected: string }[] = [
  {
    name: 'masks the whole aws_secret_access_key value, not only up to its first odd character',
    input: 'aws_secret_access_key = wJalrX!tnFEMI$K7MDENG#bPxRfiCY&EXAMPLEKEY region = x',
    secret: 'tnFEMI',
    expected: 'aws_secret_access_key = *** region = x',
  },
  {
    name: 'masks a quoted secret value with spaces to its closing quote',
    input: `aws_secret_access_key = "wJalr tnFEMI/K7MDENG" next`,
    secret: 'tnFEMI',
    expected: 'aws_secret_access_key = "***" next',
  },
  {
    name: 'masks a webhook URL without its scheme',
    input: 'posting to hooks.slack.com/services/T0AAA/B0BBB/SECRETTOKEN123 failed',
    secret: 'SECRETTOKEN123',
    expected: 'posting to hooks.slack.com/*** failed',
  },
  {
    name: 'masks a URL-encoded webhook URL',
    input: 'GET /redirect?to=https%3A%2F%2Fhooks.slack.com%2Fservices%2FT0%2FB0%2FSECRETTOKEN123&x=1',
    secret: 'SECRETTOKEN123',
    expected: 'GET /redirect?to=https%3A%2F%2Fhooks.slack.com/***&x=1',
  },
  {
    name: 'masks a JSON-escaped webhook URL',
    input: '{"url":"https:\\/\\/hooks.slack.com\\/services\\/T0\\/B0\\/SECRETTOKEN123","n":1}',
    secret: 'SECRETTOKEN123',
    expected: '{"url":"https:\\/\\/hooks.slack.com/***","n":1}',
  },
  { name: 'masks password: …', input: 'smtp login with password: hunter2!x ok', secret: 'hunter2', expected: 'smtp login with password: *** ok' },
  { name: 'masks password=… to the next space, whatever it holds', input: 'PASSWORD=hunter2;x&y,z next', secret: 'hunter2', expected: 'PASSWORD=*** next' },
  { name: 'masks a JSON "password"', input: '{"user":"a","password":"hu\\"nter2","x":1}', secret: 'nter2', expected: '{"user":"a","password":"***","x":1}' },
  { name: "masks pass='…' with spaces", input: "pass='open sesame' done", secret: 'sesame', expected: "pass='***' done" },
  { name: 'masks client_secret and api_key values', input: 'client_secret=abc123xyz api_key: k-999-zz', secret: 'abc123xyz', expected: 'client_secret=*** api_key: ***' },
  { name: 'masks Basic authorization', input: 'Authorization: Basic YWxlcnRzOmh1bnRlcjI=', secret: 'YWxlcnRzOmh1bnRlcjI', expected: 'Authorization: Basic ***' },
];

for (const { name, input, secret, expected } of missed) {
  test(name, () => {
    const out = scrubSecrets(input);
    assert.equal(out, expected);
    assert.ok(!out.includes(secret), `still contains ${secret}`);
  });
}

test('leaves words that merely contain a secret name alone', () => {
  const text = 'nextToken=abc passes tokens; password reset; the session token included in the request is expired';
  assert.equal(scrubSecrets(text), text);
});

const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCY=EXAMPLEKEY';
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ==';
const SMTP_URL = 'smtps://alerts%40example.com:p%40ss%20w%2Frd%25x@mail.example.com:465';
const WEBHOOK_URL = 'https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx';

test('masks every secret the process knows by value, raw, URL-encoded and JSON-escaped, in any text', () => {
  const scrub = createScrubber(knownSecretsOf({ slack: { webhookUrl: WEBHOOK_URL }, email: { smtpUrl: SMTP_URL }, awsSecrets: [AWS_SECRET, SESSION_TOKEN] }));
  const forms = [
    AWS_SECRET,
    encodeURIComponent(AWS_SECRET),
    JSON.stringify(AWS_SECRET).slice(1, -1),
    SESSION_TOKEN,
    encodeURIComponent(SESSION_TOKEN).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()), // lower-case escapes
    'p@ss w/rd%x', // the SMTP password as the server sees it
    'p%40ss%20w%2Frd%25x', // as written in the URL
    'alerts%40example.com:p%40ss%20w%2Frd%25x', // the whole userinfo
    Buffer.from('\0alerts@example.com\0p@ss w/rd%x').toString('base64'), // SMTP AUTH PLAIN
    'abcdefghijklmnopqrstuvwx', // the webhook's token alone
    '/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx',
    encodeURIComponent(WEBHOOK_URL),
  ];
  for (const form of forms) {
    const out = scrub(`before ${form} after`);
    assert.ok(!out.includes(form), `${form} → ${out}`);
    assert.match(out, /^before .*\*\*\*.* after$/);
  }
  assert.ok(!scrub(`x ${AWS_SECRET.slice(0, 20)}`).includes('***'), 'a part of a secret is not the secret');
});

test('the logger masks known secrets by value in messages, fields and errors, and keeps each line JSON', () => {
  const lines: string[] = [];
  const log = createLogger({
    level: 'info',
    destination: { write: (line: string) => void lines.push(line) },
    secrets: [AWS_SECRET, SMTP_URL, WEBHOOK_URL],
  });
  log.info({ note: `key ${AWS_SECRET}`, nested: { url: encodeURIComponent(WEBHOOK_URL) } }, `pw p@ss w/rd%x and "${SESSION_TOKEN}"`);
  log.error({ err: new Error(`login as alerts%40example.com:p%40ss%20w%2Frd%25x failed; password: hunter-3 quoted "${AWS_SECRET}"`) }, 'send failed');
  log.warn(`hooks.slack.com/services/T1/B1/zzzzzzzzzz and aws_secret_access_key = ${'q'.repeat(12)}!x`);
  assert.equal(lines.length, 3);
  for (const line of lines) {
    JSON.parse(line);
    for (const secret of [AWS_SECRET, 'p@ss w/rd%x', 'p%40ss', 'abcdefghijklmnopqrstuvwx', 'hunter-3', 'zzzzzzzzzz', 'qqqqqqqqqqqq']) {
      assert.ok(!line.includes(secret) && !line.includes(JSON.stringify(secret).slice(1, -1)), `${secret} in ${line}`);
    }
  }
});

test('an email and a logged send error mask a known AWS secret by value', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'scrub-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const mails: AlertMail[] = [];
  const lines: string[] = [];
  const log = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
  const alerter = createAlerter({
    email: { smtpUrl: SMTP_URL, to: ['ops@example.com'] },
    stateDir,
    profile: 'p',
    clock: new ManualClock(),
    log,
    cooldownMs: 60_000,
    secrets: knownSecretsOf({ slack: { webhookUrl: WEBHOOK_URL }, email: { smtpUrl: SMTP_URL }, awsSecrets: [AWS_SECRET] }),
    transport: {
      sendMail: async (mail) => {
        mails.push(mail);
        throw new Error(`535 rejected AUTH PLAIN for p%40ss%20w%2Frd%25x with key ${AWS_SECRET}`);
      },
    },
  });
  await alerter.alert({ kind: 'fatal', reason: `the SDK said: ${AWS_SECRET} is invalid`, action: `rotate ${encodeURIComponent(AWS_SECRET)}` });
  assert.equal(mails.length, 1);
  const text = `${mails[0]?.subject}\n${mails[0]?.text}\n${lines.join('')}`;
  for (const form of [AWS_SECRET, encodeURIComponent(AWS_SECRET), 'p%40ss', 'p@ss w/rd']) assert.ok(!text.includes(form), form);
  assert.match(mails[0]?.text ?? '', /the SDK said: \*\*\* is invalid/);
  assert.ok(lines.some((l) => l.includes('alert email failed') && l.includes('535 rejected AUTH PLAIN for ***')));
});

test('the config loader reads the AWS secret key and session token from the environment, for masking only', () => {
  const config = loadConfig({
    flags: { dryRun: true },
    env: { AWS_SECRET_ACCESS_KEY: AWS_SECRET, AWS_SESSION_TOKEN: SESSION_TOKEN },
    readFile: () => {
      throw new Error('no file');
    },
  });
  assert.deepEqual(config.awsSecrets, [AWS_SECRET, SESSION_TOKEN]);
  assert.ok(!JSON.stringify(describeConfig(config)).includes(AWS_SECRET));
  assert.ok(knownSecretsOf(config).includes(SESSION_TOKEN));
});

test('a ping URL masks its key and whole path, never the ordinary words of its path', () => {
  const ping = 'https://hc.example.com/ping/3f2a9c1e-55aa-4b1b-9d0e-0c6d7a1f2b3c';
  const secrets = knownSecretsOf({ slack: {}, email: {}, heartbeat: { url: ping } });
  const line = scrubSecrets('heartbeat ping failed: GET /ping/3f2a9c1e-55aa-4b1b-9d0e-0c6d7a1f2b3c; region us-east-1 pings on', secrets);
  assert.ok(!line.includes('3f2a9c1e-55aa-4b1b-9d0e-0c6d7a1f2b3c'), line);
  assert.match(line, /^heartbeat ping failed: GET \*\*\*; region us-east-1 pings on$/);
  // A Slack webhook's IDs and token stay masked one by one, as before.
  const hook = 'https://hooks.slack.com/services/T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx';
  const masked = scrubSecrets('posting to B0456EFGH with abcdefghijklmnopqrstuvwx', knownSecretsOf({ slack: { webhookUrl: hook }, email: {} }));
  assert.ok(!masked.includes('B0456EFGH') && !masked.includes('abcdefghijklmnopqrstuvwx'), masked);
});
