import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { createDailyHeartbeat, heartbeatStatePath, isDailyDue } from '../src/monitors/heartbeat-daily';
import { StatusBoard } from '../src/observability/status-board';
import { DEFAULT_DIGEST_OPTIONS } from '../src/pipeline/plan';
import { createWebhookQueue } from '../src/pipeline/webhook-queue';
import { startSlackSimulator, type SlackSimulator } from '../src/sim/slack-server';
import { createSlackSender } from '../src/slack/sender';
import { accountCountsOf, formatHeartbeatMessage } from '../src/slack/format-heartbeat';
import type { SlackAttachment } from '../src/slack/types';
import { captureLogger, WEBHOOK_PATH } from './support/daemon-harness';
import { ManualClock } from './support/manual-clock';

// The daily heartbeat message through the real webhook queue and paced sender to the Slack simulator, on a manual
// clock that starts at 2026-11-26 12:00 UTC; heartbeat.slackDaily = "12:30".

const MIN = 60_000;
const BOUNDED = { timeout: 60_000 };
const EAST = 'us-east-1';
const WEST = 'eu-west-1';

async function slackSim(t: TestContext, clock: ManualClock): Promise<SlackSimulator> {
  const slack = await startSlackSimulator({ path: WEBHOOK_PATH, now: () => clock.now() });
  t.after(() => slack.close());
  return slack;
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'heartbeat-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One daemon run: a board, the default webhook's queue, the daily heartbeat service. */
function run(t: TestContext, clock: ManualClock, slack: SlackSimulator, dir: string, dryRun = false) {
  const logs = captureLogger();
  const board = new StatusBoard(() => clock.now());
  const stop = new AbortController();
  t.after(() => stop.abort());
  const sender = createSlackSender({ webhookUrl: slack.url, clock, log: logs.log });
  const queue = createWebhookQueue({ name: 'default', sender, log: logs.log, digest: DEFAULT_DIGEST_OPTIONS, signal: stop.signal });
  const service = createDailyHeartbeat({
    board,
    clock,
    log: logs.log,
    queueFor: (name) => (name === 'default' ? queue : undefined),
    config: {
      heartbeat: { url: undefined, timeoutSeconds: 10, slackDaily: '12:30' },
      stateDir: dir,
      stateProfile: 'prod',
      dryRun,
      slack: { webhookUrl: slack.url, webhooks: { default: slack.url } },
    },
  });
  const running = service.run(stop.signal);
  /** Moves the clock minute by minute, waiting for each check (and a post it makes) to finish. */
  const minutes = async (n: number) => {
    for (let i = 0; i < n; i += 1) {
      await clock.advance(MIN);
      while (clock.pending < 1 && !stop.signal.aborted) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  const halt = async () => {
    stop.abort();
    await running;
  };
  return { board, logs, minutes, halt };
}

function attachmentText(slack: SlackSimulator, index: number): string {
  const body = slack.received[index]?.body as { text: string; attachments: SlackAttachment[] };
  return `${body.text}\n${body.attachments[0]?.title}\n${body.attachments[0]?.text}`;
}

test('one message a day at 12:30 UTC with the counts of the period, through the webhook queue to Slack', BOUNDED, async (t) => {
  const clock = new ManualClock();
  const slack = await slackSim(t, clock);
  const dir = tempDir(t);
  const day = run(t, clock, slack, dir);
  await waitAsleep(clock);
  const { board } = day;
  board.targetStarted(EAST, clock.now());
  board.targetStarted(WEST, clock.now());
  board.lookupRequest(EAST, 'ok');
  board.lookupRequest(WEST, 'throttled');
  board.events(EAST, 'read', 10);
  board.events(EAST, 'posted', 7);
  board.events(EAST, 'digested', 2);
  board.events(EAST, 'muted', 1);
  board.slackMessage('default', 'ok');
  board.slackMessage('default', 'rate_limited');
  board.alertSent('throttled', 'eu-west-1 throttled', WEST);
  board.scanSucceeded(EAST, { start: clock.now() - MIN, end: clock.now() }, true);
  board.scanFailed(WEST, 'ThrottlingException');

  await day.minutes(29);
  assert.equal(slack.received.length, 0, 'not before 12:30');
  await day.minutes(1);
  await slack.waitForMessages(1);
  const first = attachmentText(slack, 0);
  assert.match(first, /^:heartbeat: Heartbeat, cloudtrail-slack \(profile prod\): running, 1 region\(s\) failing\./);
  assert.match(first, /Daily heartbeat \(not an event\)/);
  assert.match(first, /Since the daemon started, 2026-11-26T12:00:00Z \(30 minutes\)/);
  assert.match(first, /\*Events:\* 10 read, 7 posted, 2 in digests, 1 muted, 0 undeliverable/);
  assert.match(first, /\*LookupEvents requests:\* 2 \(1 throttled, 0 denied, 0 failed\)/);
  assert.match(first, /\*Slack messages:\* 1 accepted, 1 rate-limited \(429\), 0 failed/);
  assert.match(first, /\*Alerts:\* 1/);
  assert.match(first, /\*Regions:\* 1 ok, 1 failing \(eu-west-1\)/);

  // The next day: only what happened since the first message.
  board.events(WEST, 'read', 3);
  board.scanSucceeded(WEST, { start: clock.now() - MIN, end: clock.now() }, true);
  await day.minutes(24 * 60 - 1);
  assert.equal(slack.received.length, 1, 'once a day');
  await day.minutes(1);
  await slack.waitForMessages(2);
  const second = attachmentText(slack, 1);
  assert.match(second, /running, every region is read\./);
  assert.match(second, /Since the previous heartbeat, 2026-11-26T12:30:00Z \(24 hours\)/);
  assert.match(second, /\*Events:\* 3 read, 0 posted, 0 in digests, 0 muted, 0 undeliverable/);
  assert.match(second, /\*Alerts:\* 0/);
  assert.match(second, /\*Regions:\* 2 ok, 0 failing/);
  await day.halt();
  const saved = JSON.parse(readFileSync(heartbeatStatePath(dir, 'prod'), 'utf8')) as { lastSentDay: string };
  assert.equal(saved.lastSentDay, '2026-11-27');
});

test('a restart on the same day does not send it again; the next day it goes out', BOUNDED, async (t) => {
  const clock = new ManualClock();
  const slack = await slackSim(t, clock);
  const dir = tempDir(t);
  const before = run(t, clock, slack, dir);
  await waitAsleep(clock);
  await before.minutes(31);
  await slack.waitForMessages(1);
  await before.halt();

  await clock.advance(10 * MIN); // restarted at 12:41
  const after = run(t, clock, slack, dir);
  await waitAsleep(clock);
  await after.minutes(11 * 60);
  assert.equal(slack.received.length, 1, 'not again on 2026-11-26');
  await after.minutes(13 * 60);
  await slack.waitForMessages(2);
  assert.match(attachmentText(slack, 1), /Since the daemon started, 2026-11-26T12:41:00Z/);
  await after.halt();
});

test('a daemon started after the time of day sends that day\'s message at its first check; an unreadable state file is not fatal', BOUNDED, async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 10, 26, 18, 0, 0));
  const slack = await slackSim(t, clock);
  const dir = tempDir(t);
  writeFileSync(heartbeatStatePath(dir, 'prod'), '{"lastSentDay": 12');
  const late = run(t, clock, slack, dir);
  await waitAsleep(clock);
  await late.minutes(1);
  await slack.waitForMessages(1);
  assert.ok(late.logs.lines.some((l) => String(l.msg).startsWith('heartbeat state file unreadable')));
  await late.halt();
});

test('--dry-run: the message goes to the queue (whose sender prints it in a real --dry-run) and no state is written', BOUNDED, async (t) => {
  const clock = new ManualClock();
  const slack = await slackSim(t, clock);
  const dir = tempDir(t);
  const dry = run(t, clock, slack, dir, true);
  await waitAsleep(clock);
  await dry.minutes(31);
  await slack.waitForMessages(1);
  await dry.halt();
  assert.throws(() => readFileSync(heartbeatStatePath(dir, 'prod')), /ENOENT/);
});

test('isDailyDue: from HH:MM UTC to the end of that UTC day, unless sent that day', () => {
  const at = (h: number, m: number, d = 26) => Date.UTC(2026, 10, d, h, m);
  assert.equal(isDailyDue(at(8, 59), '09:00', undefined), false);
  assert.equal(isDailyDue(at(9, 0), '09:00', undefined), true);
  assert.equal(isDailyDue(at(23, 59), '09:00', '2026-11-25'), true);
  assert.equal(isDailyDue(at(23, 59), '09:00', '2026-11-26'), false);
  assert.equal(isDailyDue(at(0, 0, 27), '00:00', '2026-11-26'), true);
});

test('the message escapes what it shows and stays short', () => {
  const zero = { ok: 0, throttled: 0, denied: 0, error: 0 };
  const message = formatHeartbeatMessage({
    since: Date.UTC(2026, 10, 26),
    sinceStart: true,
    now: Date.UTC(2026, 10, 26, 1),
    counts: { lookups: zero, events: { read: 0, posted: 0, digested: 0, muted: 0, duplicate: 0, undeliverable: 0 }, slack: { ok: 0, rate_limited: 0, refused: 0, error: 0 }, alerts: 0 },
    regions: [],
    profile: '<!channel>&co',
  });
  const raw = JSON.stringify(message);
  assert.ok(!raw.includes('<!channel>'), raw);
  assert.match(message.text, /&lt;!channel&gt;&amp;co/);
  assert.ok(raw.length < 2000);
});

/** Resolves once the service sleeps until its first check. */
async function waitAsleep(clock: ManualClock): Promise<void> {
  while (clock.pending < 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

test('several accounts: the heartbeat names failing targets with their account and counts the period per account', BOUNDED, async (t) => {
  const clock = new ManualClock();
  const slack = await slackSim(t, clock);
  const day = run(t, clock, slack, tempDir(t));
  await waitAsleep(clock);
  const { board } = day;
  const PROD_WEST = `222233334444/${WEST}`;
  const DEV_WEST = `555566667777/${WEST}`;
  board.targetStarted(PROD_WEST, clock.now());
  board.targetStarted(DEV_WEST, clock.now());
  board.events(PROD_WEST, 'read', 4);
  board.events(PROD_WEST, 'posted', 3);
  board.scanSucceeded(PROD_WEST, { start: clock.now() - MIN, end: clock.now() }, true);
  board.scanFailed(DEV_WEST, 'AccessDenied');
  await day.minutes(30);
  await slack.waitForMessages(1);
  const first = attachmentText(slack, 0);
  assert.match(first, /\*Regions:\* 1 ok, 1 failing \(eu-west-1 of 555566667777\)/);
  assert.match(first, /\*Accounts:\* 2\n• 555566667777: 1 region\(s\), 1 failing; 0 events read, 0 posted\n• 222233334444: 1 region\(s\); 4 events read, 3 posted/);
  board.events(PROD_WEST, 'posted', 2);
  board.scanSucceeded(DEV_WEST, { start: clock.now() - MIN, end: clock.now() }, true);
  await day.minutes(24 * 60);
  await slack.waitForMessages(2);
  assert.match(attachmentText(slack, 1), /• 222233334444: 1 region\(s\); 0 events read, 2 posted/, 'only the period since the previous one');
  await day.halt();
});

test('the per-account lines name accounts "name (id)", escaped, and stop at MAX_ACCOUNT_LINES', () => {
  const board = new StatusBoard(() => 0);
  const names = new Map([['222233334444', '<!channel> prod']]);
  const named = new StatusBoard(() => 0, { nameOf: (id) => names.get(id) });
  for (let i = 0; i < 60; i += 1) named.targetStarted(`${String(100000000000 + i)}/eu-west-1`, 0);
  named.targetStarted('222233334444/eu-west-1', 0);
  named.scanFailed('222233334444/eu-west-1', 'AccessDenied');
  const views = named.view();
  const text = formatHeartbeatMessage({ since: 0, sinceStart: true, now: 0, counts: board.snapshotTotals(), regions: views, accounts: accountCountsOf(views, new Map()) }).attachments?.[0]?.text ?? '';
  assert.match(text, /\*Accounts:\* 61\n• &lt;!channel&gt; prod \(222233334444\): 1 region\(s\), 1 failing/);
  assert.doesNotMatch(text, /<!channel>/);
  assert.match(text, /• …and 11 more accounts: 0 region\(s\) failing; 0 events read, 0 posted$/);
  const single = formatHeartbeatMessage({ since: 0, sinceStart: true, now: 0, counts: board.snapshotTotals(), regions: [], accounts: accountCountsOf([views[0]!], new Map()) });
  assert.doesNotMatch(single.attachments?.[0]?.text ?? '', /Accounts/, 'one account: as before');
});
