import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { daemonEnv, readLogLines, readPid, ROOT, runCliToEnd, tempDir, waitFor, type TestContextLike } from './support/cli-process';
import { ensureDist } from './support/dist';
import { pm2With, writeMultiInstanceEcosystem, type Pm2Process } from './support/pm2';
import { startAccountSims, type AccountSims } from './support/sims';
import { writeRecords } from './support/accounts-daemon';

// Issue 10 "Done when": the real pm2 with `instances: 3` (ecosystem.config.js's multi-instance variant) runs the
// compiled daemon over 10 accounts (by role) × 3 regions against the account-aware simulators in this process.
// Every target is owned by exactly one instance, every event is posted exactly once in all, and no target is polled
// (so no state file written) by two instances: each instance assumes its own sessions, so two pollers of one target
// would show in CloudTrail as two access keys.

const MIN = 60_000;
const APP = 'cloudtrail-slack';
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1'];
const ACCOUNTS = Array.from({ length: 10 }, (_, i) => `4000000000${String(i).padStart(2, '0')}`);
const KEYS = ACCOUNTS.flatMap((account) => REGIONS.map((region) => `${account}/${region}`));

interface TargetRow {
  account: string;
  region: string;
  shard: number;
}

/** `cloudtrail-slack targets --config FILE [args] --json` from dist/, parsed line by line. */
async function targetsJson(t: TestContextLike, config: string, args: string[], env: NodeJS.ProcessEnv): Promise<TargetRow[]> {
  const result = await runCliToEnd(t, ['targets', '--config', config, ...args, '--json'], { cwd: ROOT, env, kind: 'dist' });
  assert.equal(result.code, 0, result.stderr);
  return result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as TargetRow);
}

const keyOf = (row: { account: string; region: string }) => `${row.account}/${row.region}`;

describe('real pm2, instances: 3, over 10 accounts × 3 regions', { timeout: 150_000 }, () => {
  // Short: pm2's unix sockets live here, and their paths are limited to about 107 bytes.
  const home = mkdtempSync('/tmp/p3-');
  const dir = join(home, 'd');
  const stateDir = join(dir, 'state');
  const configFile = join(dir, 'config.json');
  const ecosystem = join(dir, 'ecosystem.config.js');
  const outLog = join(home, 'logs', `${APP}-out.log`);
  const cleanups: Array<() => unknown> = [];
  let env: NodeJS.ProcessEnv = {};
  let sims: AccountSims;
  const eventIds: string[] = [];
  const pm2 = pm2With(() => env);

  before(async () => {
    ensureDist();
    mkdirSync(dir);
    sims = await startAccountSims({ after: (fn) => cleanups.push(fn) });
    const records = writeRecords(KEYS.length);
    KEYS.forEach((key, i) => {
      const [account, region] = key.split('/');
      eventIds.push(sims.cloudtrail.addRecord(records[i]!, { account, region, eventTime: Date.now() - 5 * MIN })!);
    });
    const accounts = ACCOUNTS.map((id, i) => ({ id, name: `team-${i}`, roleArn: sims.addRole(id) }));
    writeFileSync(configFile, JSON.stringify({ regions: REGIONS, accounts, digest: { enabled: false } }));
    writeMultiInstanceEcosystem(ecosystem);
    env = daemonEnv(dir, {
      ...sims.env,
      PM2_HOME: home,
      CLOUDTRAIL_SLACK_CONFIG: configFile,
      // A 1 s poll interval: every target is read again (its settle window re-read) within the test. One -p for all
      // (pm2's instances share their flags): each instance holds its own shard's pid file.
      CLOUDTRAIL_SLACK_ARGS: `--endpoint ${sims.cloudtrail.url} -s ${stateDir} --poll-interval 1 -p ${join(dir, 'run.pid')}`,
    });
  });

  after(async () => {
    await pm2('kill').catch(() => undefined);
    for (const cleanup of cleanups.reverse()) await cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  test('each instance owns its shard, every event is posted once in all, and every target is polled by one session', async (t) => {
    await pm2('start', ecosystem);
    const online = await waitFor('three instances online', async () => {
      const procs = (await pm2.list()).filter((p) => p.name === APP);
      return procs.length === 3 && procs.every((p) => p.pm2_env.status === 'online' && p.pid > 0) ? procs : undefined;
    }, 45_000);
    const shardOfPid = new Map(online.map((p: Pm2Process) => [p.pid, Number(p.pm2_env.NODE_APP_INSTANCE)]));
    assert.deepEqual([...shardOfPid.values()].sort(), [0, 1, 2], 'pm2 gives the instances 0, 1 and 2');
    for (const [pid, k] of shardOfPid) assert.equal(readPid(join(dir, `run.shard-${k}.pid`)), pid, `shard ${k}'s pid file`);
    assert.equal(existsSync(join(dir, 'run.pid')), false, 'no instance holds the unsharded name');

    const cliEnv = { ...env, PM2_HOME: undefined, NODE_APP_INSTANCE: undefined } as NodeJS.ProcessEnv;
    const byShard = await Promise.all([0, 1, 2].map((k) => targetsJson(t, configFile, ['--shard', `${k}/3`], cliEnv)));
    const all = await targetsJson(t, configFile, [], { ...cliEnv, CLOUDTRAIL_SLACK_SHARD_COUNT: '3' });
    assert.deepEqual(all.map(keyOf).sort(), [...KEYS].sort(), 'targets lists the 30 targets');
    assert.deepEqual(byShard.flat().map(keyOf).sort(), [...KEYS].sort(), '--shard 0/3, 1/3, 2/3 partition them');
    byShard.forEach((rows, k) => assert.ok(rows.length > 0 && rows.every((row) => row.shard === k), `shard ${k}'s own rows`));
    const ownerOf = new Map(all.map((row) => [keyOf(row), row.shard]));

    // Each instance says which shard it is and how many targets it owns: its NODE_APP_INSTANCE, its share.
    const owning = await waitFor('each instance to say what it owns', () => {
      const lines = readLogLines(outLog).filter((line) => line.msg === 'shard owns its targets' && shardOfPid.has(line.pid as number));
      return lines.length === 3 ? lines : undefined;
    });
    for (const line of owning) {
      const k = shardOfPid.get(line.pid as number)!;
      assert.equal(line.shard, `${k}/3`, `pid ${String(line.pid)} is NODE_APP_INSTANCE ${k}`);
      assert.equal(line.targets, byShard[k]!.length, `shard ${k} owns what targets --shard ${k}/3 lists`);
    }

    // Every event posted, then every target read again (its settle window, holding the event, re-read): still once.
    const raw = () => sims.slack.received.map((m) => m.raw);
    await waitFor('every event posted', () => eventIds.every((id) => raw().some((r) => r.includes(id))), 45_000);
    const lookups = () => sims.cloudtrail.requests.filter((r) => r.operation === 'LookupEvents' && ACCOUNTS.includes(r.account));
    const polledAgain = () => KEYS.every((key) => lookups().filter((r) => `${r.account}/${r.region}` === key).length >= 2);
    await waitFor('every target polled twice', polledAgain, 30_000);
    await waitFor('every target\'s state file', () => KEYS.every((key) => stateFiles().includes(stateFileOf(key))));
    for (const id of eventIds) assert.equal(raw().filter((r) => r.includes(id)).length, 1, `${id} posted once in all`);
    assert.equal(raw().length, eventIds.length, 'no other message');

    // From the outside: each target read with exactly one session's key, each key used for one shard's targets only.
    const keysOfTarget = new Map<string, Set<string>>();
    const shardsOfKey = new Map<string, Set<number>>();
    for (const request of lookups()) {
      const key = `${request.account}/${request.region}`;
      keysOfTarget.set(key, (keysOfTarget.get(key) ?? new Set()).add(request.accessKeyId));
      shardsOfKey.set(request.accessKeyId, (shardsOfKey.get(request.accessKeyId) ?? new Set()).add(ownerOf.get(key)!));
    }
    for (const key of KEYS) assert.equal(keysOfTarget.get(key)?.size, 1, `${key} polled by one instance`);
    for (const [accessKey, shards] of shardsOfKey) assert.equal(shards.size, 1, `session ${accessKey.slice(0, 8)}… serves one shard`);
    for (const accessKey of shardsOfKey.keys()) assert.ok(sims.book.sessionOf(accessKey), 'read with an assumed-role session');

    // The shared state folder: one state file per target, and the instances' other files apart (shard-K names).
    const files = stateFiles();
    assert.deepEqual(files.filter((f) => f.endsWith('.cloudtrail.state')).sort(), KEYS.map(stateFileOf).sort());
    // After a clean run there are none (journals are folded into the state files); an alert's cooldown file or
    // the heartbeat's day file would be one, with its shard in the name.
    const others = files.filter((f) => !KEYS.some((key) => f.startsWith(stateFileOf(key))));
    for (const file of others) assert.match(file, /\.shard-[012]\./, `${file} belongs to one shard`);
    const procs = (await pm2.list()).filter((p) => p.name === APP);
    assert.ok(procs.every((p) => p.pm2_env.restart_time === 0 && p.pm2_env.status === 'online'), 'no instance restarted');
  });

  function stateFiles(): string[] {
    try {
      return readdirSync(stateDir);
    } catch {
      return [];
    }
  }
});

function stateFileOf(key: string): string {
  return `.${key.replace('/', '.')}.cloudtrail.state`;
}

test('targets --json: going from 3 to 4 shards over 100 accounts × 17 regions moves about a quarter, all to shard 3', async (t) => {
  ensureDist();
  const dir = tempDir(t, 'cts-reshard-');
  const config = join(dir, 'config.json');
  const accounts = Array.from({ length: 100 }, (_, i) => ({ id: `5000000${String(i).padStart(5, '0')}` }));
  // No regions: the 17 enabled by default.
  writeFileSync(config, JSON.stringify({ accounts }));
  const env = daemonEnv(dir);
  const [three, four] = await Promise.all(['3', '4'].map((n) => targetsJson(t, config, [], { ...env, CLOUDTRAIL_SLACK_SHARD_COUNT: n })));
  assert.equal(three!.length, 1700);
  const before = new Map(three!.map((row) => [keyOf(row), row.shard]));
  assert.deepEqual(four!.map(keyOf).sort(), [...before.keys()].sort(), 'the same targets');
  const moved = four!.filter((row) => row.shard !== before.get(keyOf(row)));
  assert.ok(moved.every((row) => row.shard === 3), 'a target moves only to the new shard');
  const share = moved.length / four!.length;
  assert.ok(share > 0.2 && share < 0.3, `about a quarter moved: ${moved.length} of 1700`);
  for (const k of [0, 1, 2]) {
    const count = three!.filter((row) => row.shard === k).length;
    assert.ok(count > 1700 / 3 - 100 && count < 1700 / 3 + 100, `3 shards: shard ${k} has about a third (${count})`);
  }
});
