import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCloudTrailSimulator, type CloudTrailSimulator } from '../src/sim/cloudtrail-server';
import { startSlackSimulator, type SlackSimulator } from '../src/sim/slack-server';
import { loadFixtureRecords } from './support/fixtures';
import { REFUSED_ENDPOINT, runCliToEnd, startCli, type TestContextLike } from './support/cli-process';
import { startAwsSims } from './support/sims';
import { idsPerMessage } from './support/burst';

const ROOT = join(__dirname, '..');
/** A broken daemon must fail a test, not hang the run. */
const BOUNDED = { timeout: 90_000 };
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
const TOKEN = 'E2ESECRETTOKEN42';

interface Env {
  cloudtrail: CloudTrailSimulator;
  slack: SlackSimulator;
  stateDir: string;
  home: string;
}

async function setUp(t: { after(fn: () => unknown): void }): Promise<Env> {
  const cloudtrail = await startCloudTrailSimulator();
  const slack = await startSlackSimulator({ path: `/services/T0/B0/${TOKEN}` });
  const stateDir = mkdtempSync(join(tmpdir(), 'cts-e2e-state-'));
  const home = mkdtempSync(join(tmpdir(), 'cts-e2e-home-'));
  t.after(async () => {
    await cloudtrail.close();
    await slack.close();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });
  return { cloudtrail, slack, stateDir, home };
}

/** The real CLI in a child process, with dummy credentials and no way to reach AWS. */
function startE2e(env: Env, args: string[], t: TestContextLike, extraEnv: Record<string, string> = {}) {
  const run = startCli(t, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: env.home,
      SLACK_WEBHOOK_URL: env.slack.url,
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'e2e-secret-key',
      AWS_EC2_METADATA_DISABLED: 'true',
      // Who am I (STS) and region discovery (Account, EC2) never leave 127.0.0.1 either.
      AWS_ENDPOINT_URL_STS: REFUSED_ENDPOINT,
      AWS_ENDPOINT_URL_ACCOUNT: REFUSED_ENDPOINT,
      AWS_ENDPOINT_URL_EC2: REFUSED_ENDPOINT,
      ...extraEnv,
    },
  });
  return { ...run, output: () => ({ stdout: run.stdout(), stderr: run.stderr() }) };
}

function seed(env: Env, count: number): string[] {
  const records = loadFixtureRecords()
    .filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin')
    .slice(0, count);
  const now = Date.now();
  return records.map((record, i) => {
    env.cloudtrail.addRecord(record, { region: REGIONS[i % 3], eventTime: now - 10 * 60_000 + i * 1000 });
    return String(record.eventID);
  });
}

/** Every seeded event each message names, in order (a digest names all the events it carries). */
function postedIds(slack: SlackSimulator, ids: string[]): string[] {
  return idsPerMessage(slack.received, ids).flat();
}

test('the CLI with --once posts each event once and exits 0 without a throttled request', BOUNDED, async (t) => {
  const env = await setUp(t);
  const ids = seed(env, 6);
  // The SDK's own endpoint variable works unchanged (no --endpoint flag here).
  const cli = startE2e(env, ['--once', '-r', REGIONS.join(','), '-s', env.stateDir], t, {
    AWS_ENDPOINT_URL_CLOUDTRAIL: env.cloudtrail.url,
  });
  assert.equal(await cli.exited, 0, cli.output().stderr + cli.output().stdout);
  assert.deepEqual(postedIds(env.slack, ids).sort(), [...ids].sort());
  assert.ok(env.cloudtrail.requests.every((r) => r.status === 200), 'no throttled request');
  const { stdout, stderr } = cli.output();
  assert.ok(!stdout.includes(TOKEN) && !stderr.includes(TOKEN), 'the webhook token is never printed');
  assert.ok(!stdout.includes('e2e-secret-key') && !stderr.includes('e2e-secret-key'));
});

test('the CLI asks STS who it runs as (AWS_ENDPOINT_URL_STS), signed for the first region, and logs it once', BOUNDED, async (t) => {
  const env = await setUp(t);
  const aws = await startAwsSims(t);
  const cli = startE2e(env, ['--once', '-r', 'eu-west-3,us-east-1', '--endpoint', env.cloudtrail.url, '-s', env.stateDir], t, aws.env);
  assert.equal(await cli.exited, 0, cli.output().stderr);
  const lines = cli.output().stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(
    lines.filter((l) => l.msg === 'running as').map((l) => [l.account, l.arn]),
    [['123456789012', 'arn:aws:iam::123456789012:user/cloudtrail-slack']],
  );
  assert.deepEqual(aws.sts.requests.map((r) => [r.operation, r.region, r.accessKeyId]), [['GetCallerIdentity', 'eu-west-3', 'AKIDTEST']]);
});

test('STS refusing the connection: one warning, the account unknown, and the pass still succeeds', BOUNDED, async (t) => {
  const env = await setUp(t);
  const cli = startE2e(env, ['--once', '-r', 'us-east-1', '--endpoint', env.cloudtrail.url, '-s', env.stateDir], t);
  assert.equal(await cli.exited, 0, cli.output().stderr);
  const lines = cli.output().stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.filter((l) => /cannot tell which AWS account/.test(String(l.msg))).length, 1);
  assert.equal(lines.filter((l) => l.msg === 'running as').length, 0);
});

test('kill -9 mid-run, then a rerun: nothing lost, at most the one message in flight repeated', BOUNDED, async (t) => {
  const env = await setUp(t);
  const ids = seed(env, 9);
  // One message per event, so "the one message in flight" is one event (the digest case: daemon-pipeline-cli.test.ts).
  const config = join(env.home, 'one-per-event.json');
  writeFileSync(config, JSON.stringify({ digest: { enabled: false } }));
  const first = startE2e(env, ['-r', REGIONS.join(','), '--endpoint', env.cloudtrail.url, '-s', env.stateDir, '--config', config], t);
  await env.slack.waitForMessages(3);
  first.child.kill('SIGKILL');
  await first.exited;
  const before = env.slack.received.length;
  assert.ok(before < ids.length, 'killed before the end');

  const second = startE2e(env, ['--once', '-r', REGIONS.join(','), '--endpoint', env.cloudtrail.url, '-s', env.stateDir, '--config', config], t);
  assert.equal(await second.exited, 0, second.output().stderr);
  const posted = postedIds(env.slack, ids);
  assert.deepEqual(new Set(posted), new Set(ids), 'every event delivered');
  assert.ok(posted.length - ids.length <= 1, `at most one duplicate, got ${posted.length - ids.length}`);
});

test('a bad flag or a missing webhook exits 78 with one line before any request', BOUNDED, async (t) => {
  const env = await setUp(t);
  const bad = startE2e(env, ['--regoins', 'us-east-1'], t);
  assert.equal(await bad.exited, 78);
  assert.equal(bad.output().stderr.trim().split('\n').length, 1);
  assert.match(bad.output().stderr, /--regions/);

  const unknown = startE2e(env, ['foo'], t);
  assert.equal(await unknown.exited, 78);
  assert.equal(unknown.output().stderr, "cloudtrail-slack: unknown command 'foo'; see --help\n");

  const noHook = await runCliToEnd(t, ['--once', '--endpoint', env.cloudtrail.url], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: env.home },
  });
  assert.equal(noHook.code, 78);
  assert.match(noHook.stderr, /SLACK_WEBHOOK_URL/);
  assert.equal(env.cloudtrail.requests.length, 0, 'no network call');
});

test('a duration the runtime cannot honour exits 78 with one line naming the setting and its range', BOUNDED, async (t) => {
  const env = await setUp(t);
  const configFile = join(env.home, 'c.json');
  writeFileSync(configFile, '{"pollIntervalSeconds": 1e12}');
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['--poll-interval', '2592000'], {}, /'--poll-interval <seconds>' argument '2592000' is invalid\. Expected a number of seconds from 1 to 86400 \(/],
    [['--config', configFile], {}, /c\.json: pollIntervalSeconds: expected a number of seconds from 1 to 86400 \(.*\), found 1000000000000$/],
    [['--shutdown-timeout', '3000000'], {}, /'--shutdown-timeout <seconds>' argument '3000000' is invalid\. Expected a number of seconds from 0\.1 to 600 \(/],
    [[], { CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT: '3000000' }, /^cloudtrail-slack: CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT: expected a number of seconds from 0\.1 to 600 \(/],
  ];
  for (const [args, extra, pattern] of cases) {
    const run = startE2e(env, ['--once', '-r', 'us-east-1', '-s', env.stateDir, '--endpoint', env.cloudtrail.url, ...args], t, extra);
    assert.equal(await run.exited, 78, args.join(' '));
    const { stderr, stdout } = run.output();
    assert.equal(stderr.split('\n').length, 2, `exactly one line: ${stderr}`);
    assert.match(stderr.trimEnd(), pattern);
    assert.equal(stdout, '');
  }
  assert.equal(env.cloudtrail.requests.length, 0, 'refused before any request');
});

test('a reader that closes the pipe early (`| head`) ends the run quietly with exit 0', BOUNDED, async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src', 'cli.ts'), 'replay', join(ROOT, 'test', 'fixtures', 'cloudtrail', 'events.jsonl')],
    { cwd: ROOT, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0);
  assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
});
