import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { EXIT_OK } from '../src/lib/errors';
import type { SlackMessage } from '../src/slack/types';
import { waitFor } from './support/cli-process';
import { startHarness, type Harness } from './support/daemon-harness';
import { loadFixtureRecords } from './support/fixtures';
import { startSmtp, type SmtpServer } from './support/smtp';

// The trail monitor inside the real daemon (runDaemon): the real SDK client against the CloudTrail simulator, the
// Slack simulator, the real smtp-server, a manual clock (autoAdvance: each 15-minute wait passes at once).

const BOUNDED = { timeout: 120_000 };
const REGION = 'eu-west-1';
const TRAIL = 'management-events';

async function setUp(t: TestContext): Promise<{ h: Harness; smtp: SmtpServer; start: () => ReturnType<Harness['run']> }> {
  const h = await startHarness(t);
  const smtp = await startSmtp(t);
  const email = { SMTP_URL: smtp.url, ALERT_EMAIL_TO: 'ops@example.com' };
  // A 1-minute cooldown (its minimum): checks are 15 minutes apart, so every opening of a kind is mailed.
  const config = h.config({ regions: [REGION] }, email, { alertCooldownMinutes: 1, digest: { enabled: false } });
  const start = () => h.run(config, { createTrailClient: (region) => h.trailClient(region) });
  return { h, smtp, start };
}

/** DescribeTrails calls so far: one per check (each call means the check before it has settled). */
function checks(h: Harness): number {
  return h.cloudtrail.requests.filter((r) => r.operation === 'DescribeTrails').length;
}

/** Waits until `count` more checks have started, so at least `count - 1` have finished since the call. */
async function moreChecks(h: Harness, count: number): Promise<void> {
  const target = checks(h) + count;
  await waitFor(`${count} more trail checks`, () => checks(h) >= target);
}

function slackText(h: Harness, index: number): string {
  const message = h.slack.received[index]?.body as SlackMessage | undefined;
  assert.ok(message, `Slack message ${index}`);
  return [message.text, ...(message.attachments ?? []).map((a) => a.text ?? '')].join('\n');
}

/** Breaks the account, expects ONE alert (Slack + email) over several checks, fixes it, expects ONE recovery. */
async function breakAndFix(
  h: Harness,
  smtp: SmtpServer,
  kind: string,
  slackPattern: RegExp,
  breakIt: () => void,
  fixIt: () => void,
): Promise<void> {
  const slackBefore = h.slack.received.length;
  const mailBefore = smtp.received.length;
  breakIt();
  await h.slack.waitForMessages(slackBefore + 1);
  await smtp.waitForMails(mailBefore + 1);
  await moreChecks(h, 3); // the same defect, seen twice more
  assert.equal(h.slack.received.length, slackBefore + 1, `${kind}: one Slack message while it lasts`);
  assert.equal(smtp.received.length, mailBefore + 1, `${kind}: one email while it lasts`);
  const alert = slackText(h, slackBefore);
  assert.match(alert, /cloudtrail-slack trail monitor/);
  assert.match(alert, /HIGH/);
  assert.match(alert, slackPattern);
  assert.equal((h.slack.received[slackBefore]?.body as SlackMessage).attachments?.[0]?.color, 'danger');
  assert.match(smtp.received[mailBefore]?.subject ?? '', new RegExp(`\\] ${kind} on `));

  fixIt();
  await h.slack.waitForMessages(slackBefore + 2);
  await smtp.waitForMails(mailBefore + 2);
  await moreChecks(h, 3);
  assert.equal(h.slack.received.length, slackBefore + 2, `${kind}: one recovery message`);
  assert.equal(smtp.received.length, mailBefore + 2, `${kind}: one recovery email`);
  assert.match(slackText(h, slackBefore + 1), /recovered/);
  assert.match(smtp.received[mailBefore + 1]?.subject ?? '', new RegExp(`recovered: ${kind} on `));
}

test('trail deleted, logging stopped, selectors changed (classic, advanced), permission removed: one alert and one recovery each', BOUNDED, async (t) => {
  const { h, smtp, start } = await setUp(t);
  const run = start();
  await moreChecks(h, 2);
  assert.equal(h.slack.received.length, 0, 'a healthy account: nothing to say');
  assert.equal(smtp.received.length, 0);
  const trails = h.cloudtrail.trails;
  const original = trails.list()[0]!;

  await breakAndFix(h, smtp, 'trail-missing', /no multi-region CloudTrail trail/, () => trails.remove(TRAIL), () => trails.put(original));
  await breakAndFix(h, smtp, 'trail-not-logging', /stopped logging/, () => trails.setLogging(TRAIL, false), () => trails.setLogging(TRAIL, true));
  await breakAndFix(
    h,
    smtp,
    'trail-selectors',
    /read-only management events only \(ReadWriteType ReadOnly\)/,
    () => trails.put({ Name: TRAIL, selectors: { EventSelectors: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: true }] } }),
    () => trails.put({ Name: TRAIL, selectors: original.selectors }),
  );
  const management = { Field: 'eventCategory', Equals: ['Management'] };
  await breakAndFix(
    h,
    smtp,
    'trail-selectors',
    /advanced event selectors record read-only management events only/,
    () => trails.put({ Name: TRAIL, selectors: { AdvancedEventSelectors: [{ FieldSelectors: [management, { Field: 'readOnly', Equals: ['true'] }] }] } }),
    () => trails.put({ Name: TRAIL, selectors: { AdvancedEventSelectors: [{ FieldSelectors: [management] }] } }),
  );
  await breakAndFix(h, smtp, 'trail-coverage', /global service events/, () => trails.put({ Name: TRAIL, IncludeGlobalServiceEvents: false }), () => trails.put({ Name: TRAIL, IncludeGlobalServiceEvents: true }));
  await breakAndFix(h, smtp, 'trail-monitor-denied', /lost its permission/, () => trails.deny(true), () => trails.deny(false));
  assert.match(smtp.received.at(-2)?.body ?? '', /cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus, cloudtrail:GetEventSelectors/);

  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
});

test('permission missing from the first check: one warning naming the actions, no alert, events still delivered', BOUNDED, async (t) => {
  const { h, smtp, start } = await setUp(t);
  h.cloudtrail.trails.deny(true);
  h.cloudtrail.addRecord(loadFixtureRecords().find((r) => r.readOnly === false)!, { region: REGION, eventTime: h.clock.now() - 60_000 });
  const run = start();
  await h.slack.waitForMessages(1);
  await waitFor('the poller to sleep a few more times', () => h.cloudtrail.requests.filter((r) => r.operation === 'LookupEvents').length >= 4);
  const off = run.logs.lines.filter((l) => String(l.msg).startsWith('trail monitor is off'));
  assert.equal(off.length, 1);
  assert.equal(off[0]?.level, 40);
  assert.deepEqual(off[0]?.grant, ['cloudtrail:DescribeTrails', 'cloudtrail:GetTrailStatus', 'cloudtrail:GetEventSelectors']);
  assert.equal(checks(h), 1, 'the monitor stays off');
  assert.equal(h.slack.received.length, 1, 'the event, and no trail alert');
  assert.doesNotMatch(slackText(h, 0), /trail monitor/);
  assert.equal(smtp.received.length, 0);
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
});

test('a defect left open by an earlier run is not alerted again after a restart, and its recovery still comes', BOUNDED, async (t) => {
  const { h, smtp, start } = await setUp(t);
  h.cloudtrail.trails.setLogging(TRAIL, false);
  const first = start();
  await h.slack.waitForMessages(1);
  await smtp.waitForMails(1);
  first.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await first.done, EXIT_OK);

  const second = start();
  await moreChecks(h, 3);
  assert.equal(h.slack.received.length, 1, 'no second Slack message for the same defect');
  assert.equal(smtp.received.length, 1, 'no second email');
  h.cloudtrail.trails.setLogging(TRAIL, true);
  await h.slack.waitForMessages(2);
  await smtp.waitForMails(2);
  assert.match(slackText(h, 1), /recovered: a CloudTrail trail stopped logging/);
  second.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await second.done, EXIT_OK);
});

test('a hostile trail name is shown, never acted on: escaped in Slack, in a code span', BOUNDED, async (t) => {
  const { h, smtp, start } = await setUp(t);
  const hostile = '<!channel> *urgent* `x` <https://evil.example|click>';
  h.cloudtrail.trails.remove(TRAIL);
  h.cloudtrail.trails.put({ Name: hostile, isLogging: false });
  const run = start();
  await h.slack.waitForMessages(1);
  await smtp.waitForMails(1);
  const raw = h.slack.received[0]!.raw;
  const text = slackText(h, 0);
  assert.ok(!text.includes('<!channel>') && !text.includes('<https://'), text);
  assert.match(text, /&lt;!channel&gt;/);
  assert.match(text, /\*Trail:\* `&lt;!channel&gt; \*urgent\* ˋxˋ &lt;https:\/\/evil\.example\|click&gt;`/);
  assert.ok(!raw.includes('SECRETTOKEN123'));
  assert.match(smtp.received[0]?.body ?? '', /<!channel> \*urgent\*/, 'the email is plain text: shown as is');
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
});

test('throttling and 5xx are logged and retried at the next interval, never alerted; trailMonitor.region picks the home region', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const smtp = await startSmtp(t);
  const email = { SMTP_URL: smtp.url, ALERT_EMAIL_TO: 'ops@example.com' };
  const config = h.config({ regions: [REGION] }, email, { trailMonitor: { region: 'us-east-1', intervalMinutes: 5 } });
  // Scripted before the start: the first two checks fail, in us-east-1 only (the poller reads eu-west-1).
  h.cloudtrail.failNext('us-east-1', 'throttle');
  h.cloudtrail.failNext('us-east-1', { status: 503 });
  const run = h.run(config, { createTrailClient: (region) => h.trailClient(region) });
  await moreChecks(h, 4);
  const failed = run.logs.lines.filter((l) => l.msg === 'trail check failed; trying again at the next interval');
  assert.deepEqual(failed.map((l) => [l.level, l.errorKind]), [[40, 'throttled'], [40, 'transient']]);
  const trailCalls = h.cloudtrail.requests.filter((r) => r.operation !== 'LookupEvents');
  assert.ok(trailCalls.every((r) => r.region === 'us-east-1'));
  const describeTimes = trailCalls.filter((r) => r.operation === 'DescribeTrails').map((r) => r.at);
  assert.equal(describeTimes[1]! - describeTimes[0]!, 5 * 60_000, 'the next try is one interval later');
  assert.equal(h.slack.received.length, 0);
  assert.equal(smtp.received.length, 0);
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
});

test('a trail deleted while a defect of it is open: no "recovered" for that defect until a healthy trail is back', BOUNDED, async (t) => {
  const { h, smtp, start } = await setUp(t);
  const run = start();
  await moreChecks(h, 2);
  const trails = h.cloudtrail.trails;
  const original = trails.list()[0]!;
  trails.put({ Name: TRAIL, selectors: { EventSelectors: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: true }] } });
  await h.slack.waitForMessages(1);
  trails.remove(TRAIL);
  await h.slack.waitForMessages(2);
  await moreChecks(h, 3);
  const texts = h.slack.received.map((_m, i) => slackText(h, i));
  assert.equal(texts.length, 2, `the selectors alert, then the missing-trail alert; nothing else: ${texts.join(' | ')}`);
  assert.match(texts[0]!, /read-only management events only/);
  assert.match(texts[1]!, /no multi-region CloudTrail trail/);
  assert.ok(!smtp.received.some((m) => /recovered/.test(m.subject)), 'no recovery email while the trail is gone');
  trails.put(original);
  await h.slack.waitForMessages(4);
  await smtp.waitForMails(4);
  const recovered = smtp.received.filter((m) => /recovered/.test(m.subject)).map((m) => m.subject.replace(/ on .*/, '')).sort();
  assert.deepEqual(recovered, ['[cloudtrail-slack] recovered: trail-missing', '[cloudtrail-slack] recovered: trail-selectors']);
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
});
