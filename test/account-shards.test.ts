import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { EXIT_OK } from '../src/lib/errors';
import { noTelemetry, type Telemetry } from '../src/observability/telemetry';
import { owns, shardOf } from '../src/targets/shard';
import { targetKey } from '../src/targets/target';
import { sharedFileProfile } from '../src/targets/shard-files';
import { startAccountsRig, writeRecords } from './support/accounts-daemon';
import { startHarness } from './support/daemon-harness';

// Shards in the daemon (issue 10 item 5): each instance polls, and writes state for, only the targets it owns;
// organisation-wide monitors run on shard 0 only; the daemon's other files get a shard-K part.

const MIN = 60_000;
const BOUNDED = { timeout: 120_000 };
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1', 'eu-central-1'];
const ACCOUNTS = ['111111111111', '222222222222', '333333333333'];
const QUIET = { digest: { enabled: false }, alertAfterMinutes: 24 * 60 };

function recordingTelemetry(): Telemetry & { started: string[] } {
  const started: string[] = [];
  return { ...noTelemetry, started, targetStarted: (key) => void started.push(key) };
}

test('three shards over 3 accounts × 4 regions: each polls only its own targets, every target has exactly one owner, every event is posted once', BOUNDED, async (t) => {
  const rig = await startAccountsRig(t);
  const { sims, clock } = rig;
  const roles = ACCOUNTS.map((id) => sims.addRole(id));
  const keys = ACCOUNTS.flatMap((id) => REGIONS.map((region) => targetKey(id, region)));
  const records = writeRecords(keys.length);
  const ids = keys.map((key, i) => {
    const [account, region] = key.split('/');
    return sims.cloudtrail.addRecord(records[i]!, { account, region, eventTime: clock.now() - 5 * MIN })!;
  });
  const accounts = ACCOUNTS.map((id, i) => ({ id, roleArn: roles[i]! }));
  const shards = [0, 1, 2].map((index) => {
    const telemetry = recordingTelemetry();
    const config = { ...rig.config({ regions: REGIONS, once: true }, QUIET), accounts, shard: { index, count: 3 } };
    return { index, telemetry, run: rig.run(config, { telemetry }) };
  });
  for (const shard of shards) assert.equal(await shard.run.done, EXIT_OK);

  for (const { index, telemetry, run } of shards) {
    assert.deepEqual(telemetry.started.sort(), keys.filter((key) => owns({ index, count: 3 }, key)).sort(), `shard ${index} polls its own targets only`);
    const line = run.logs.lines.find((l) => l.msg === 'shard owns its targets');
    assert.equal(line?.shard, `${index}/3`);
    assert.equal(line?.targets, telemetry.started.length);
  }
  assert.deepEqual(shards.flatMap((s) => s.telemetry.started).sort(), [...keys].sort(), 'every target owned by exactly one shard');
  const raw = sims.slack.received.map((m) => m.raw);
  for (const id of ids) assert.equal(raw.filter((r) => r.includes(id)).length, 1, `${id} posted once in all`);
  const stateFiles = readdirSync(rig.stateDir).filter((f) => f.endsWith('.cloudtrail.state')).sort();
  assert.deepEqual(stateFiles, keys.map((key) => `.${key.replace('/', '.')}.cloudtrail.state`).sort(), 'one state file per target');
  assert.ok(new Set(keys.map((key) => shardOf(key, 3))).size === 3, 'the test spreads over every shard');
});

test('a single account sharded by region: shard 1 of 2 polls its regions only and never runs the trail monitor; its files are its own', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const shard = { index: 1, count: 2 };
  let trailClients = 0;
  const telemetry = recordingTelemetry();
  const config = { ...h.config({ regions: REGIONS, once: true }), shard };
  const run = h.run(config, {
    telemetry,
    createTrailClient: (region) => {
      trailClients += 1;
      return h.trailClient(region);
    },
  });
  assert.equal(await run.done, EXIT_OK);
  assert.deepEqual(telemetry.started.sort(), REGIONS.filter((region) => owns(shard, region)).sort());
  assert.ok(telemetry.started.length > 0 && telemetry.started.length < REGIONS.length, 'the regions are split');
  assert.equal(trailClients, 0, 'the organisation-wide trail monitor runs on shard 0 only');
  const files = readdirSync(h.stateDir);
  for (const region of REGIONS) assert.equal(files.includes(`.default.${region}.cloudtrail.state`), owns(shard, region), region);
  assert.equal(sharedFileProfile({ stateProfile: 'default', shard }), 'default.shard-1');
  assert.equal(sharedFileProfile({ stateProfile: 'default', shard: { index: 0, count: 1 } }), 'default', 'one shard: the names of today');
});
