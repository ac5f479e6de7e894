import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { daemonEnv, runCliToEnd, tempDir, type TestContextLike } from './support/cli-process';
import { BASE_ACCOUNT, SIM_ROLE_NAME, startAccountSims, type AccountSims } from './support/sims';
import type { SimOrgAccount } from '../src/sim/organizations-server';

/** A broken doctor must fail a test, not hang the run (a safety net, not a timing assertion). */
const BOUNDED = { timeout: 90_000 };

const PROD = '111111111111';
const DEV = '222222222222';
const DENIED = '333333333333';
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];

interface Row {
  name: string;
  status: string;
  detail: string;
  action?: string;
  account?: string;
  accountName?: string;
}

interface Rig {
  sims: AccountSims;
  dir: string;
  doctor(config: Record<string, unknown>, args?: string[], env?: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }>;
  json(config: Record<string, unknown>, args?: string[]): Promise<{ code: number; ok: boolean; rows: Row[] }>;
}

/** The account-aware simulators, a profile `dev` (keys of DEV) in a temporary credentials file, and the CLI. */
async function rig(t: TestContextLike, organization: SimOrgAccount[] = []): Promise<Rig> {
  const sims = await startAccountSims(t, { organization });
  const dir = tempDir(t, 'cts-doctor-accounts-');
  const keys = sims.addProfileKeys(DEV);
  const credentialsFile = join(dir, 'aws-credentials');
  writeFileSync(credentialsFile, `[dev]\naws_access_key_id = ${keys.accessKeyId}\naws_secret_access_key = ${keys.secretAccessKey}\n`);
  const doctor = (config: Record<string, unknown>, args: string[] = [], env: Record<string, string | undefined> = {}) => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ regions: REGIONS, stateDir: join(dir, 'state'), slack: { webhooks: { default: sims.slack.url } }, ...config }));
    return runCliToEnd(t, ['doctor', '--config', file, '--endpoint', sims.cloudtrail.url, ...args], {
      cwd: dir,
      kind: 'tsx',
      env: daemonEnv(dir, { ...sims.env, AWS_SHARED_CREDENTIALS_FILE: credentialsFile, ...env }),
    });
  };
  return {
    sims,
    dir,
    doctor,
    async json(config, args = []) {
      const run = await doctor(config, ['--json', ...args]);
      const report = JSON.parse(run.stdout) as { ok: boolean; checks: Row[] };
      return { code: run.code, ok: report.ok, rows: report.checks };
    },
  };
}

function threeAccounts(sims: AccountSims): Record<string, unknown> {
  return {
    accounts: [
      { id: PROD, name: 'prod', roleArn: sims.addRole(PROD) },
      { id: DEV, name: 'dev', profile: 'dev' },
      { id: DENIED, name: 'legacy', roleArn: sims.addRole(DENIED, { denied: true }) },
    ],
  };
}

test('doctor with three accounts: a row per account naming it, one summary per account, the denied role ! with the trust-policy advice; exit 0', BOUNDED, async (t) => {
  const r = await rig(t);
  const run = await r.doctor(threeAccounts(r.sims));
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /✓ account prod \(111111111111\) +role arn:aws:iam::111111111111:role\/CloudTrailSlackReader assumed/);
  assert.match(run.stdout, /✓ account dev \(222222222222\) +profile "dev" works/);
  assert.match(run.stdout, /✓ LookupEvents prod \(111111111111\) +3 of 3 regions answered/);
  assert.match(run.stdout, /✓ LookupEvents dev \(222222222222\) +3 of 3 regions answered/);
  assert.match(run.stdout, /! account legacy \(333333333333\) +.*the daemon pauses this account/);
  assert.match(run.stdout, /→ let the daemon assume arn:aws:iam::333333333333:role\/CloudTrailSlackReader: the role's trust policy/);
  assert.match(run.stdout, /- LookupEvents legacy \(333333333333\) +not checked/);
  // Summarised: no per-region row unless --verbose.
  assert.doesNotMatch(run.stdout, /LookupEvents prod \(111111111111\) us-east-1/);
  assert.match(run.stdout, /✓ nothing blocks the daemon/);
});

test('doctor --json with accounts: one row per account and region, each with its account fields', BOUNDED, async (t) => {
  const r = await rig(t);
  const { code, ok, rows } = await r.json(threeAccounts(r.sims));
  assert.equal(code, 0);
  assert.equal(ok, true);
  for (const id of [PROD, DEV]) {
    const lookups = rows.filter((row) => row.account === id && row.name.startsWith('LookupEvents'));
    assert.deepEqual(lookups.map((row) => row.status), ['ok', 'ok', 'ok'], JSON.stringify(lookups));
    assert.deepEqual(lookups.map((row) => row.name.split(' ').at(-1)), REGIONS);
  }
  const denied = rows.find((row) => row.name.startsWith('account') && row.account === DENIED);
  assert.equal(denied?.status, 'warn');
  assert.equal(denied?.accountName, 'legacy');
});

test('doctor: every account unusable (the daemon would exit 77) is ✗, exit 1', BOUNDED, async (t) => {
  const r = await rig(t);
  const run = await r.doctor({ accounts: [{ id: DENIED, name: 'legacy', roleArn: r.sims.addRole(DENIED, { denied: true }) }] });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stdout, /✗ account legacy \(333333333333\) +.*every account is unusable/);
});

test('doctor: an account whose LookupEvents is denied in every region is paused (!), named, with the permission to grant', BOUNDED, async (t) => {
  const r = await rig(t);
  r.sims.cloudtrail.denyAccount(DEV);
  const run = await r.doctor(threeAccounts(r.sims));
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /! LookupEvents dev \(222222222222\) +LookupEvents refused in all 3 regions/);
  assert.match(run.stdout, /→ allow cloudtrail:LookupEvents to the profile "dev" in dev \(222222222222\)/);
});

test('doctor with an organisation: ACTIVE accounts counted, excluded ones said, each member checked by its role', BOUNDED, async (t) => {
  const r = await rig(t, [
    { id: BASE_ACCOUNT, name: 'management' },
    { id: PROD, name: 'prod' },
    { id: DEV, name: 'closed', state: 'SUSPENDED' },
  ]);
  r.sims.addRole(BASE_ACCOUNT, { roleName: SIM_ROLE_NAME });
  r.sims.addRole(PROD, { roleName: SIM_ROLE_NAME });
  const run = await r.doctor({ organization: { roleName: SIM_ROLE_NAME, exclude: [BASE_ACCOUNT] } });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /✓ organization +ListAccounts: 2 ACTIVE accounts \(1 excluded, 1 not ACTIVE \(left out\)\); 1 watched/);
  assert.match(run.stdout, /✓ account prod \(111111111111\) +role arn:aws:iam::111111111111:role\/CloudTrailSlackReader assumed/);
  assert.doesNotMatch(run.stdout, /account management/);
});

test('doctor with an organisation it may not list: ✗ with the management-account / delegated-administrator advice', BOUNDED, async (t) => {
  const r = await rig(t);
  r.sims.organizations.failNext('AccessDeniedException');
  const run = await r.doctor({ organization: { roleName: SIM_ROLE_NAME } });
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stdout, /✗ organization +ListAccounts refused/);
  assert.match(run.stdout, /management account|delegated administrator/);
  assert.match(run.stdout, /- accounts +not checked/);
});

test('doctor --shard K/N: only that shard\'s targets are checked, and it says so', BOUNDED, async (t) => {
  const r = await rig(t);
  const { rows } = await r.json(threeAccounts(r.sims), ['--shard', '0/3']);
  const { shardOf } = await import('../src/targets/shard');
  const lookups = rows.filter((row) => row.name.startsWith('LookupEvents') && row.status === 'ok');
  assert.ok(lookups.length > 0);
  for (const row of lookups) assert.equal(shardOf(`${row.account}/${row.name.split(' ').at(-1)}`, 3), 0, row.name);
  const expected = [PROD, DEV].flatMap((id) => REGIONS.filter((region) => shardOf(`${id}/${region}`, 3) === 0)).length;
  assert.equal(lookups.length, expected);
  const shard = rows.find((row) => row.name === 'shard');
  assert.match(shard?.detail ?? '', new RegExp(`^shard 0/3 owns ${expected + REGIONS.filter((region) => shardOf(`${DENIED}/${region}`, 3) === 0).length} of 9 targets`));
});

test('doctor escapes an organisation\'s account name for the terminal', BOUNDED, async (t) => {
  const r = await rig(t, [{ id: PROD, name: 'evil\u001b[2J\u202eprod\n✓ fake row' }]);
  r.sims.addRole(PROD, { roleName: SIM_ROLE_NAME });
  const run = await r.doctor({ organization: { roleName: SIM_ROLE_NAME } });
  assert.match(run.stdout, /✓ account evil.*prod.*\(111111111111\) +role/, run.stdout);
  assert.ok(!run.stdout.includes('\u001b'), 'an escape sequence reached the terminal');
  assert.ok(!run.stdout.includes('\u202e'), 'a bidi override reached the terminal');
  assert.doesNotMatch(run.stdout, /^\s*✓ fake row/m);
});

test('doctor with an accounts list and no base credentials: the credentials row is ! (a profile account needs none), the accounts decide', BOUNDED, async (t) => {
  const r = await rig(t);
  const run = await r.doctor({ accounts: [{ id: DEV, name: 'dev', profile: 'dev' }] }, [], { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /! credentials +no credentials found.*the account rows below say which accounts need them/);
  assert.match(run.stdout, /✓ account dev \(222222222222\) +profile "dev" works/);
  assert.match(run.stdout, /✓ LookupEvents dev \(222222222222\) +3 of 3 regions answered/);
});

test('doctor --shard K/N with the single account: only the regions that shard owns', BOUNDED, async (t) => {
  const r = await rig(t);
  const { shardOf } = await import('../src/targets/shard');
  const { rows } = await r.json({}, ['--shard', '1/2']);
  const regions = rows.filter((row) => row.name.startsWith('LookupEvents ')).map((row) => row.name.slice('LookupEvents '.length));
  assert.deepEqual(regions, REGIONS.filter((region) => shardOf(region, 2) === 1));
});

test('doctor with an organisation whose every account is excluded: ! nothing to watch (the daemon starts and polls nothing)', BOUNDED, async (t) => {
  const r = await rig(t, [{ id: PROD, name: 'prod' }]);
  const run = await r.doctor({ organization: { roleName: SIM_ROLE_NAME, exclude: [PROD] } });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /✓ organization +ListAccounts: 1 ACTIVE account \(1 excluded\); 0 watched/);
  assert.match(run.stdout, /! accounts +no account to watch/);
});
