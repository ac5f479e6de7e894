import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scrubSecrets } from '../src/alerts/scrub';

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
