import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { startHarness, type Harness } from './support/daemon-harness';
import { loadFixtureRecords } from './support/fixtures';
import type { CloudTrailRecord } from '../src/events/types';
import { EXIT_FAILURE, EXIT_FATAL, EXIT_OK } from '../src/lib/errors';
import { fromRecord } from '../src/events/parse';
import { LEVEL_ORDER } from '../src/rules/decision';
import { buildDecider } from '../src/rules/build-decider';
import { loadRuleSet } from '../src/rules/load-rule-set';

const MIN = 60_000;
/** A broken daemon must fail a test, not hang the run. */
const BOUNDED = { timeout: 90_000 };
/** These tests count one Slack message per event: digests (issue 8) would fold a burst into fewer. */
const ONE_MESSAGE_PER_EVENT = { digest: { enabled: false } };
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];

interface Seeded {
  id: string;
  region: string;
  time: number;
  expected: boolean;
}

/** The fixture's one sign-in the built-in pack flags ("Console sign-in without MFA": MFAUsed "No"). */
const RISKY_SIGN_INS = new Set(['70e5932e-9022-4b38-837e-ca10dad94eb7']);

/** Spreads the real records over three regions and over the last 18 minutes, oldest first. */
function seedFixtures(h: Harness, records: CloudTrailRecord[], windowStart: number, windowEnd: number): Seeded[] {
  const times = records.map((r) => Date.parse(String(r.eventTime)));
  const first = Math.min(...times);
  const span = Math.max(...times) - first || 1;
  return records.map((record, i) => {
    const region = REGIONS[i % REGIONS.length]!;
    const time = Math.floor((windowStart + ((times[i]! - first) / span) * (windowEnd - windowStart)) / 1000) * 1000;
    h.cloudtrail.addRecord(record, { region, eventTime: time });
    // A sign-in is muted by default unless the built-in pack rates it (no MFA, a failed root sign-in): issue 8.
    const expected = record.readOnly === false && (record.eventName !== 'ConsoleLogin' || RISKY_SIGN_INS.has(String(record.eventID)));
    return { id: String(record.eventID), region, time, expected };
  });
}

/** The IDs the built-in pack rates high or critical (the daemon's own rule set and decider). */
async function urgentIds(records: CloudTrailRecord[]): Promise<Set<string>> {
  const { index } = await loadRuleSet({ paths: [], builtin: true });
  const decide = buildDecider({ routes: [], mute: [], exclude: { eventNames: [], eventSources: [], userNames: [] } }, index);
  return new Set(records.flatMap((record) => {
    const event = fromRecord(record, 'us-east-1');
    return event !== undefined && LEVEL_ORDER[decide(event, { region: 'us-east-1' }).level] >= LEVEL_ORDER.high ? [event.id] : [];
  }));
}

/** Which seeded event each Slack message is about (every message carries its Event ID). */
function postedIds(h: Harness, seeded: Seeded[]): string[] {
  const ids = new Set(seeded.map((s) => s.id));
  return h.slack.received.map((m) => {
    const found = [...m.raw.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g)]
      .map((x) => x[0])
      .filter((id) => ids.has(id));
    assert.equal(new Set(found).size, 1, `message should name exactly one event: ${m.raw.slice(0, 200)}`);
    return found[0]!;
  });
}

test('--once posts every write event of three regions exactly once, oldest first, without a throttled request', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const now = h.clock.now();
  const seeded = seedFixtures(h, loadFixtureRecords(), now - 18 * MIN, now - MIN);
  const expected = seeded.filter((s) => s.expected);
  assert.ok(expected.length > 300, 'hundreds of real write events');

  const run = h.run(h.config({ regions: REGIONS, once: true }, {}, ONE_MESSAGE_PER_EVENT));
  assert.equal(await run.done, EXIT_OK);

  const posted = postedIds(h, seeded);
  assert.equal(posted.length, expected.length, 'one message per write event');
  assert.deepEqual(new Set(posted), new Set(expected.map((s) => s.id)));
  const byId = new Map(seeded.map((s) => [s.id, s]));
  // Issue 8: high and critical events go out first, on their own; within each kind, oldest first.
  const urgent = await urgentIds(loadFixtureRecords());
  assert.ok(urgent.size > 0, 'the pack rates some fixture events high or critical');
  for (const region of REGIONS) {
    const mine = posted.map((id) => byId.get(id)!).filter((s) => s.region === region);
    const oldestFirst = (list: Seeded[]) => [...list].sort((a, b) => a.time - b.time).map((s) => s.id);
    const first = mine.filter((s) => urgent.has(s.id));
    const rest = mine.filter((s) => !urgent.has(s.id));
    assert.deepEqual(mine.map((s) => s.id), [...oldestFirst(first), ...oldestFirst(rest)], `${region}: high first, then the rest, each oldest first`);
  }
  const statuses = new Set(h.cloudtrail.requests.map((r) => r.status));
  assert.deepEqual(statuses, new Set([200]), 'no throttled or failed LookupEvents request');
  for (const r of h.cloudtrail.requests) {
    assert.deepEqual((r.body as { LookupAttributes: unknown }).LookupAttributes, [{ AttributeKey: 'ReadOnly', AttributeValue: 'false' }]);
  }
  assert.ok(!run.logs.text().includes('SECRETTOKEN123'), 'the webhook never reaches a log line');
});

test('a second run posts only the events that became visible late, and none twice', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const records = loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin').slice(0, 60);
  const now = h.clock.now();
  const seeded = seedFixtures(h, records.slice(0, 40), now - 10 * MIN, now - MIN);
  assert.equal(await h.run(h.config({ regions: REGIONS, once: true }, {}, ONE_MESSAGE_PER_EVENT)).done, EXIT_OK);
  assert.equal(h.slack.received.length, 40);

  // 20 more events that happened before the first run but became visible only after it (up to 12 min late).
  await h.clock.advance(2 * MIN);
  const lateStart = h.clock.now();
  const late = records.slice(40).map((record, i) => {
    const time = Math.floor((now - 9 * MIN + i * 1000) / 1000) * 1000;
    const region = REGIONS[i % 3]!;
    h.cloudtrail.addRecord(record, { region, eventTime: time, visibleAt: lateStart });
    return { id: String(record.eventID), region, time, expected: true };
  });
  assert.equal(await h.run(h.config({ regions: REGIONS, once: true }, {}, ONE_MESSAGE_PER_EVENT)).done, EXIT_OK);
  const posted = postedIds(h, [...seeded, ...late]);
  assert.equal(posted.length, 60);
  assert.equal(new Set(posted).size, 60, 'nothing posted twice');
  assert.deepEqual(new Set(posted.slice(40)), new Set(late.map((s) => s.id)));
});

test('a stop mid-run saves what was delivered; the next run posts the rest and nothing twice', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const records = loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin').slice(0, 90);
  const now = h.clock.now();
  const seeded = seedFixtures(h, records, now - 15 * MIN, now - MIN);
  const first = h.run(h.config({ regions: REGIONS }, {}, ONE_MESSAGE_PER_EVENT));
  await h.slack.waitForMessages(30);
  first.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await first.done, EXIT_OK);
  const deliveredBefore = h.slack.received.length;
  assert.ok(deliveredBefore >= 30 && deliveredBefore < 90, `stopped mid-run after ${deliveredBefore}`);
  const logMessages = first.logs.lines.map((l) => l.msg);
  assert.ok(logMessages.includes('stopping') && logMessages.includes('stopped'));

  assert.equal(await h.run(h.config({ regions: REGIONS, once: true }, {}, ONE_MESSAGE_PER_EVENT)).done, EXIT_OK);
  const posted = postedIds(h, seeded);
  assert.equal(posted.length, 90, 'all delivered across the two runs');
  assert.equal(new Set(posted).size, 90, 'no duplicate after a graceful stop');
});

test('AccessDenied in every region is fatal: exit 77, naming cloudtrail:LookupEvents', BOUNDED, async (t) => {
  const h = await startHarness(t);
  h.cloudtrail.setRegionFailure('*', 'AccessDeniedException');
  const run = h.run(h.config({ regions: REGIONS }));
  assert.equal(await run.done, EXIT_FATAL);
  const fatal = run.logs.lines.find((l) => l.level === 60);
  assert.ok(fatal, 'a fatal log line');
  assert.match(JSON.stringify(fatal), /cloudtrail:LookupEvents/);
  // No region can claim "this region only": none of the others ever worked.
  const claims = run.logs.lines.filter((l) => /this region only|while others work/.test(String(l.msg)));
  assert.deepEqual(claims.map((l) => l.msg), []);
  assert.ok(run.logs.lines.some((l) => /the other regions have not answered/.test(String(l.msg))), 'what is known is said');
});

test('an auth failure in one region while another works is "this region only"; --once claims no retry', BOUNDED, async (t) => {
  const h = await startHarness(t);
  h.cloudtrail.setRegionFailure('eu-west-1', 'AccessDeniedException');
  const run = h.run(h.config({ regions: ['us-east-1', 'eu-west-1'], once: true }));
  assert.equal(await run.done, EXIT_FAILURE);
  const lines = run.logs.lines.filter((l) => l.region === 'eu-west-1' && l.level === 40);
  assert.ok(lines.length > 0);
  for (const line of lines) assert.equal(line.retryInMs, undefined, `--once retries nothing: ${JSON.stringify(line)}`);
  assert.ok(run.logs.lines.every((l) => !/backing off/.test(String(l.msg))), 'no "backing off" in --once');
});

test('an opt-in region that is not enabled is skipped while the others deliver', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const records = loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin').slice(0, 30);
  const now = h.clock.now();
  seedFixtures(h, records, now - 10 * MIN, now - MIN);
  h.cloudtrail.setRegionFailure('ap-southeast-2', 'UnrecognizedClientException');
  const run = h.run(h.config({ regions: REGIONS }, {}, ONE_MESSAGE_PER_EVENT));
  await h.slack.waitForMessages(20); // the two enabled regions' share
  await h.clock.advance(2 * MIN);
  run.proc.emit('SIGINT', 'SIGINT');
  assert.equal(await run.done, EXIT_OK);
  assert.equal(h.slack.received.length, 20);
  const warn = run.logs.lines.find((l) => l.region === 'ap-southeast-2' && l.level === 40);
  assert.ok(warn && String(warn.msg).includes('not enabled'));

  // --once reports the region as failed (exit 1) instead of waiting an hour for it.
  assert.equal(await h.run(h.config({ regions: REGIONS, once: true })).done, EXIT_FAILURE);
});

test('UnrecognizedClientException in every region means bad credentials: fatal', BOUNDED, async (t) => {
  const h = await startHarness(t);
  h.cloudtrail.setRegionFailure('*', 'UnrecognizedClientException');
  const run = h.run(h.config({ regions: REGIONS, once: true }));
  assert.equal(await run.done, EXIT_FATAL);
  assert.match(JSON.stringify(run.logs.lines.find((l) => l.level === 60)), /credentials/);
});

test('--dry-run prints one JSON payload per event and moves no offset', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const records = loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin').slice(0, 12);
  const now = h.clock.now();
  seedFixtures(h, records, now - 10 * MIN, now - MIN);
  const run = h.run(h.config({ regions: REGIONS, once: true, dryRun: true }, {}, ONE_MESSAGE_PER_EVENT));
  assert.equal(await run.done, EXIT_OK);
  assert.equal(run.out.length, 12);
  for (const line of run.out) assert.ok(JSON.parse(line).text);
  assert.equal(h.slack.requests.length, 0, 'nothing posted');
  for (const region of REGIONS) {
    assert.ok(!existsSync(`${h.stateDir}/.default.${region}.cloudtrail.state`), 'no state written');
  }  // The log says what happened: printed, not posted.
  const messages = run.logs.lines.map((l) => String(l.msg));
  assert.equal(messages.filter((m) => /(?<!not )posted/.test(m)).length, 0, messages.join(' | '));
  assert.equal(messages.filter((m) => m === 'event printed, not posted (--dry-run)').length, 12);
  const summary = run.logs.lines.find((l) => l.msg === 'pass complete');
  assert.equal(summary?.printed, 12);
  assert.equal(summary?.posted, 0);
});

test('state files hold the offset and delivered IDs, mode 0600', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const records = loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin').slice(0, 6);
  const now = h.clock.now();
  seedFixtures(h, records, now - 5 * MIN, now - MIN);
  assert.equal(await h.run(h.config({ regions: REGIONS, once: true })).done, EXIT_OK);
  const { statSync } = await import('node:fs');
  const file = `${h.stateDir}/.default.us-east-1.cloudtrail.state`;
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const state = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(state.version, 2);
  assert.equal(Object.keys(state.delivered).length, 2);
  for (const entry of Object.values(state.delivered)) assert.deepEqual((entry as { to: string[] }).to, ['default']);
});
