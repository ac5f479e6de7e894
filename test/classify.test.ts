import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyError } from '../src/errors/classify';
import { classifySlackAnswer, classifySlackAnswerAs, SlackRefusedError } from '../src/errors/slack';
import { ConfigError, FatalError, ShutdownRequested } from '../src/lib/errors';
import { StateReadError, StateWriteError } from '../src/state/state-errors';

const aws = (name: string, status?: number) =>
  Object.assign(new Error(`${name} happened`), { name, ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }) });

test('every error gets one action, scope, kind and one line of advice', () => {
  const table: Array<[unknown, string, string, string]> = [
    [aws('ThrottlingException', 400), 'back-off', 'request', 'throttled'],
    [aws('InternalFailure', 500), 'back-off', 'request', 'transient'],
    [Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 'back-off', 'request', 'transient'],
    [aws('UnrecognizedClientException', 400), 'pause-target', 'target', 'unrecognized-client'],
    [aws('AccessDeniedException', 400), 'pause-target', 'target', 'access-denied'],
    [aws('ExpiredTokenException', 400), 'stop-account', 'account', 'expired-token'],
    [aws('CredentialsProviderError'), 'stop-account', 'account', 'no-credentials'],
    [aws('InvalidNextTokenException', 400), 'retry', 'request', 'invalid-next-token'],
    [new ShutdownRequested(), 'retry', 'request', 'aborted'],
    [aws('InvalidLookupAttributesException', 400), 'fatal', 'process', 'fatal-other'],
    [new TypeError('x is undefined'), 'back-off', 'target', 'unexpected'],
    ['a string', 'back-off', 'target', 'unexpected'],
    [undefined, 'back-off', 'target', 'unexpected'],
    [new StateWriteError('/var/lib/cts/.default.eu-west-1.cloudtrail.state', 'ENOSPC', 'cannot write'), 'back-off', 'process', 'state-unwritable'],
    [new StateReadError('/var/lib/cts/.default.eu-west-1.cloudtrail.state', 'EACCES'), 'fatal', 'target', 'state-unreadable'],
    [new SlackRefusedError('no_service', 404), 'fatal', 'webhook', 'slack-refused'],
    [new ConfigError('--regions: bad'), 'fatal', 'process', 'config'],
    [new FatalError('bad keys; renew them', 'credentials'), 'fatal', 'process', 'credentials'],
  ];
  for (const [error, action, scope, kind] of table) {
    const what = classifyError(error);
    assert.deepEqual([what.action, what.scope, what.kind], [action, scope, kind], String(error));
    assert.ok(what.advice.length > 0 && !what.advice.includes('\n'), `${kind}: one line of advice`);
    assert.ok(!what.reason.includes('\n'), `${kind}: one line of reason`);
  }
});

test('a state write failure advises on the state folder, never on the network, and is alerted only where it happens', () => {
  const what = classifyError(new StateWriteError('/var/lib/cts/.default.eu-west-1.cloudtrail.state', 'EROFS', 'cannot write'));
  assert.match(what.advice, /\/var\/lib\/cts/);
  assert.doesNotMatch(what.advice, /network/i);
  assert.equal(what.escalates, false);
});

test('only what AWS itself answered is fatal-other; anything else thrown is retried', () => {
  assert.equal(classifyError(aws('ValidationException', 400)).action, 'fatal');
  assert.equal(classifyError(new RangeError('odd')).action, 'back-off');
});

test('an AWS reason never carries a key or a token', () => {
  const error = aws('SignatureDoesNotMatch', 403);
  error.message = 'Credential=AKIAABCDEFGHIJKLMNOP/20261130 signature abcdefghijabcdefghijabcdefghijabcdefghij0123';
  const what = classifyError(error);
  assert.doesNotMatch(what.reason, /AKIAABCDEFGHIJKLMNOP|abcdefghijabcdefghij/);
});

test('SMTP failures are classified by nodemailer code, never stop anything, and say what to fix', () => {
  const table: Array<[string, string]> = [
    ['EAUTH', 'smtp-auth'],
    ['EENVELOPE', 'smtp-rejected'],
    ['ESOCKET', 'smtp-unreachable'],
    ['ETIMEDOUT', 'smtp-unreachable'],
    ['EMESSAGE', 'smtp-failed'],
  ];
  for (const [code, kind] of table) {
    const what = classifyError(Object.assign(new Error('535 Invalid username or password'), { code, responseCode: 535 }), 'smtp');
    assert.deepEqual([what.action, what.scope, what.kind], ['back-off', 'request', kind]);
  }
  assert.match(classifyError(Object.assign(new Error('x'), { code: 'EAUTH' }), 'smtp').advice, /SMTP_URL/);
});

test('Slack answers: ok, 429, a refused webhook, a refused message, a 5xx', () => {
  const now = 0;
  assert.deepEqual(classifySlackAnswer({ status: 200, body: 'ok', retryAfter: null }, now), { kind: 'ok' });
  const limited = classifySlackAnswer({ status: 429, body: 'rate_limited', retryAfter: '7' }, now);
  assert.deepEqual(limited, { kind: 'rate-limited', retryAfterMs: 7000 });
  const refused = classifySlackAnswer({ status: 404, body: 'no_service', retryAfter: null }, now);
  const message = classifySlackAnswer({ status: 400, body: 'invalid_blocks', retryAfter: null }, now);
  const failing = classifySlackAnswer({ status: 503, body: '', retryAfter: null }, now);
  assert.equal(refused.kind, 'refused');
  assert.equal(message.kind, 'message');
  assert.equal(failing.kind, 'transient');
  const cases = [[limited, 'back-off', 'webhook'], [refused, 'pause-target', 'webhook'], [message, 'retry', 'request'], [failing, 'back-off', 'webhook']] as const;
  for (const [answer, action, scope] of cases) {
    const what = classifySlackAnswerAs(answer);
    assert.deepEqual([what.action, what.scope], [action, scope], answer.kind);
  }
});
