import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXIT_FAILURE, EXIT_OK } from '../src/lib/errors';
import { startHarness, type Harness } from './support/daemon-harness';
import { loadFixtureRecords } from './support/fixtures';

// One bad state file stops only its own region, and every value read back is checked: the daemon end to end,
// against the CloudTrail and Slack simulators, with one region's state file damaged.

const MIN = 60_000;
const GOOD = 'us-east-1';
const BAD = 'eu-west-1';
const BOUNDED = { timeout: 90_000 };

/** One recent write event in each region; returns the event IDs by region. */
function addEvents(h: Harness): Record<string, string> {
  const [a, b] = loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin');
  const now = h.clock.now();
  h.cloudtrail.addRecord(a!, { region: GOOD, eventTime: now - 10 * MIN });
  h.cloudtrail.addRecord(b!, { region: BAD, eventTime: now - 10 * MIN });
  return { [GOOD]: a!.eventID!, [BAD]: b!.eventID! };
}

function posted(h: Harness, id: string): boolean {
  return h.slack.received.some((m) => m.raw.includes(id));
}

const statePath = (h: Harness, region: string) => join(h.stateDir, `.default.${region}.cloudtrail.state`);

const writeState = (h: Harness, fields: Record<string, unknown>) =>
  writeFileSync(statePath(h, BAD), JSON.stringify({ version: 1, offset: h.clock.now() - 30 * MIN, delivered: {}, updatedAt: h.clock.now(), ...fields }));

/** A version 2 file whose one delivered entry is `entry`. */
const writeV2 = (h: Harness, entry: unknown, fields: Record<string, unknown> = {}) =>
  writeFileSync(statePath(h, BAD), JSON.stringify({ version: 2, offset: h.clock.now() - 30 * MIN, delivered: { 'x-1': entry }, updatedAt: h.clock.now(), ...fields }));

const damaged: Array<[string, (h: Harness) => void]> = [
  ['offset 1e300 (past the Date range)', (h) => writeState(h, { offset: 1e300 })],
  ['offset 8.7e15 (just past the Date range)', (h) => writeState(h, { offset: 8.7e15 })],
  ['offset -1e300', (h) => writeState(h, { offset: -1e300 })],
  ['offset 0 (before CloudTrail existed)', (h) => writeState(h, { offset: 0 })],
  ['offset one hour in the future', (h) => writeState(h, { offset: h.clock.now() + 60 * MIN })],
  ['updatedAt past the Date range', (h) => writeState(h, { updatedAt: 9e15 })],
  ['lastScanEnd -1e300', (h) => writeState(h, { lastScanEnd: -1e300 })],
  ['a delivered time past the Date range', (h) => writeState(h, { delivered: { 'x-1': 1e300 } })],
  ['a delivered ID of 10,000 characters', (h) => writeState(h, { delivered: { ['x'.repeat(10_000)]: h.clock.now() } })],
  ['an empty delivered ID', (h) => writeState(h, { delivered: { '': h.clock.now() } })],
  ['a version 2 entry delivered to no webhook', (h) => writeV2(h, { t: h.clock.now(), to: [] })],
  ['a version 2 entry delivered to 17 webhooks', (h) => writeV2(h, { t: h.clock.now(), to: Array.from({ length: 17 }, (_, i) => `w${i}`) })],
  ['a version 2 entry naming a webhook "../../etc"', (h) => writeV2(h, { t: h.clock.now(), to: ['../../etc'] })],
  ['a version 2 entry whose t is past the Date range', (h) => writeV2(h, { t: -9e15, to: ['default'] })],
  ['a version 3 file (a newer release)', (h) => writeV2(h, { t: h.clock.now(), to: ['default'] }, { version: 3 })],
];

for (const [label, damage] of damaged) {
  test(`a state file with ${label} is set aside; its region restarts from the lookback and both regions deliver`, BOUNDED, async (t) => {
    const h = await startHarness(t);
    const ids = addEvents(h);
    damage(h);
    const run = h.run(h.config({ regions: [GOOD, BAD], once: true }));
    assert.equal(await run.done, EXIT_OK);
    assert.ok(posted(h, ids[GOOD]!), 'the healthy region delivered');
    assert.ok(posted(h, ids[BAD]!), 'the damaged region delivered the last 20 minutes too');
    const aside = readdirSync(h.stateDir).filter((n) => n.startsWith(`.default.${BAD}.cloudtrail.state.corrupt-`));
    assert.equal(aside.length, 1, 'the bad file is kept aside for a human');
    const error = run.logs.lines.find((l) => l['msg'] === 'state file is corrupt; moved it aside and restarting region from the initial lookback');
    assert.ok(error && error['region'] === BAD, 'logged with its region');
    assert.ok(run.logs.lines.some((l) => l['kind'] === 'state-corrupt' && l['region'] === BAD), 'and alerted');
  });
}

test('a state path that is a directory fails only its region (--once: exit 1), with advice for that path', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const ids = addEvents(h);
  mkdirSync(statePath(h, BAD));
  const run = h.run(h.config({ regions: [GOOD, BAD], once: true }));
  assert.equal(await run.done, EXIT_FAILURE);
  assert.ok(posted(h, ids[GOOD]!), 'the other region delivered');
  assert.ok(!posted(h, ids[BAD]!));
  const alert = run.logs.lines.find((l) => l['kind'] === 'state-unreadable');
  assert.ok(alert, 'alerted');
  assert.equal(alert['region'], BAD);
  assert.match(String(alert['reason']), /is a directory, not a state file/);
  assert.match(String(alert['action']), /move it out of the state folder/);
  assert.ok(!run.logs.text().includes("fix the state folder's permissions"), 'not the old, wrong advice');
  assert.ok(existsSync(statePath(h, BAD)), 'left where it is');
});

test('the daemon keeps running with a directory in place of a state file, and the region starts once it is moved', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const [good, late] = loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin');
  h.cloudtrail.addRecord(good!, { region: GOOD, eventTime: h.clock.now() - 10 * MIN });
  mkdirSync(statePath(h, BAD));
  const run = h.run(h.config({ regions: [GOOD, BAD] }));
  await h.slack.waitForMessages(1);
  assert.ok(posted(h, good!.eventID!));
  rmSync(statePath(h, BAD), { recursive: true });
  // Simulated time runs on meanwhile: an event from "now" is inside the window the region reads once it starts.
  h.cloudtrail.addRecord(late!, { region: BAD, eventTime: h.clock.now() - MIN });
  await h.slack.waitForMessages(2); // the region retries on its own
  assert.ok(posted(h, late!.eventID!));
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
  assert.ok(run.logs.lines.some((l) => l['msg'] === 'alert condition recovered' && l['kind'] === 'state-unreadable'));
});

test('a journal a crash left behind is replayed: its events are not posted again, and the save after the scan empties it', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const ids = addEvents(h);
  const journal = `${statePath(h, BAD)}.journal`;
  writeFileSync(journal, `${JSON.stringify({ to: 'default', ids: [ids[BAD]], t: [h.clock.now() - 10 * MIN] })}\n{"to":"default","ids":["torn`);
  const run = h.run(h.config({ regions: [GOOD, BAD], once: true }));
  assert.equal(await run.done, EXIT_OK);
  assert.ok(posted(h, ids[GOOD]!));
  assert.ok(!posted(h, ids[BAD]!), 'delivered before the crash: not posted again');
  assert.ok(run.logs.lines.some((l) => l['msg'] === 'state journal ends with an incomplete line (a crash while writing it?); ignoring that line' && l['region'] === BAD));
  assert.ok(!existsSync(journal), 'the snapshot now holds it');
  const saved = JSON.parse(readFileSync(statePath(h, BAD), 'utf8'));
  assert.equal(saved.version, 2);
  assert.deepEqual(saved.delivered[ids[BAD]!].to, ['default']);
});
