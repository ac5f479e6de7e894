import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSlackSimulator, type SlackSimulator } from '../src/sim/slack-server';
import { EXIT_OK } from '../src/lib/errors';
import { captureLogger, startHarness, type Harness } from './support/daemon-harness';
import { createStateStore } from '../src/state/store';
import { isDeliveredTo } from '../src/state/region-state';
import { idsPerMessage, makeBurst, stopLogging, burstId } from './support/burst';

const MIN = 60_000;
/** A broken daemon must fail a test, not hang the run. */
const BOUNDED = { timeout: 120_000 };
const REGION = 'eu-west-1';
const MENTION = '<!subteam^S123|@security>';
const SECURITY_PATH = '/services/T000/B111/SECURITYTOKEN9';

/** The example: high and critical to #security with a mention (and on), everything to default. */
const ROUTES = [
  { when: { minLevel: 'high' }, to: ['security'], mention: MENTION, continue: true },
  { when: {}, to: ['default'] },
];

async function securityWebhook(h: Harness, t: { after(fn: () => unknown): void }): Promise<SlackSimulator> {
  const sim = await startSlackSimulator({ path: SECURITY_PATH, now: () => h.clock.now() });
  t.after(() => sim.close());
  return sim;
}

/** Every ID in exactly one message, and nothing else. */
function assertEachOnce(perMessage: string[][], ids: readonly string[], where: string): void {
  const carried = perMessage.flat();
  assert.equal(carried.length, ids.length, `${where}: ${carried.length} event mentions for ${ids.length} events`);
  assert.deepEqual(new Set(carried), new Set(ids), `${where}: every event once`);
}

/** Slack's pace: no 429, no request within a second of the previous one (Slack: 1 message/s per webhook). */
function assertPaced(sim: SlackSimulator): void {
  assert.ok(sim.requests.every((r) => r.response !== 'hang' && r.response.status === 200), 'every request accepted: no 429');
  for (let i = 1; i < sim.requests.length; i += 1) {
    assert.ok(sim.requests[i]!.at - sim.requests[i - 1]!.at >= 1000, `request ${i} came ${sim.requests[i]!.at - sim.requests[i - 1]!.at} ms after the previous`);
  }
}

test('routes: high events reach #security with the mention and default without it; routine events reach default only', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const security = await securityWebhook(h, t);
  const now = h.clock.now();
  const burst = makeBurst(12, REGION, now - 10 * MIN);
  const deleteTrailId = burstId(888_888);
  h.cloudtrail.addRecords(burst.records, { region: REGION });
  h.cloudtrail.addRecord(stopLogging(REGION, now - 2 * MIN, deleteTrailId, 'DeleteTrail'), { region: REGION });
  const ids = [...burst.ids, deleteTrailId];
  const high = [burst.stopId, deleteTrailId];

  const config = h.config({ regions: [REGION], once: true }, {}, { slack: { webhooks: { security: security.url } }, routes: ROUTES });
  const run = h.run(config);
  assert.equal(await run.done, EXIT_OK);

  const toSecurity = idsPerMessage(security.received, ids);
  assert.deepEqual(toSecurity, [[burst.stopId], [deleteTrailId]], 'each high event alone, oldest first, nothing routine');
  for (const m of security.received) assert.ok((m.body as { text: string }).text.startsWith(`${MENTION} `), 'the mention leads the text');
  const toDefault = idsPerMessage(h.slack.received, ids);
  assertEachOnce(toDefault, ids, 'default');
  for (const id of high) assert.ok(toDefault.some((m) => m.length === 1 && m[0] === id), 'a high event is never in a digest');
  assert.ok(h.slack.received.every((m) => !m.raw.includes('subteam')), 'no mention on default');
  assert.ok(!run.logs.text().includes('SECURITYTOKEN9'), 'the second webhook never reaches a log line');
});

test('a burst of 500 writes with a StopLogging in the middle: StopLogging alone first, at most 10 digests, each event once, paced', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const security = await securityWebhook(h, t);
  const burst = makeBurst(500, REGION, h.clock.now() - 12 * MIN);
  h.cloudtrail.addRecords(burst.records, { region: REGION });
  const config = h.config({ regions: [REGION], once: true }, {}, { slack: { webhooks: { security: security.url } }, routes: ROUTES });
  assert.equal(await h.run(config).done, EXIT_OK);

  const toDefault = idsPerMessage(h.slack.received, burst.ids);
  assert.deepEqual(toDefault[0], [burst.stopId], 'StopLogging first, alone');
  assert.ok(toDefault.length - 1 <= 10, `${toDefault.length - 1} digests`);
  assertEachOnce(toDefault, burst.ids, 'default');
  assert.deepEqual(idsPerMessage(security.received, burst.ids), [[burst.stopId]]);
  assertEachOnce(idsPerMessage(security.received, burst.ids), [burst.stopId], 'security');
  assertPaced(h.slack);
  assertPaced(security);
});

test('a stop between two digests of a first scan: the offset stays before the unsent events; a restart 10 min later delivers them once', BOUNDED, async (t) => {
  const h = await startHarness(t);
  // Older than the settle window (15 min): a scan that moved the offset to end − settle would skip the unsent ones.
  const burst = makeBurst(500, REGION, h.clock.now() - 19 * MIN - 30_000);
  h.cloudtrail.addRecords(burst.records, { region: REGION });
  const first = h.run(h.config({ regions: [REGION] }));
  await h.slack.waitForMessages(3);
  first.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await first.done, EXIT_OK);
  const sent = idsPerMessage(h.slack.received, burst.ids);
  assert.ok(sent.length >= 3 && sent.flat().length < burst.ids.length, `stopped mid-burst after ${sent.length} messages`);
  const unsent = burst.ids.filter((id) => !sent.flat().includes(id));
  const oldestUnsent = Math.min(...unsent.map((id) => burst.times.get(id)!));
  // What a restart would resume from: the snapshot plus the journal, as the store reads them.
  const store = createStateStore({ dir: h.stateDir, profile: 'default', clock: h.clock, log: captureLogger().log, readOnly: true });
  const { state } = await store.load(REGION, { initialLookbackMinutes: 20 });
  assert.ok(state.offset <= oldestUnsent, `offset ${new Date(state.offset).toISOString()} passed an unsent event of ${new Date(oldestUnsent).toISOString()}`);
  for (const id of sent.flat()) assert.ok(isDeliveredTo(state, id, 'default'), 'what was posted is committed');

  // Down for 10 minutes: a restart that planned a new initial lookback from "now" would skip the unsent events.
  await h.clock.advance(10 * MIN);
  assert.equal(await h.run(h.config({ regions: [REGION], once: true })).done, EXIT_OK);
  assertEachOnce(idsPerMessage(h.slack.received, burst.ids), burst.ids, 'across both runs');
});

test('a state file of the previous version is migrated: what it says was delivered is not posted again', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const now = h.clock.now();
  const burst = makeBurst(10, REGION, now - 10 * MIN);
  h.cloudtrail.addRecords(burst.records, { region: REGION });
  const old = burst.ids.slice(0, 4);
  const v1 = { version: 1, offset: now - 20 * MIN, lastScanEnd: now - 2 * MIN, lastFullScanEnd: now - 2 * MIN, updatedAt: now - 2 * MIN,
    delivered: Object.fromEntries(old.map((id) => [id, burst.times.get(id)!])) };
  const file = join(h.stateDir, `.default.${REGION}.cloudtrail.state`);
  writeFileSync(file, JSON.stringify(v1), { mode: 0o600 });

  assert.equal(await h.run(h.config({ regions: [REGION], once: true })).done, EXIT_OK);
  const fresh = burst.ids.slice(4);
  assertEachOnce(idsPerMessage(h.slack.received, burst.ids), fresh, 'the events the old file did not hold');
  const state = JSON.parse(readFileSync(file, 'utf8')) as { version: number; delivered: Record<string, { to: string[] }> };
  assert.equal(state.version, 2);
  for (const id of burst.ids) assert.deepEqual(state.delivered[id]?.to, ['default'], id);
});

test('--dry-run with two webhooks prints each payload once per route, naming its webhook, and posts and writes nothing', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const security = await securityWebhook(h, t);
  const burst = makeBurst(6, REGION, h.clock.now() - 10 * MIN);
  h.cloudtrail.addRecords(burst.records, { region: REGION });
  const config = h.config({ regions: [REGION], once: true, dryRun: true }, {}, { slack: { webhooks: { security: security.url } }, routes: ROUTES });
  const run = h.run(config);
  assert.equal(await run.done, EXIT_OK);
  const lines = run.out.map((line) => JSON.parse(line) as { webhook: string; text: string });
  const byWebhook = (name: string) => idsPerMessage(run.out.filter((_, i) => lines[i]!.webhook === name).map((raw) => ({ raw })), burst.ids);
  assert.deepEqual(byWebhook('security'), [[burst.stopId]]);
  assertEachOnce(byWebhook('default'), burst.ids, 'default');
  assert.ok(lines.every((l) => l.webhook === 'security' || l.webhook === 'default'));
  assert.equal(h.slack.requests.length + security.requests.length, 0, 'nothing posted');
  assert.deepEqual(readdirSync(h.stateDir), [], 'no state written');
});

test('rules from rules.paths take effect; a refused rule file is one log line naming it, and the others still load', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const security = await securityWebhook(h, t);
  const dir = mkdtempSync(join(tmpdir(), 'cts-rules-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Our own rule: tagging an instance is high (so it goes to #security); and a rule with a modifier that does not exist.
  const rule = (id: string, detection: string) =>
    `title: Rule ${id}\nid: ${id}\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n${detection}\n    condition: selection\nlevel: high\n`;
  writeFileSync(join(dir, 'tags.yml'), rule('11111111-1111-4111-8111-111111111111', "    selection:\n        eventName: 'CreateTags'"));
  writeFileSync(join(dir, 'broken.yml'), rule('22222222-2222-4222-8222-222222222222', "    selection:\n        eventName|sounds_like: 'CreateTags'"));
  const burst = makeBurst(2, REGION, h.clock.now() - 10 * MIN);
  h.cloudtrail.addRecords(burst.records, { region: REGION });
  const config = h.config({ regions: [REGION], once: true }, {}, { slack: { webhooks: { security: security.url } }, routes: ROUTES, rules: { paths: [dir] } });
  const run = h.run(config);
  assert.equal(await run.done, EXIT_OK);
  const refused = run.logs.lines.filter((l) => l.msg === 'rule refused');
  assert.equal(refused.length, 1);
  assert.match(String(refused[0]!.file), /broken\.yml$/);
  assert.match(String(refused[0]!.reason), /sounds_like/);
  assertEachOnce(idsPerMessage(security.received, burst.ids), burst.ids, 'security: the tag events are high now');
});
