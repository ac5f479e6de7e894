import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { IncomingWebhook, type IncomingWebhookSendArguments } from '@slack/webhook';
import { fromRecord } from '../src/events/parse';
import type { CloudTrailRecord, TrailEvent } from '../src/events/types';
import { compareHits, maxLevel, type Decision, type Level, type RuleHit } from '../src/rules/decision';
import { buildRuleIndex, loadRulePaths, type RuleIndex } from '../src/rules/sigma';
import { startSlackSimulator } from '../src/sim/slack-server';
import { COLOURS, formatEventMessage, formatPlainMessage } from '../src/slack/format';
import { LEVEL_COLOURS } from '../src/slack/level-colours';
import { LEVEL_MARKERS } from '../src/slack/severity';
import type { SlackMessage } from '../src/slack/types';

/**
 * Issue 8 item 5: the single-event message shows its level (colour bar, marker), the rules that matched, and the
 * route's mention. Decisions come from the real rule engine over the built-in pack's positive samples.
 */

const PACK_DIR = join(__dirname, '..', 'rules', 'builtin');
const SAMPLE_DIR = join(__dirname, 'fixtures', 'rule-pack');
const POSITIVE_FILES = readdirSync(SAMPLE_DIR).filter((f) => f.endsWith('.positive.json')).sort();
const MENTION = '<!subteam^S0123ABCD|@security>';
const MARKERS = [':rotating_light:', ':warning:'];

let loading: Promise<RuleIndex> | undefined;
async function packIndex(): Promise<RuleIndex> {
  loading ??= loadRulePaths([PACK_DIR]).then(({ rules, errors }) => {
    assert.deepEqual(errors, []);
    return buildRuleIndex(rules);
  });
  return loading;
}

function samples(file: string): CloudTrailRecord[] {
  const data: unknown = JSON.parse(readFileSync(join(SAMPLE_DIR, file), 'utf8'));
  return (Array.isArray(data) ? data : [data]) as CloudTrailRecord[];
}

/** The Decision the pipeline builds: level = the highest matched level, matched = the hits, highest first. */
function decide(index: RuleIndex, record: CloudTrailRecord): Decision {
  const matched: RuleHit[] = index
    .match(record)
    .map((rule) => ({ id: rule.id, title: rule.title, level: rule.level, tags: [...rule.tags] }))
    .sort(compareHits);
  return { level: maxLevel(matched.map((hit) => hit.level)), matched, muted: false, routes: [{ webhook: 'default' }] };
}

function eventOf(record: CloudTrailRecord): TrailEvent {
  const event = fromRecord(record);
  assert.ok(event, 'a record with an eventID');
  return event;
}

const fieldOf = (message: SlackMessage, title: string) => message.attachments?.[0]?.fields?.find((f) => f.title === title)?.value;
const rulesOf = (message: SlackMessage) => fieldOf(message, 'Rules') ?? fieldOf(message, 'Rule') ?? '';
const levelTitle = (level: Level) => level[0]!.toUpperCase() + level.slice(1);

function synthetic(overrides: Partial<CloudTrailRecord>): TrailEvent {
  // synthetic: an IAM user's write in us-east-1
  return eventOf({
    eventVersion: '1.09',
    userIdentity: { type: 'IAMUser', accountId: '111122223333', userName: 'alice', arn: 'arn:aws:iam::111122223333:user/alice', accessKeyId: 'AKIAEXAMPLEALICE0001' },
    eventTime: '2026-11-02T10:01:43Z',
    eventSource: 'cloudtrail.amazonaws.com',
    eventName: 'StopLogging',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.24',
    userAgent: 'aws-cli/2.13.0',
    requestParameters: { name: 'my-trail' },
    responseElements: null,
    eventID: '3f0c1d2e-4b5a-4c6d-8e7f-9a0b1c2d3e4f',
    readOnly: false,
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
    ...overrides,
  });
}

const hit = (level: Level, title = `A ${level} rule`): RuleHit => ({ id: `rule-${level}`, title, level, tags: [] });
const decisionOf = (...hits: RuleHit[]): Decision => ({ level: maxLevel(hits.map((h) => h.level)), matched: hits, muted: false, routes: [] });

describe('the built-in pack\'s positive samples through the real engine', () => {
  const seen = new Set<Level>();
  for (const file of POSITIVE_FILES) {
    test(`${file.replace('.positive.json', '')}: colour and marker of its level, every matched rule's title`, async () => {
      const index = await packIndex();
      for (const record of samples(file)) {
        const decision = decide(index, record);
        assert.ok(decision.matched.length > 0, `${record.eventName} matches a rule`);
        seen.add(decision.level);
        const event = eventOf(record);
        const message = formatEventMessage(event, { decision });
        const failed = record.errorCode != null || JSON.stringify(record.responseElements ?? null).includes('"Failure"');
        assert.equal(message.attachments?.[0]?.color, failed ? COLOURS.failed : LEVEL_COLOURS[decision.level], record.eventName);
        const marker = LEVEL_MARKERS[decision.level];
        if (marker === undefined) for (const m of MARKERS) assert.ok(!message.text.includes(m), `${record.eventName}: no marker at ${decision.level}`);
        else assert.ok(message.text.startsWith(`${marker} `), `${record.eventName}: ${message.text}`);
        assert.match(message.text, new RegExp(`\\*${record.eventName}\\*`), 'the event name, bold');
        const rules = rulesOf(message);
        for (const matched of decision.matched) assert.ok(rules.includes(`*${levelTitle(matched.level)}* · ${matched.title}`), rules);
        assert.ok(formatPlainMessage(event, { decision }).text.startsWith(`${decision.level.toUpperCase()}: `));
      }
    });
  }

  test('the samples cover every level the pack uses, critical and high included', () => {
    for (const level of ['critical', 'high', 'medium', 'low'] as const) assert.ok(seen.has(level), `a sample at ${level}`);
  });
});

describe('headline, context line and fields', () => {
  test('the headline says who did what to which resource, where, in which account', () => {
    const message = formatEventMessage(synthetic({}), { decision: decisionOf(hit('high')) });
    assert.equal(message.text, ':warning: *StopLogging* on `my-trail` by `alice` (IAMUser) in us-east-1 · account 111122223333');
    const critical = formatEventMessage(synthetic({}), { decision: decisionOf(hit('critical'), hit('low')) });
    assert.ok(critical.text.startsWith(':rotating_light: *StopLogging* '));
    assert.equal(critical.attachments?.[0]?.color, LEVEL_COLOURS.critical);
  });

  test('one context line: date token, source IP, MFA when the record says, the service; then the deep link', () => {
    const withMfa = synthetic({ userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/Admin/bob', sessionContext: { attributes: { mfaAuthenticated: 'true' } } } });
    const [context, link] = (formatEventMessage(withMfa).attachments?.[0]?.text ?? '').split('\n');
    assert.equal(context, '<!date^1793613703^{date_short_pretty} {time_secs}|2026-11-02 10:01:43 UTC> · from 203.0.113.24 · MFA yes · cloudtrail.amazonaws.com');
    assert.equal(link, '<https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/3f0c1d2e-4b5a-4c6d-8e7f-9a0b1c2d3e4f|View this event in the CloudTrail console>');
    const context2 = formatEventMessage(synthetic({})).attachments?.[0]?.text ?? '';
    assert.ok(!context2.includes('MFA'), 'no MFA claim when the record says nothing');
    const signIn = synthetic({ eventName: 'ConsoleLogin', eventType: 'AwsConsoleSignIn', additionalEventData: { MFAUsed: 'No' } });
    assert.match(formatEventMessage(signIn).attachments?.[0]?.text ?? '', / · MFA no · cloudtrail\.amazonaws\.com · AwsConsoleSignIn\n/);
  });

  test('only fields that carry information: none repeats the headline or the context line', () => {
    const message = formatEventMessage(synthetic({ requestParameters: { name: 'my-trail' } }), { decision: decisionOf(hit('high')) });
    assert.deepEqual(message.attachments?.[0]?.fields?.map((f) => f.title), ['Rule', 'Caller', 'Access Key', 'Event ID', 'User Agent']);
    assert.equal(fieldOf(message, 'Caller'), '`arn:aws:iam::111122223333:user/alice`');
    assert.equal(fieldOf(message, 'Access Key'), '`AKIAEXAMPLEALICE0001`');
    const more = formatEventMessage(synthetic({ requestParameters: { name: 'my-trail', extra: 1 } }));
    assert.equal(fieldOf(more, 'Request Parameters'), '```{"name":"my-trail","extra":1}```', 'kept when it says more than the resource');
  });

  test('the error field has the code and the message; a failed call with no message keeps the code in the headline only', () => {
    const failed = formatEventMessage(synthetic({ errorCode: 'AccessDenied', errorMessage: 'User alice is not <authorized>' }));
    assert.equal(failed.text, ':x: *StopLogging* on `my-trail` by `alice` (IAMUser) in us-east-1 · account 111122223333 · failed: AccessDenied');
    assert.equal(fieldOf(failed, 'Error'), 'AccessDenied: User alice is not &lt;authorized&gt;');
    assert.equal(fieldOf(formatEventMessage(synthetic({ errorCode: 'AccessDenied' })), 'Error'), undefined);
  });
});

describe('a failed call', () => {
  test('rated high by the pack (root\'s CreateAccessKey, denied): purple bar, the level marker, then :x:', async () => {
    // synthetic: the pack's positive root sample, made to fail
    const record = { ...samples('root-account-usage.positive.json')[0]!, errorCode: 'AccessDenied', errorMessage: 'denied', responseElements: null };
    const decision = decide(await packIndex(), record);
    assert.equal(decision.level, 'high', 'root usage matches failed calls too');
    const message = formatEventMessage(eventOf(record), { decision });
    assert.equal(message.text, ':warning: :x: *CreateAccessKey* by `root` (Root) in us-east-1 · account 111122223333 · failed: AccessDenied');
    assert.equal(message.attachments?.[0]?.color, COLOURS.failed);
    assert.equal(rulesOf(message), '*High* · AWS root user activity');
    assert.match(formatPlainMessage(eventOf(record), { decision }).text, /^HIGH: CreateAccessKey by `root` \(Root\) .* · failed: AccessDenied at 2026-/);
  });

  test('a failed sign-in (no errorCode, responseElements says Failure) rated medium: purple, :x:, no level marker', async () => {
    const [record] = samples('signin-root-console-login-failed.positive.json');
    assert.ok(record);
    const decision = decide(await packIndex(), record);
    assert.equal(decision.level, 'medium');
    const message = formatEventMessage(eventOf(record), { decision });
    assert.equal(message.text, ':x: *ConsoleLogin* by `root` (Root) in us-east-1 · account 111122223333 · failed: `Failed authentication`');
    assert.equal(message.attachments?.[0]?.color, COLOURS.failed);
    assert.equal(rulesOf(message), '*Medium* · Failed root user console sign-in');
  });

  test('with an errorCode and a critical rule: :rotating_light: :x:, still purple', () => {
    const message = formatEventMessage(synthetic({ errorCode: 'AccessDenied' }), { decision: decisionOf(hit('critical')) });
    assert.ok(message.text.startsWith(':rotating_light: :x: *StopLogging* '), message.text);
    assert.equal(message.attachments?.[0]?.color, COLOURS.failed);
  });
});

describe('the mention (trusted, from the route)', () => {
  const assertMentionOnce = (message: SlackMessage) => {
    assert.ok(message.text.startsWith(`${MENTION} `), message.text);
    assert.equal(message.text.split(MENTION).length - 1, 1);
    const { text: _text, ...rest } = message;
    assert.ok(!JSON.stringify(rest).includes('subteam'), 'only in the top-level text');
  };

  test('is inserted raw at the start of the top-level text, exactly once, and nowhere else', () => {
    const event = synthetic({});
    const message = formatEventMessage(event, { decision: decisionOf(hit('high')), mention: MENTION });
    assert.equal(message.text, `${MENTION} :warning: *StopLogging* on \`my-trail\` by \`alice\` (IAMUser) in us-east-1 · account 111122223333`);
    assertMentionOnce(message);
    assertMentionOnce(formatPlainMessage(event, { decision: decisionOf(hit('high')), mention: MENTION }));
    assert.ok(!formatEventMessage(event, { mention: '  ' }).text.startsWith(' '), 'a blank mention adds nothing');
  });

  test('nothing from an event is ever a mention, with or without a configured one', () => {
    const event = synthetic({
      userIdentity: { type: 'IAMUser', userName: '<!subteam^S999>', arn: 'arn:aws:iam::1:user/<!channel>' },
      userAgent: '<!here> <@U1>', requestParameters: { name: '<!subteam^S999|@all>' }, errorCode: '<!everyone>', errorMessage: '<!channel>',
    });
    for (const options of [{}, { mention: MENTION }, { mention: MENTION, decision: decisionOf(hit('critical')) }]) {
      for (const message of [formatEventMessage(event, options), formatPlainMessage(event, options)]) {
        // Our own date token is the one <! sequence the formatter builds.
        const json = JSON.stringify(message).split(MENTION).join('').replace(/<!date\^\d+\^[^|<>]*\|[^<>]*>/g, '');
        assert.ok(!/<[!@#]/.test(json), json.match(/.{0,30}<[!@#].{0,30}/)?.[0]);
      }
    }
  });

  test('Insights and nameless records take the mention and the level too', () => {
    const insight = eventOf({
      eventVersion: '1.08', eventTime: '2026-11-02T01:42:00Z', awsRegion: 'us-east-1', eventID: 'b1f0c7de-3a9e-4d67-9c1e-0e3f6a7b8c9d',
      eventType: 'AwsCloudTrailInsight', recipientAccountId: '111122223333', eventCategory: 'Insight',
      insightDetails: { state: 'Start', eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey', insightType: 'ApiCallRateInsight' },
    });
    const plain = formatEventMessage(insight);
    const decorated = formatEventMessage(insight, { mention: MENTION, decision: decisionOf(hit('high', 'Unusual key creation')) });
    assert.equal(decorated.text, `${MENTION} :warning: ${plain.text}`);
    assertMentionOnce(decorated);
    assert.equal(decorated.attachments?.[0]?.color, LEVEL_COLOURS.high);
    assert.equal(rulesOf(decorated), '*High* · Unusual key creation');
    assert.equal(formatPlainMessage(insight, { mention: MENTION, decision: decisionOf(hit('high')) }).text, `${MENTION} HIGH: ${formatPlainMessage(insight).text}`);
    const nameless = synthetic({ eventName: undefined });
    assertMentionOnce(formatEventMessage(nameless, { mention: MENTION }));
  });
});

describe('at the Slack double, through the real @slack/webhook', () => {
  test('every pack sample\'s message, with its decision and a mention, and the plain ones, are accepted as sent', async (t) => {
    const sim = await startSlackSimulator();
    t.after(() => sim.close());
    const webhook = new IncomingWebhook(sim.url);
    const index = await packIndex();
    const messages: SlackMessage[] = [];
    for (const file of POSITIVE_FILES) {
      for (const record of samples(file)) {
        const options = { decision: decide(index, record), mention: MENTION };
        messages.push(formatEventMessage(eventOf(record), options), formatPlainMessage(eventOf(record), options));
      }
    }
    // synthetic: the worst event, every field huge, astral and hostile, rated critical by 40 rules
    const evil = '😀<!channel>&"\\\n`*\u202e'.repeat(5000);
    const worst = {
      ...eventOf({
        eventID: evil, eventName: evil, eventSource: 'ec2.amazonaws.com', awsRegion: evil, sourceIPAddress: evil, userAgent: evil, errorMessage: evil,
        eventType: evil, recipientAccountId: evil, requestParameters: { evil }, additionalEventData: { MFAUsed: 'Yes' },
        userIdentity: { type: evil, userName: evil, accountId: evil, arn: evil, accessKeyId: evil, sessionContext: { sourceIdentity: evil } },
        resources: Array.from({ length: 1000 }, () => ({ type: evil, ARN: evil })),
      }),
      name: 'RunInstances',
    };
    worst.record!.responseElements = { instancesSet: { items: Array.from({ length: 50 }, () => ({ instanceId: evil })) } };
    const rated: Decision = { ...decisionOf(...Array.from({ length: 40 }, (_, i) => hit('critical', `${i}${evil}`))) };
    messages.push(formatEventMessage(worst, { decision: rated, mention: MENTION }), formatPlainMessage(worst, { decision: rated, mention: MENTION }));
    assert.ok(JSON.stringify(messages.at(-2)).length < 16 * 1024, 'the worst event stays under 16 KB');
    for (const message of messages) assert.equal((await webhook.send(message as IncomingWebhookSendArguments)).text, 'ok');
    assert.equal(sim.received.length, messages.length);
    sim.received.forEach((received, i) => {
      assert.equal(received.truncated, false);
      assert.deepEqual(received.body, JSON.parse(JSON.stringify(messages[i])));
    });
  });
});
