import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CloudTrailRecord } from '../src/events/types';
import { EXIT_FAILURE, EXIT_OK } from '../src/lib/errors';
import { checkDeliveries, digestSize } from '../src/demo/delivered';
import { runReplay, type ReplayDeps, type ReplayOptions } from '../src/replay/command';
import { startSlackSimulator } from '../src/sim/slack-server';
import { captureLogger } from './support/daemon-harness';
import { loadFixtureRecords } from './support/fixtures';
import { ManualClock } from './support/manual-clock';

// synthetic: a terraform-like burst written for these tests (not from a real account).
const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const ACTOR = {
  type: 'AssumedRole',
  principalId: 'AROAEXAMPLEDEPLOYER:terraform',
  arn: 'arn:aws:sts::111122223333:assumed-role/Deployer/terraform',
  accountId: '111122223333',
};
const STOP_LOGGING_ID = '5a0f3c2e-0000-4000-8000-00000000beef';
const RULE_TITLE = 'CloudTrail logging stopped or trail deleted';
const SECURITY_MENTION = '<!subteam^S123ABC>';
const SIGN_IN_WITH_MFA = '8feee4c2-5e27-4857-8475-bfa7e7b6d791';

const idOf = (i: number) => `5a0f3c2e-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** 60 CreateTags of one role session in one region, one second apart, and a StopLogging in the middle. */
function burst(): CloudTrailRecord[] {
  const tags: CloudTrailRecord[] = Array.from({ length: 60 }, (_, i) => ({
    eventVersion: '1.09',
    userIdentity: ACTOR,
    eventTime: new Date(T0 + i * 1000).toISOString().replace('.000Z', 'Z'),
    eventSource: 'ec2.amazonaws.com',
    eventName: 'CreateTags',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '203.0.113.7',
    userAgent: 'APN/1.0 HashiCorp/1.0 Terraform/1.9.0',
    requestParameters: { resourcesSet: { items: [{ resourceId: `i-0${String(i).padStart(16, '0')}` }] }, tagSet: { items: [{ key: 'env', value: 'prod' }] } },
    responseElements: { _return: true },
    eventID: idOf(i),
    readOnly: false,
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
  }));
  const stop: CloudTrailRecord = {
    eventVersion: '1.09',
    userIdentity: ACTOR,
    eventTime: new Date(T0 + 30_500).toISOString(),
    eventSource: 'cloudtrail.amazonaws.com',
    eventName: 'StopLogging',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '203.0.113.7',
    userAgent: 'APN/1.0 HashiCorp/1.0 Terraform/1.9.0',
    requestParameters: { name: 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/main' },
    responseElements: null,
    eventID: STOP_LOGGING_ID,
    readOnly: false,
    eventType: 'AwsApiCall',
    recipientAccountId: '111122223333',
  };
  return [...tags.slice(0, 30), stop, ...tags.slice(30)];
}

const ALL_IDS = new Set([...Array.from({ length: 60 }, (_, i) => idOf(i)), STOP_LOGGING_ID]);

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'cts-replay-pipe-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'burst.jsonl'), burst().map((r) => JSON.stringify(r)).join('\n'));
  return dir;
}

async function replay(args: string[], options: ReplayOptions, cwd: string, deps: Partial<ReplayDeps> = {}, env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runReplay(args, options, { env, cwd, writeOut: (s) => void out.push(s), writeErr: (s) => void err.push(s), log: captureLogger().log, ...deps });
  const lines = out.join('').split('\n').filter((l) => l !== '');
  const payloads = lines.map((l) => JSON.parse(l) as { text: string; attachments?: Array<{ fields?: Array<{ title: string; value: string }> }> });
  return { code, payloads, err: err.join(''), errLines: err.join('').trimEnd().split('\n') };
}

const fieldOf = (payload: { attachments?: Array<{ fields?: Array<{ title: string; value: string }> }> } | undefined, title: string) =>
  payload?.attachments?.[0]?.fields?.find((f) => f.title === title)?.value;

const TWO_WEBHOOKS = (defaultUrl = 'https://hooks.slack.com/services/T0/B0/DEFAULTTOKEN', securityUrl = 'https://hooks.slack.com/services/T0/B1/SECURITYTOKEN') => ({
  slack: { webhooks: { default: defaultUrl, security: securityUrl } },
  routes: [
    { when: { minLevel: 'high' }, to: ['security'], mention: SECURITY_MENTION, continue: true },
    { when: {}, to: ['default'] },
  ],
});

describe('replay shows what the daemon would post', () => {
  test('a burst: StopLogging first, on its own, with its rule; the 60 others in digests, each event once', async (t) => {
    const dir = tempDir(t);
    const run = await replay(['burst.jsonl'], {}, dir);
    assert.equal(run.code, EXIT_OK, run.err);
    const [first, ...rest] = run.payloads;
    assert.ok(first?.text.startsWith(':rotating_light: *StopLogging* '), first?.text);
    assert.match(fieldOf(first, 'Rule') ?? '', new RegExp(RULE_TITLE));
    assert.equal(fieldOf(first, 'Event ID'), STOP_LOGGING_ID);
    assert.deepEqual(rest.map((p) => digestSize(p)), [50, 10], 'the rest as digests of at most 50');
    assert.match(rest[0]?.text ?? '', /^50 changes by Deployer\/terraform \(AssumedRole\) in eu-west-1/);
    assert.ok(checkDeliveries(run.payloads, ALL_IDS, new Set()).complete);
    assert.match(run.errLines.at(-1) ?? '', /1 file\(s\), 61 record\(s\): 61 printed in 3 message\(s\) \(2 digests\), 0 read-only, 0 muted, 0 duplicate\(s\)$/);

    // digest.enabled false: one message per event, as before digests; the critical one still first.
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ digest: { enabled: false } }));
    const singles = await replay(['burst.jsonl'], { config: 'c.json' }, dir);
    assert.equal(singles.payloads.length, 61);
    assert.deepEqual(singles.payloads.map((p) => fieldOf(p, 'Event ID')), [STOP_LOGGING_ID, ...Array.from({ length: 60 }, (_, i) => idOf(i))]);
  });

  test('--post to two webhooks (two Slack doubles, the real client): high events to security with its mention, everything to default, paced apart', async (t) => {
    const dir = tempDir(t);
    const clock = new ManualClock();
    t.after(clock.autoAdvance());
    const start = clock.now();
    const main = await startSlackSimulator({ path: '/services/T0/B0/DEFAULTTOKEN', now: () => clock.now() });
    const security = await startSlackSimulator({ path: '/services/T0/B1/SECURITYTOKEN', now: () => clock.now() });
    t.after(() => Promise.all([main.close(), security.close()]));
    writeFileSync(join(dir, 'routes.json'), JSON.stringify(TWO_WEBHOOKS(main.url, security.url)));
    const run = await replay(['burst.jsonl'], { post: true, config: 'routes.json' }, dir, { clock });
    assert.equal(run.code, EXIT_OK, run.err);

    const toSecurity = security.received.map((m) => m.body as { text: string; attachments?: Array<{ fields?: Array<{ title: string; value: string }> }> });
    assert.equal(toSecurity.length, 1);
    assert.ok(toSecurity[0]?.text.startsWith(`${SECURITY_MENTION} :rotating_light: *StopLogging* `), toSecurity[0]?.text);
    assert.equal(fieldOf(toSecurity[0], 'Event ID'), STOP_LOGGING_ID);
    const toDefault = main.received.map((m) => m.body as { text: string });
    assert.deepEqual(toDefault.map((p) => digestSize(p)), [undefined, 50, 10]);
    assert.ok(toDefault[0]?.text.startsWith(':rotating_light: *StopLogging* '), 'no mention where the route gives none');
    assert.ok(checkDeliveries(toDefault, ALL_IDS, new Set()).complete, 'every event once to default');
    assert.ok(!toDefault.some((p) => p.text.includes('subteam')));
    // Each webhook has its own paced queue: security's message does not wait behind default's three.
    assert.ok((security.received[0]?.at ?? Infinity) - start < 1000);
    assert.ok((main.received[2]?.at ?? 0) - (main.received[0]?.at ?? 0) >= 2000, 'default paced at 1 message/s');
    assert.match(run.errLines.at(-1) ?? '', /62 posted in 4 message\(s\) \(2 digests\) to 2 webhooks/);
    assert.ok(!/TOKEN/.test(run.err), 'no webhook URL on stderr');
  });

  test('--post: a webhook Slack refuses exits 77 and stops only its own messages; a rejected digest is retried as plain text', async (t) => {
    const dir = tempDir(t);
    const clock = new ManualClock();
    t.after(clock.autoAdvance());
    const main = await startSlackSimulator({ path: '/services/T0/B0/DEFAULTTOKEN', now: () => clock.now() });
    const security = await startSlackSimulator({ path: '/services/T0/B1/SECURITYTOKEN', now: () => clock.now() });
    t.after(() => Promise.all([main.close(), security.close()]));
    security.setDefault({ status: 404, body: 'no_service' });
    // default: StopLogging accepted, the first digest rejected as a payload, then everything accepted.
    main.respondNext({ status: 200, body: 'ok' }, { status: 400, body: 'invalid_payload' });
    writeFileSync(join(dir, 'routes.json'), JSON.stringify(TWO_WEBHOOKS(main.url, security.url)));
    const run = await replay(['burst.jsonl'], { post: true, config: 'routes.json' }, dir, { clock });
    assert.equal(run.code, 77, run.err);
    assert.match(run.err, /webhook security: Slack refused the webhook \(HTTP 404 no_service\)/);
    const bodies = main.requests.map((r) => JSON.parse(r.raw) as { text: string; attachments?: unknown[] });
    assert.equal(bodies.length, 4, 'StopLogging, the digest, its plain retry, the second digest');
    assert.equal(bodies[2]?.attachments, undefined, 'the retry is text only');
    assert.match(bodies[2]?.text ?? '', /^50 changes by /);
    for (let i = 0; i < 30; i += 1) assert.ok(bodies[2]?.text.includes(idOf(i)), `the plain digest names ${idOf(i)}`);
    assert.ok(checkDeliveries(main.received.map((m) => m.body), ALL_IDS, new Set()).complete, 'default still got every event once');
    assert.match(run.errLines.at(-1) ?? '', /61 posted in 3 message\(s\) \(2 digests\), 0 read-only/);
  });

  test('--dry-run with two webhooks: one payload per stdout line, a stderr note before each webhook\'s run; --webhook keeps one; --html groups them', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'routes.json'), JSON.stringify(TWO_WEBHOOKS()));
    const run = await replay(['burst.jsonl'], { config: 'routes.json' }, dir);
    assert.equal(run.code, EXIT_OK, run.err);
    assert.equal(run.payloads.length, 4);
    assert.deepEqual(run.errLines.slice(0, 2), [
      'cloudtrail-slack replay: webhook default: 3 message(s) follow on stdout',
      'cloudtrail-slack replay: webhook security: 1 message(s) follow on stdout',
    ]);
    assert.ok(run.payloads[3]?.text.startsWith(SECURITY_MENTION), 'security\'s run comes after default\'s');

    const only = await replay(['burst.jsonl'], { config: 'routes.json', webhook: 'security' }, dir);
    assert.equal(only.payloads.length, 1);
    assert.ok(only.payloads[0]?.text.startsWith(SECURITY_MENTION));
    assert.equal(only.errLines.length, 1, 'no note for a single webhook: only the summary');
    assert.match(only.err, /1 printed in 1 message\(s\), 0 read-only, 0 muted, 0 duplicate\(s\), 61 for other webhooks \(not selected by --webhook\)/);

    const html = await replay(['burst.jsonl'], { config: 'routes.json', html: 'page.html' }, dir);
    assert.equal(html.code, EXIT_OK, html.err);
    const page = readFileSync(join(dir, 'page.html'), 'utf8');
    assert.deepEqual([...page.matchAll(/<h2 class="group" data-group>([^<]*)<\/h2>/g)].map((m) => m[1]), ['webhook default', 'webhook security']);
    assert.equal(page.split('data-message="').length - 1, 4);
  });

  test('--rules adds a rule of your own (a refused file is one line, and the rest still runs); --no-builtin leaves the pack out', async (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'rules'));
    writeFileSync(
      join(dir, 'rules', 'prod-instance.yml'),
      [
        'title: The prod database instance was tagged',
        'id: 0d5c7c1e-1111-4a2b-9c3d-000000000007',
        'logsource: { product: aws, service: cloudtrail }',
        'detection:',
        '    selection:',
        '        eventName: CreateTags',
        `        requestParameters.resourcesSet.items.resourceId: 'i-00000000000000007'`,
        '    condition: selection',
        'level: high',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'rules', 'broken.yml'), 'title: Counting\nlogsource: { product: aws, service: cloudtrail }\ndetection:\n    sel: { eventName: X }\n    condition: sel | count() > 5\n');
    const run = await replay(['burst.jsonl'], { rules: ['rules'] }, dir);
    assert.equal(run.code, EXIT_FAILURE, 'a refused rule file is a problem');
    assert.match(run.errLines[0] ?? '', /^cloudtrail-slack replay: rules\/broken\.yml: .*count/);
    assert.deepEqual(run.payloads.slice(0, 2).map((p) => fieldOf(p, 'Event ID')), [idOf(7), STOP_LOGGING_ID], 'high and critical first, oldest first');
    assert.match(fieldOf(run.payloads[0], 'Rule') ?? '', /The prod database instance was tagged/);
    assert.deepEqual(run.payloads.slice(2).map((p) => digestSize(p)), [50, 9]);
    assert.match(run.errLines.at(-1) ?? '', /61 printed in 4 message\(s\) \(2 digests\), .*, 1 problem\(s\)$/);

    const bare = await replay(['burst.jsonl'], { builtin: false }, dir);
    assert.equal(bare.code, EXIT_OK, bare.err);
    assert.deepEqual(bare.payloads.map((p) => digestSize(p)), [50, 11], 'without the pack StopLogging matches nothing and is folded in');
  });

  test('muted events are counted by the mute that dropped them, never named', async (t) => {
    const dir = tempDir(t);
    const signIn = loadFixtureRecords().find((r) => r.eventID === SIGN_IN_WITH_MFA);
    const read = { ...burst()[0], eventID: 'read-1', eventName: 'DescribeInstances', readOnly: true };
    writeFileSync(join(dir, 'more.jsonl'), [signIn, read].map((r) => JSON.stringify(r)).join('\n'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ mute: [{ eventNames: ['Create*'], regions: ['eu-west-1'] }], exclude: { userNames: ['nobody'] } }));
    const run = await replay(['burst.jsonl', 'more.jsonl'], { config: 'c.json' }, dir);
    assert.equal(run.code, EXIT_OK, run.err);
    assert.deepEqual(run.payloads.map((p) => fieldOf(p, 'Event ID')), [STOP_LOGGING_ID]);
    assert.match(run.err, /63 record\(s\): 1 printed in 1 message\(s\), 1 read-only, 61 muted \(mute\[0\]: 60, built-in mute "ConsoleLogin": 1\), 0 duplicate\(s\)$/m);
    assert.ok(!run.err.includes('i-0'), 'no event value on stderr');
  });
});
