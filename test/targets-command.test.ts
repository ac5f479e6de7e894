import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../src/cli/program';
import { runTargetsCommand, type TargetsDeps } from '../src/cli/targets-command';
import { shardOf } from '../src/targets/shard';
import { targetKey } from '../src/targets/target';
import { daemonEnv, runCliToEnd, tempDir, type TestContextLike } from './support/cli-process';
import { ensureDist } from './support/dist';
import { BASE_ACCOUNT, startAccountSims, startAwsSims } from './support/sims';
import { SIM_IDENTITY } from '../src/sim/sts-server';

// `cloudtrail-slack targets` (issue 10 item 5): every target and the shard owning it, through the real CLI (dist/).

const BOUNDED = { timeout: 60_000 };
const PROD = '123456789012';
const DEV = '210987654321';
const SANDBOX = '333333333333';
/** A member of the simulated organisation (its management account is BASE_ACCOUNT, = PROD). */
const MEMBER = '555555555555';
const ACCOUNTS_FILE = {
  regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'],
  accounts: [
    { id: PROD, name: 'prod', roleArn: `arn:aws:iam::${PROD}:role/CloudTrailSlackRead` },
    { id: DEV, name: 'dev', profile: 'dev' },
    { id: SANDBOX, regions: ['eu-central-1'] },
  ],
  shards: { count: 3 },
};
const ALL_TARGETS = [
  ...[PROD, DEV].flatMap((account) => ACCOUNTS_FILE.regions.map((region) => ({ account, region }))),
  { account: SANDBOX, region: 'eu-central-1' },
];

interface Line {
  account: string;
  region: string;
  shard: number;
}

function writeConfig(t: TestContextLike, data: object): { dir: string; file: string } {
  const dir = tempDir(t, 'cts-targets-');
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(data));
  return { dir, file };
}

async function targets(t: TestContextLike, dir: string, args: string[], extra: Record<string, string | undefined> = {}) {
  ensureDist();
  return runCliToEnd(t, ['targets', ...args], { cwd: dir, env: daemonEnv(dir, extra), kind: 'dist' });
}

/** `--json` output: every line one object with exactly account, region and shard. */
function parseLines(stdout: string): Line[] {
  const lines = stdout.split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  return lines.map((line) => {
    const value = JSON.parse(line) as Line;
    assert.deepEqual(Object.keys(value), ['account', 'region', 'shard'], line);
    assert.equal(typeof value.account, 'string');
    assert.equal(typeof value.shard, 'number');
    return value;
  });
}

describe('accounts from the config', () => {
  test('--json: every target once, in the config order, each with the shard rendezvous hashing gives it', BOUNDED, async (t) => {
    const { dir, file } = writeConfig(t, ACCOUNTS_FILE);
    const run = await targets(t, dir, ['--config', file, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const lines = parseLines(run.stdout);
    assert.deepEqual(lines.map(({ account, region }) => ({ account, region })), ALL_TARGETS);
    for (const line of lines) assert.equal(line.shard, shardOf(targetKey(line.account, line.region), 3), JSON.stringify(line));
    assert.ok(new Set(lines.map((line) => line.shard)).size > 1, 'seven targets over three shards land on more than one');
  });

  test('--shard K/N: only K\'s targets; the three shards together hold each target exactly once', BOUNDED, async (t) => {
    const { dir, file } = writeConfig(t, ACCOUNTS_FILE);
    const byShard = await Promise.all(
      [0, 1, 2].map(async (k) => {
        const run = await targets(t, dir, ['--config', file, '--json', '--shard', `${k}/3`]);
        assert.equal(run.code, 0, run.stderr);
        const lines = parseLines(run.stdout);
        for (const line of lines) assert.equal(line.shard, k);
        return lines;
      }),
    );
    const all = byShard.flat().map((line) => `${line.account}/${line.region}`);
    assert.equal(new Set(all).size, all.length, 'no target in two shards');
    assert.deepEqual(all.sort(), ALL_TARGETS.map((target) => `${target.account}/${target.region}`).sort());
  });

  test('the table: "name (id)", region and shard, with a summary; --shard overrides the configured count', BOUNDED, async (t) => {
    const { dir, file } = writeConfig(t, ACCOUNTS_FILE);
    const run = await targets(t, dir, ['--config', file, '--shard', '0/1']);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^ACCOUNT +REGION +SHARD$/);
    assert.match(lines[1]!, /^prod \(123456789012\) +us-east-1 +0$/);
    assert.match(lines[4]!, /^dev \(210987654321\) +us-east-1 +0$/);
    assert.match(lines[7]!, /^333333333333 +eu-central-1 +0$/);
    assert.equal(lines[8], '7 targets, 1 of 1 shard');
  });
});

describe('the single account of the credentials', () => {
  test('its ID from STS GetCallerIdentity; one target per region', BOUNDED, async (t) => {
    const sims = await startAwsSims(t);
    const { dir, file } = writeConfig(t, { regions: ['us-east-1', 'eu-west-1'] });
    const run = await targets(t, dir, ['--config', file, '--json'], sims.env);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(parseLines(run.stdout), [
      { account: SIM_IDENTITY.account, region: 'us-east-1', shard: 0 },
      { account: SIM_IDENTITY.account, region: 'eu-west-1', shard: 0 },
    ]);
  });

  test('STS unreachable: one line on stderr, the account printed as "", exit 0', BOUNDED, async (t) => {
    const { dir, file } = writeConfig(t, { regions: ['us-east-1'] });
    const run = await targets(t, dir, ['--config', file, '--json']); // daemonEnv: STS refuses connections
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(parseLines(run.stdout), [{ account: '', region: 'us-east-1', shard: 0 }]);
    assert.match(run.stderr, /^cloudtrail-slack: the account of the credentials is unknown \(STS GetCallerIdentity: .*\); listed as ""\n$/);
    assert.doesNotMatch(run.stderr, /test-secret-key/);
  });
});

describe('organization: the accounts from Organizations ListAccounts (simulator)', () => {
  test('ACTIVE accounts only, every page, minus exclude, with the organisation\'s regions and names', BOUNDED, async (t) => {
    const sims = await startAccountSims(t, {
      orgPageSize: 2,
      organization: [
        { id: BASE_ACCOUNT, name: 'management' },
        { id: MEMBER, name: 'member' },
        { id: DEV, name: 'dev', state: 'CLOSED' },
        { id: SANDBOX, name: 'sandbox' },
        { id: '444444444444', name: 'excluded' },
      ],
    });
    const { dir, file } = writeConfig(t, { organization: { roleName: 'Read', exclude: ['444444444444'], regions: ['eu-west-1'] }, regions: ['us-east-1'] });
    const json = await targets(t, dir, ['--config', file, '--json'], sims.env);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(parseLines(json.stdout).map((line) => line.account), [BASE_ACCOUNT, MEMBER, SANDBOX]);
    assert.ok(parseLines(json.stdout).every((line) => line.region === 'eu-west-1'));
    const table = await targets(t, dir, ['--config', file], sims.env);
    assert.match(table.stdout, /^sandbox \(333333333333\) +eu-west-1 +0$/m);
  });

  test('the credentials cannot list the organisation: exit 1, one line on stderr, nothing on stdout', BOUNDED, async (t) => {
    const sims = await startAccountSims(t, { organization: [{ id: BASE_ACCOUNT }, { id: MEMBER }] });
    const { dir, file } = writeConfig(t, { organization: { roleName: 'Read' }, regions: ['us-east-1'] });
    // Keys of a member account: Organizations answers AccessDenied (only the management account may list).
    const member = sims.addProfileKeys(MEMBER);
    const env = { ...sims.env, AWS_ACCESS_KEY_ID: member.accessKeyId, AWS_SECRET_ACCESS_KEY: member.secretAccessKey };
    const run = await targets(t, dir, ['--config', file, '--json'], env);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /^cloudtrail-slack: the organisation's accounts could not be listed \(Organizations ListAccounts: .+\); .*organizations:ListAccounts allowed .*\n$/);
    assert.ok(!run.stderr.includes(member.secretAccessKey));
  });
});

describe('mistakes', () => {
  test('a bad config, a bad --shard or an operand: one line on stderr, exit 78, nothing on stdout', BOUNDED, async (t) => {
    const { dir, file } = writeConfig(t, { accounts: [{ id: '1234' }] });
    const cases: Array<[string[], RegExp]> = [
      [['--config', file], /accounts\[0\]\.id: expected an AWS account ID of 12 digits/],
      [['--shard', '3/3'], /'--shard <K\/N>' argument '3\/3' is invalid\. Expected K below N in K\/N .*; see 'cloudtrail-slack targets --help'/],
      [['eu-west-1'], /too many arguments for 'targets'/],
    ];
    for (const [args, pattern] of cases) {
      const run = await targets(t, dir, args);
      assert.equal(run.code, 78, `${args.join(' ')}: ${run.stderr}`);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, pattern);
      assert.equal(run.stderr.split('\n').length, 2, run.stderr);
    }
  });
});

describe('in process: the organisation case and untrusted names', () => {
  const io = () => {
    let out = '';
    let err = '';
    return { io: { writeOut: (s: string) => (out += s), writeErr: (s: string) => (err += s) }, out: () => out, err: () => err };
  };

  async function run(file: object, deps: Partial<TargetsDeps>, args: string[] = []) {
    const { io: output, out, err } = io();
    const code = await runCli(['targets', ...args], {
      run: async () => 0,
      targets: (flags) =>
        runTargetsCommand(flags, output, {
          env: {},
          listOrganizationAccounts: async () => [],
          readFile: () => JSON.stringify(file),
          ...deps,
        }),
    }, output);
    return { code, out: out(), err: err() };
  }

  test('organization: the listed accounts minus exclude, with the organisation\'s regions; names cleaned for the terminal', async () => {
    const file = { organization: { roleName: 'Read', exclude: [DEV], regions: ['eu-west-1'] } };
    const listed = [
      { id: PROD, name: 'prod\u001b[2J\u001b[31m' },
      { id: DEV, name: 'dev' },
      { id: SANDBOX, name: 'line\nbreak\u202e' },
    ];
    const table = await run(file, { listOrganizationAccounts: async () => listed }, ['--config', 'c.json']);
    assert.equal(table.code, 0, table.err);
    assert.doesNotMatch(table.out, /[\u0000-\u0009\u000b-\u001f\u007f\u202e]/, 'no control or bidi character reaches the terminal');
    assert.match(table.out, /^prod \[2J \[31m \(123456789012\) +eu-west-1 +0$/m);
    assert.match(table.out, /^line break\[U\+202E\] \(333333333333\) +eu-west-1 +0$/m, 'a format character is shown, like email and Slack show it');
    assert.doesNotMatch(table.out, /210987654321/, 'excluded');
    const json = await run(file, { listOrganizationAccounts: async () => listed }, ['--config', 'c.json', '--json']);
    assert.deepEqual(json.out.trimEnd().split('\n').map((line) => JSON.parse(line)), [
      { account: PROD, region: 'eu-west-1', shard: 0 },
      { account: SANDBOX, region: 'eu-west-1', shard: 0 },
    ]);
  });

  test('organization that cannot be listed: exit 1, one line on stderr saying what the credentials need, nothing on stdout', async () => {
    const denied = Object.assign(new Error('You don\'t have permissions to access this resource.\nsecond line'), { name: 'AccessDeniedException' });
    const result = await run({ organization: { roleName: 'Read' } }, { listOrganizationAccounts: async () => Promise.reject(denied) }, ['--config', 'c.json']);
    assert.equal(result.code, 1);
    assert.equal(result.out, '');
    assert.match(result.err, /^cloudtrail-slack: the organisation's accounts could not be listed \(Organizations ListAccounts: AccessDeniedException: You don't have permissions to access this resource\. second line\); call from the management account or a delegated administrator, with organizations:ListAccounts allowed .*\n$/);
  });

  test('-r/--regions and -c/--creds-profile, as the daemon takes them: the same targets as the daemon given those flags', async () => {
    let profile: string | undefined;
    const single = await run({}, { callerAccount: async (config) => ((profile = config.profile), PROD) }, ['-r', 'eu-west-1,us-east-2', '-c', 'audit', '--json']);
    assert.equal(single.code, 0, single.err);
    assert.equal(profile, 'audit');
    assert.deepEqual(single.out.trimEnd().split('\n').map((line) => JSON.parse(line)), [
      { account: PROD, region: 'eu-west-1', shard: 0 },
      { account: PROD, region: 'us-east-2', shard: 0 },
    ]);
    const long = await run({ accounts: [{ id: PROD }, { id: DEV, regions: ['ap-south-1'] }] }, {}, ['--config', 'c.json', '--regions', 'sa-east-1', '--json']);
    assert.deepEqual(long.out.trimEnd().split('\n').map((line) => JSON.parse(line)), [
      { account: PROD, region: 'sa-east-1', shard: 0 },
      { account: DEV, region: 'ap-south-1', shard: 0 },
    ], "an account's own regions still win, as in the daemon");
    for (const args of [['-r', 'useast1'], ['-r', 'all,eu-west-1'], ['-c', 'a/b']]) {
      const bad = await run({}, { callerAccount: async () => PROD }, args);
      assert.equal(bad.code, 78, args.join(' '));
      assert.equal(bad.out, '');
      assert.equal(bad.err.trimEnd().split('\n').length, 1, bad.err);
    }
    const help = await run({}, {}, ['--help']);
    assert.match(help.out, /-r, --regions <list>/);
    assert.match(help.out, /-c, --creds-profile <name>/);
  });

  test('organization not reachable (time-out, network, throttling): "try again", not advice about the management account', async () => {
    const transient = [
      Object.assign(new Error('connect ETIMEDOUT 52.94.0.1:443'), { code: 'ETIMEDOUT' }),
      Object.assign(new Error('Request timed out'), { name: 'TimeoutError' }),
      Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }),
      Object.assign(new Error('We encountered an internal error'), { name: 'ServiceException', $metadata: { httpStatusCode: 500 } }),
    ];
    for (const error of transient) {
      const result = await run({ organization: { roleName: 'Read' } }, { listOrganizationAccounts: async () => Promise.reject(error) }, ['--config', 'c.json']);
      assert.equal(result.code, 1, error.message);
      assert.equal(result.out, '');
      assert.match(result.err, /^cloudtrail-slack: could not reach Organizations \(ListAccounts: [^\n]+\), try again\n$/, result.err);
      assert.doesNotMatch(result.err, /management account|delegated administrator/, error.message);
    }
  });

  test('organization not in use: the classifier\'s own advice for that cause', async () => {
    const error = Object.assign(new Error('Your account is not a member of an organization.'), { name: 'AWSOrganizationsNotInUseException' });
    const result = await run({ organization: { roleName: 'Read' } }, { listOrganizationAccounts: async () => Promise.reject(error) }, ['--config', 'c.json']);
    assert.equal(result.code, 1);
    assert.match(result.err, /^cloudtrail-slack: the organisation's accounts could not be listed \(Organizations ListAccounts: .*not a member of an organization.*\); these credentials belong to no organisation: .*\n$/);
  });
});
