import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { formatAlertEmail } from '../src/alerts/email';
import { startDemoSink } from '../src/demo/sink';
import { fromRecord } from '../src/events/parse';
import type { CloudTrailRecord, TrailEvent } from '../src/events/types';
import { renderHtmlPage } from '../src/preview/html';
import { renderTerminalMessage } from '../src/preview/terminal';
import { formatEventMessage, formatPlainMessage } from '../src/slack/format';
import type { SlackMessage } from '../src/slack/types';

/**
 * Item 5 of issue 7: event text must not be able to deceive the reader, in every place a person reads it.
 * All records here are SYNTHETIC; the three user names are the issue's examples.
 */

const ESC = '\u001b';
const DECEPTIVE_NAME = 'root (Root) in us-east-1 — approved by security';
const RLO_NAME = 'alice\u202Egnp.exe';
const ZERO_WIDTH_NAME = 'ad\u200Bmin';

function eventWith(overrides: Partial<CloudTrailRecord>): TrailEvent {
  const record: CloudTrailRecord = {
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', accountId: '111122223333', userName: 'alice' },
    eventTime: '2023-07-10T11:42:18Z',
    eventSource: 's3.amazonaws.com',
    eventName: 'PutBucketPolicy',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.9',
    userAgent: 'aws-cli/2.13.0',
    requestParameters: { bucketName: 'invoices' },
    resources: [{ type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::invoices' }],
    eventID: '6f2d2c1e-0f6a-4a8e-9a5b-1b2c3d4e5f60',
    readOnly: false,
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
    ...overrides,
  };
  const event = fromRecord(record);
  assert.ok(event);
  return event;
}

const byUser = (userName: string) => eventWith({ userIdentity: { type: 'IAMUser', accountId: '111122223333', userName } });

/** Every text a person reads for one event: Slack (rich, fallback, plain), the HTML page, the terminal. */
function renderings(event: TrailEvent): Record<string, string> {
  const message = formatEventMessage(event);
  const plain = formatPlainMessage(event);
  return {
    slack: JSON.stringify(message),
    plain: plain.text,
    html: renderHtmlPage([message, plain]),
    terminal: renderTerminalMessage(message, { color: false }) + renderTerminalMessage(plain, { color: false }),
    terminalColour: renderTerminalMessage(message, { color: true }) + renderTerminalMessage(plain, { color: true }),
  };
}

const fieldOf = (message: SlackMessage, title: string) => message.attachments?.[0]?.fields?.find((f) => f.title === title)?.value;

describe('a user name that reads as part of the sentence', () => {
  const event = byUser(DECEPTIVE_NAME);

  const HEADLINE = `PutBucketPolicy on \`invoices\` by \`${DECEPTIVE_NAME}\` (IAMUser) in us-east-1 · account 111122223333`;

  test('Slack text, fallback and the Caller field set the name apart in a code span', () => {
    const message = formatEventMessage(event);
    assert.equal(message.text, `*${HEADLINE}`.replace('PutBucketPolicy', 'PutBucketPolicy*'));
    assert.ok(message.attachments?.[0]?.fallback?.startsWith(`${HEADLINE} · `));
    const withArn = formatEventMessage(eventWith({ userIdentity: { type: 'IAMUser', userName: DECEPTIVE_NAME, arn: `arn:aws:iam::111122223333:user/${DECEPTIVE_NAME}` } }));
    assert.equal(fieldOf(withArn, 'Caller'), `\`arn:aws:iam::111122223333:user/${DECEPTIVE_NAME}\``);
  });

  test('the plain message does too', () => {
    assert.ok(formatPlainMessage(event).text.startsWith(`${HEADLINE} at `), formatPlainMessage(event).text);
  });

  test('the HTML preview shows it as code, apart from the words around it', () => {
    const html = renderHtmlPage([formatEventMessage(event)]);
    const expected = `<div class="text"><strong>PutBucketPolicy</strong> on <code>invoices</code> by <code>${DECEPTIVE_NAME}</code> (IAMUser) in us-east-1 · account 111122223333</div>`;
    assert.ok(html.includes(expected), html);
  });

  test('the terminal sink shows it between backticks, or in the code colour', () => {
    const plain = renderTerminalMessage(formatEventMessage(event), { color: false, width: 300 });
    assert.equal(plain.split('\n')[0], HEADLINE);
    const headline = renderTerminalMessage(formatEventMessage(event), { color: true, width: 300 }).split('\n')[0] ?? '';
    // Each word is its own SGR run: the code-coloured (36) runs together are exactly the resource and the name.
    const runs = [...headline.matchAll(/\u001b\[([\d;]*)m([^\u001b]*)\u001b\[0m/g)];
    assert.equal(runs.filter((r) => r[1]?.split(';').includes('36')).map((r) => r[2]).join(''), `invoices${DECEPTIVE_NAME}`);
    assert.equal(runs.map((r) => r[2]).join(''), HEADLINE.replace(/`/g, ''));
  });

  test('resource names, role sessions and source identities are set apart too', () => {
    const resource = formatEventMessage(eventWith({ resources: [{ type: 'AWS::S3::Bucket', ARN: 'logs (deleted by AWS)' }] }));
    assert.equal(fieldOf(resource, 'Resource'), 'AWS::S3::Bucket: `logs (deleted by AWS)`');
    assert.match(resource.text, /^\*PutBucketPolicy\* on `logs \(deleted by AWS\)` by /);
    const assumed = formatEventMessage(
      eventWith({
        userIdentity: {
          type: 'AssumedRole',
          arn: 'arn:aws:sts::111122223333:assumed-role/Deploy/ci run',
          sessionContext: { sourceIdentity: 'bob) (approved', sessionIssuer: { userName: 'Deploy' } },
        },
      }),
    );
    assert.equal(fieldOf(assumed, 'Caller'), '`arn:aws:sts::111122223333:assumed-role/Deploy/ci run` (source identity `bob) (approved`)');
    assert.match(assumed.text, /by `Deploy\/ci run` \(AssumedRole\)/);
  });

  test('for every identity type, each event value in the headline and the Caller field is inside a code span', () => {
    const v = 'x (approved by security)';
    // The Caller field: the ARN (or, without one, the name) and the identity's detail; absent when it would only
    // repeat the headline.
    const identities: Array<[Record<string, unknown>, RegExp | undefined]> = [
      [{ type: 'Root', accountId: v, userName: v }, /^`x \(approved by security\)` \(root, account `x \(approved by security\)`\)$/],
      [{ type: 'Root', accountId: v }, /^`root` \(account `x \(approved by security\)`\)$/],
      [{ type: 'Root' }, undefined],
      [{ type: 'AssumedRole', arn: `arn:aws:sts::1:assumed-role/${v}/s`, sessionContext: { sourceIdentity: v } }, /^`arn:aws:sts::1:assumed-role\/x \(approved by security\)\/s` \(source identity `x \(approved by security\)`\)$/],
      [{ type: 'IdentityCenterUser', onBehalfOf: { userId: v, identityStoreArn: `arn:aws:identitystore::1:identitystore/${v}` } }, /^`x \(approved by security\)` \(identity store `x \(approved by security\)`\)$/],
      [{ type: 'FederatedUser', arn: `arn:aws:sts::1:federated-user/${v}`, sessionContext: { sessionIssuer: { userName: v } } }, /^`arn:aws:sts::1:federated-user\/x \(approved by security\)` \(federated by `x \(approved by security\)`\)$/],
      [{ type: 'SAMLUser', userName: v, identityProvider: v }, /^`x \(approved by security\)` \(via `x \(approved by security\)`\)$/],
      [{ type: 'AWSAccount', accountId: v, principalId: v }, /^`x \(approved by security\)` \(principal `x \(approved by security\)`\)$/],
      [{ type: 'IAMUser', userName: v, accountId: '444455556666' }, /^`x \(approved by security\)` \(account 444455556666\)$/],
      [{ type: 'IAMUser', userName: 'HIDDEN_DUE_TO_SECURITY_REASONS' }, /^`hidden user` \(user name hidden by AWS \(HIDDEN_DUE_TO_SECURITY_REASONS\)\)$/],
    ];
    for (const [userIdentity, expected] of identities) {
      const message = formatEventMessage(eventWith({ userIdentity }));
      const caller = fieldOf(message, 'Caller');
      if (expected === undefined) assert.equal(caller, undefined, JSON.stringify(userIdentity));
      else assert.match(caller ?? '', expected, JSON.stringify(userIdentity));
      for (const text of [caller ?? '', message.text]) assert.ok(!/approved/.test(text.replace(/`[^`]*`/g, '')), `outside a code span: ${text}`);
    }
  });

  test('an odd identity type, region, event name or error code is set apart; ordinary ones stay plain', () => {
    const odd = eventWith({
      eventName: 'Put Policy',
      awsRegion: 'us-east-1 by admin',
      errorCode: 'Denied (retried OK)',
      recipientAccountId: '1111 (trusted)',
      userIdentity: { type: 'IAM User', userName: 'eve' },
    });
    assert.equal(
      formatEventMessage(odd).text,
      ':x: `Put Policy` on `invoices` by `eve` (`IAM User`) in `us-east-1 by admin` · account `1111 (trusted)` · failed: `Denied (retried OK)`',
    );
    const ordinary = eventWith({ errorCode: 'AccessDenied' });
    assert.equal(formatEventMessage(ordinary).text, ':x: *PutBucketPolicy* on `invoices` by `alice` (IAMUser) in us-east-1 · account 111122223333 · failed: AccessDenied');
  });
});

describe('a right-to-left override in a user name', () => {
  test('is shown as U+202E everywhere, never applied', () => {
    for (const [where, text] of Object.entries(renderings(byUser(RLO_NAME)))) {
      assert.ok(!text.includes('\u202E'), `${where} holds a raw U+202E`);
      assert.ok(text.includes('alice[U+202E]gnp.exe'), `${where} shows it: ${text.slice(0, 300)}`);
    }
  });
});

describe('zero-width characters in a user name', () => {
  test('two different names never look the same', () => {
    const honest = renderings(byUser('admin'));
    const forged = renderings(byUser(ZERO_WIDTH_NAME));
    for (const where of Object.keys(honest)) {
      assert.notEqual(forged[where], honest[where], where);
      assert.ok(!forged[where]?.includes('\u200B'), `${where} holds a raw U+200B`);
      assert.ok(forged[where]?.includes('ad[U+200B]min'), `${where} shows it`);
    }
  });
});

describe('the demo sink (a real HTTP post to the terminal preview)', () => {
  test('draws the three examples set apart and visible', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'cts-sink-'));
    const written: string[] = [];
    const sink = await startDemoSink({ write: (s) => written.push(s), color: false, width: 200, payloadFile: join(dir, 'p.jsonl') });
    t.after(async () => {
      await sink.close();
      rmSync(dir, { recursive: true, force: true });
    });
    for (const name of [DECEPTIVE_NAME, RLO_NAME, ZERO_WIDTH_NAME]) {
      const response = await fetch(sink.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(formatEventMessage(byUser(name))) });
      assert.equal(response.status, 200);
    }
    const out = written.join('');
    assert.ok(out.includes(`by \`${DECEPTIVE_NAME}\` (IAMUser)`), out);
    assert.ok(out.includes('by `alice[U+202E]gnp.exe` (IAMUser)'));
    assert.ok(out.includes('by `ad[U+200B]min` (IAMUser)'));
    assert.ok(!/[\u202E\u200B]/.test(out));
  });
});

/** Every code point of Unicode's Cf (format) category and of the default-ignorable set, plus the bidi controls. */
function invisibleCodePoints(): number[] {
  const points: number[] = [];
  const invisible = /^[\p{Cf}\p{Default_Ignorable_Code_Point}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]$/u;
  for (let cp = 0; cp <= 0x10ffff; cp += 1) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    if (invisible.test(String.fromCodePoint(cp))) points.push(cp);
  }
  return points;
}

describe('property: no invisible or bidi control character reaches a reader raw', () => {
  const points = invisibleCodePoints();

  test('the set is the one the issue names', () => {
    for (const cp of [0x00ad, 0x061c, 0x200b, 0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202e, 0x2060, 0x2064, 0x2066, 0x2069, 0xfeff, 0xfe0f, 0xe0001, 0xe007f]) {
      assert.ok(points.includes(cp), cp.toString(16));
    }
    assert.ok(points.length > 4000, `${points.length} code points`);
  });

  test('in every event field, through Slack, the plain message, HTML, the terminal and email', () => {
    // Four at a time (each between ASCII letters, where no emoji or ideograph sequence makes it legitimate):
    // short enough that even the shortest field budget (64) shows all four as [U+XXXXX].
    for (let i = 0; i < points.length; i += 4) {
      const batch = points.slice(i, i + 4).map((cp) => String.fromCodePoint(cp));
      const v = `a${batch.map((ch, j) => `${ch}${'bcde'[j]}`).join('')}`;
      const event = eventWith({
        eventName: `Put${v}`, eventSource: v, awsRegion: v, eventID: v, userAgent: v, sourceIPAddress: v, errorCode: v, errorMessage: v,
        eventType: v, recipientAccountId: v, requestParameters: { [v]: v },
        userIdentity: { type: 'AssumedRole', arn: `arn:aws:sts::1:assumed-role/${v}/${v}`, sessionContext: { sourceIdentity: v } },
        resources: [{ type: v, ARN: v }],
      });
      const out = renderings(event);
      out.email = formatAlertEmail({ host: 'h', program: 'p', pid: 1, profile: 'default' }, { kind: 'k', region: undefined, account: undefined, reason: `Slack rejected event ${v}`, action: v }, 0, 60_000).text;
      for (const [where, text] of Object.entries(out)) {
        for (const ch of batch) assert.ok(!text.includes(ch), `U+${ch.codePointAt(0)?.toString(16).toUpperCase()} raw in ${where}`);
        assert.ok(text.includes(`a[U+${batch[0]?.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}]b`), `${where} shows it`);
      }
    }
  });
});
