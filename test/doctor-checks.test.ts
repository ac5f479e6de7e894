import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { loadConfig } from '../src/config/load';
import type { Config } from '../src/config/types';
import { checkRegionDiscovery, checkTrailStatus } from '../src/doctor/checks-account';
import { checkClock, checkCredentials, checkLookups } from '../src/doctor/checks-aws';
import { checkSmtp, checkWebhooks } from '../src/doctor/checks-delivery';
import type { DoctorDeps } from '../src/doctor/deps';
import { runDoctor } from '../src/doctor/run-doctor';
import { SimRegionTable } from '../src/sim/account-regions';
import { startAccountSimulator, type AccountSimulator } from '../src/sim/account-server';
import { startCloudTrailSimulator, type CloudTrailSimulator } from '../src/sim/cloudtrail-server';
import { startEc2Simulator, type Ec2Simulator } from '../src/sim/ec2-server';
import { startSlackSimulator, type SlackSimulator } from '../src/sim/slack-server';
import { startStsSimulator, type StsSimulator } from '../src/sim/sts-server';
import { within } from './support/cli-process';
import { ManualClock } from './support/manual-clock';
import { setEnvForTest } from './support/env';

const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

interface World {
  clock: ManualClock;
  deps: DoctorDeps;
  cloudtrail: CloudTrailSimulator;
  sts: StsSimulator;
  account: AccountSimulator;
  ec2: Ec2Simulator;
  regions: SimRegionTable;
  slack: SlackSimulator;
  config(flags?: { regions?: string[] }, env?: Record<string, string>): Config;
}

/**
 * The doubles in this process, the checks called directly with a ManualClock. `skewMs`: AWS's clock ahead of ours.
 * STS, Account and EC2 are reached through the AWS_ENDPOINT_URL_<SERVICE> variables the SDK reads itself.
 */
async function setUp(t: TestContext, skewMs = 0): Promise<World> {
  const clock = new ManualClock();
  const awsNow = () => clock.now() + skewMs;
  const regions = new SimRegionTable();
  const cloudtrail = await startCloudTrailSimulator({ now: awsNow });
  const sts = await startStsSimulator({ now: awsNow });
  const account = await startAccountSimulator({ regions, now: awsNow });
  const ec2 = await startEc2Simulator({ regions, now: awsNow });
  const slack = await startSlackSimulator();
  const dir = mkdtempSync(join(tmpdir(), 'cts-doctor-checks-'));
  t.after(async () => {
    await Promise.all([cloudtrail.close(), sts.close(), account.close(), ec2.close(), slack.close()]);
    rmSync(dir, { recursive: true, force: true });
  });
  const env = { AWS_ENDPOINT_URL_STS: sts.url, AWS_ENDPOINT_URL_ACCOUNT: account.url, AWS_ENDPOINT_URL_EC2: ec2.url };
  setEnvForTest(t, env);
  const deps: DoctorDeps = { clock, timeoutMs: 5000, postTest: true, host: 'test-host', credentials: CREDENTIALS };
  return {
    clock, deps, cloudtrail, sts, account, ec2, regions, slack,
    config: (flags = {}, extraEnv = {}) =>
      loadConfig({
        flags: { regions: flags.regions ?? ['us-east-1', 'eu-west-1'], stateDir: join(dir, 'state'), endpoint: cloudtrail.url },
        env: { SLACK_WEBHOOK_URL: slack.url, ...extraEnv },
      }),
  };
}

async function clockRow(t: TestContext, skewMs: number) {
  const w = await setUp(t, skewMs);
  const config = w.config();
  const lookups = await checkLookups(config, w.deps, true);
  return checkClock(lookups.offsets, config.settleMinutes);
}

test('clock: within 5 s of AWS is ✓, beyond 60 s ! and beyond the settle window ✗, saying which way', async (t) => {
  assert.equal((await clockRow(t, 0)).status, 'ok');
  const behind = await clockRow(t, 2 * 60_000);
  assert.equal(behind.status, 'warn');
  assert.match(behind.detail, /2 min behind AWS/);
  assert.match(behind.action ?? '', /synchronise the clock/);
  const ahead = await clockRow(t, -20 * 60_000);
  assert.equal(ahead.status, 'fail');
  assert.match(ahead.detail, /20 min ahead of AWS .*more than the 15 min settle window/);
});

test('clock: not checked when no region answered', () => {
  assert.equal(checkClock([], 15).status, 'skipped');
});

test('LookupEvents: one request per region with MaxResults 1; throttled, an opt-in region not enabled, denied in some regions: all !', async (t) => {
  const w = await setUp(t);
  const config = w.config({ regions: ['us-east-1', 'eu-west-1', 'ap-east-1', 'eu-west-2'] });
  w.cloudtrail.failNext('eu-west-1', 'throttle');
  w.cloudtrail.failNext('ap-east-1', 'UnrecognizedClientException');
  w.cloudtrail.failNext('eu-west-2', 'AccessDeniedException');
  const { rows } = await checkLookups(config, w.deps, true);
  assert.deepEqual(rows.map((r) => [r.name, r.status]), [
    ['LookupEvents us-east-1', 'ok'],
    ['LookupEvents eu-west-1', 'warn'],
    ['LookupEvents ap-east-1', 'warn'],
    ['LookupEvents eu-west-2', 'warn'],
  ]);
  assert.match(rows[2]?.action ?? '', /enable ap-east-1/);
  assert.match(rows[3]?.detail ?? '', /the daemon pauses this region/);
  assert.match(rows[3]?.action ?? '', /grant cloudtrail:LookupEvents/);
  const lookups = w.cloudtrail.requests.filter((r) => r.operation === 'LookupEvents');
  assert.equal(lookups.length, 4);
  for (const request of lookups) assert.equal((request.body as { MaxResults: number }).MaxResults, 1);
});

test('LookupEvents: UnrecognizedClient in every region while STS was unsure means bad credentials: ✗', async (t) => {
  const w = await setUp(t);
  w.cloudtrail.setRegionFailure('*', 'UnrecognizedClientException');
  const { rows } = await checkLookups(w.config(), w.deps, false);
  assert.deepEqual(rows.map((r) => r.status), ['fail', 'fail']);
  assert.match(rows[0]?.detail ?? '', /refused in every region/);
});

test('LookupEvents: AccessDenied in every region stops the daemon (exit 77), so each row is ✗', async (t) => {
  const w = await setUp(t);
  w.cloudtrail.setRegionFailure('*', 'AccessDeniedException');
  const { rows } = await checkLookups(w.config(), w.deps, true);
  assert.deepEqual(rows.map((r) => r.status), ['fail', 'fail']);
  assert.match(rows[0]?.detail ?? '', /denied in every region, so the daemon stops/);
  assert.match(rows[0]?.action ?? '', /grant cloudtrail:LookupEvents/);
});

test('credentials: refused keys are ✗ with what to do, and the other AWS rows are not checked', async (t) => {
  const w = await setUp(t);
  w.sts.setFailure('InvalidClientTokenId');
  const invalid = await checkCredentials(w.config(), w.deps);
  assert.equal(invalid.row.status, 'fail');
  assert.equal(invalid.usable, false);
  assert.match(invalid.row.action ?? '', /create a new one in IAM/);
  w.sts.setFailure('ExpiredToken');
  const expired = await checkCredentials(w.config(), w.deps);
  assert.equal(expired.usable, false);
  assert.match(expired.row.action ?? '', /renew/);

  const requestsBefore = w.cloudtrail.requests.length;
  const { report } = await runDoctor({ ...w.deps, loadConfig: () => w.config() });
  const statuses = Object.fromEntries(report.checks.map((c) => [c.name, c.status]));
  assert.equal(statuses['credentials'], 'fail');
  for (const name of ['LookupEvents us-east-1', 'LookupEvents eu-west-1', 'trail status', 'region discovery', 'clock']) {
    assert.equal(statuses[name], 'skipped', name);
  }
  assert.equal(w.cloudtrail.requests.length, requestsBefore, 'no CloudTrail call with refused credentials');
  assert.equal(report.ok, false);
});

test('credentials: a hanging STS is bounded by the check limit, and ! (the daemon runs with the account unknown)', async (t) => {
  const w = await setUp(t);
  w.sts.setFailure('hang');
  const pending = checkCredentials(w.config(), w.deps);
  await w.sts.waitForRequests(1);
  await w.clock.advance(w.deps.timeoutMs);
  const result = await pending;
  assert.equal(result.row.status, 'warn');
  assert.match(result.row.detail, /did not answer within 5000 ms/);
  // AWS_ENDPOINT_URL_STS points at the double: the advice names that host, not sts.us-east-1.amazonaws.com.
  assert.match(result.row.action ?? '', new RegExp(`^check network access to ${new URL(w.sts.url).host} `));
  assert.equal(result.usable, true, 'a network problem says nothing about the keys');
});

test('LookupEvents: a hanging region is bounded by the check limit and ! naming the --endpoint host; the others answer', async (t) => {
  const w = await setUp(t);
  w.cloudtrail.setRegionFailure('eu-west-1', 'hang');
  const pending = checkLookups(w.config(), w.deps, true);
  await w.cloudtrail.waitForRequests(2);
  await w.clock.advance(w.deps.timeoutMs);
  const { rows } = await pending;
  assert.deepEqual(rows.map((r) => r.status), ['ok', 'warn']);
  assert.match(rows[1]?.detail ?? '', /no answer within 5 s/);
  assert.equal(rows[1]?.action, `check that the endpoint given with --endpoint (${new URL(w.cloudtrail.url).host}) is up`);
});

test('trail status: healthy ✓, each finding ! (the daemon runs; the trail monitor alerts), and AccessDenied ! saying the monitor will be off', async (t) => {
  const w = await setUp(t);
  const config = w.config();
  assert.deepEqual((await checkTrailStatus(config, w.deps)).map((r) => r.status), ['ok']);
  w.cloudtrail.trails.put({ Name: 'management-events', IncludeGlobalServiceEvents: false });
  w.cloudtrail.trails.setLogging('management-events', false);
  const broken = await checkTrailStatus(config, w.deps);
  assert.deepEqual(broken.map((r) => [r.status, r.detail.split(':')[0]]), [['warn', 'trail-not-logging'], ['warn', 'trail-coverage']]);
  assert.match(broken[0]?.action ?? '', /start-logging/);
  w.cloudtrail.trails.deny(true);
  const denied = await checkTrailStatus(config, w.deps);
  assert.equal(denied.length, 1);
  assert.equal(denied[0]?.status, 'warn');
  assert.match(denied[0]?.detail ?? '', /the trail monitor will be off/);
  assert.match(denied[0]?.action ?? '', /grant cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus, cloudtrail:GetEventSelectors/);
});

test('region discovery: configured-but-disabled and enabled-but-unpolled regions are !; both APIs denied is !', async (t) => {
  const w = await setUp(t);
  w.regions.set('af-south-1', 'ENABLED');
  const rows = await checkRegionDiscovery(w.config({ regions: ['us-east-1', 'me-central-1'] }), w.deps);
  assert.equal(rows[0]?.status, 'ok');
  assert.match(rows[0]?.detail ?? '', /18 regions enabled, from account:ListRegions/);
  const notEnabled = rows.find((r) => r.name === 'regions not enabled');
  assert.equal(notEnabled?.status, 'warn');
  assert.match(notEnabled?.detail ?? '', /: me-central-1$/);
  assert.match(rows.find((r) => r.name === 'regions not polled')?.detail ?? '', /af-south-1/);

  w.account.setFailure('AccessDeniedException');
  w.ec2.setFailure('UnauthorizedOperation');
  const denied = await checkRegionDiscovery(w.config(), w.deps);
  assert.deepEqual(denied.map((r) => r.status), ['warn']);
  assert.match(denied[0]?.action ?? '', /grant account:ListRegions \(or ec2:DescribeRegions\)/);
});

test('alert email: not configured is ! naming the settings', async (t) => {
  const w = await setUp(t);
  const row = await checkSmtp(w.config(), w.deps);
  assert.equal(row.status, 'warn');
  assert.match(row.detail, /no alert email/);
  assert.match(row.action ?? '', /email\.smtpUrl .*SMTP_URL/);
});

test('webhooks: a 429 and a 5xx are ! (the daemon retries), the host answered is named, and nothing is retried', async (t) => {
  const w = await setUp(t);
  const config = w.config();
  w.slack.respondNext({ status: 429, headers: { 'retry-after': '30' }, body: 'rate_limited' });
  const limited = await checkWebhooks(config, w.deps);
  assert.deepEqual(limited.map((r) => [r.name, r.status]), [['webhook default', 'warn']]);
  w.slack.respondNext({ status: 500, body: 'oops' });
  const failing = await checkWebhooks(config, w.deps);
  assert.equal(failing[0]?.status, 'warn');
  assert.equal(failing[0]?.detail, `${new URL(w.slack.url).host} answered HTTP 500 (oops); the daemon retries with backoff`);
  assert.equal(w.slack.requests.length, 2, 'one attempt each');
});

test('webhooks: an unreachable webhook is ! saying which host could not be reached (host only, no path)', async (t) => {
  const w = await setUp(t);
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as { port: number }).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const url = `http://127.0.0.1:${port}/services/T0/B0/UNREACHABLESECRET`;
  const config = loadConfig({ flags: { endpoint: w.cloudtrail.url }, env: { SLACK_WEBHOOK_URL: url } });
  const rows = await checkWebhooks(config, w.deps);
  assert.equal(rows[0]?.status, 'warn');
  assert.match(rows[0]?.detail ?? '', new RegExp(`^could not reach 127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED.*\\)`));
  assert.equal(rows[0]?.action, `check network access to 127.0.0.1:${port} (proxy, firewall)`);
  assert.ok(!JSON.stringify(rows).includes('UNREACHABLESECRET'));
});

test('webhooks: hanging webhooks are posted to at once, so all of them cost one limit, not one each', async (t) => {
  const w = await setUp(t);
  const url = w.slack.url;
  const config = loadConfig({
    flags: { configFile: 'doctor.json', endpoint: w.cloudtrail.url },
    env: {},
    readFile: () => JSON.stringify({ slack: { webhooks: { default: url, two: `${url}?two`, three: `${url}?three` } } }),
  });
  w.slack.setDefault('hang');
  const pending = checkWebhooks(config, w.deps);
  await w.slack.waitForRequests(3);
  await w.clock.advance(w.deps.timeoutMs);
  const rows = await within('the webhook rows after one limit', pending, 10_000);
  assert.deepEqual(rows.map((r) => [r.name, r.status]), [['webhook default', 'warn'], ['webhook two', 'warn'], ['webhook three', 'warn']]);
  for (const row of rows) assert.match(row.detail, /did not answer: no answer within 5 s/);
  for (const row of rows) assert.equal(row.action, `check network access to ${new URL(url).host} (proxy, firewall)`);
});

test('credentials: a profile that does not exist is ✗ naming the profile and the files to put it in', async (t) => {
  const w = await setUp(t);
  const saved = { file: process.env.AWS_SHARED_CREDENTIALS_FILE, config: process.env.AWS_CONFIG_FILE };
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(tmpdir(), 'cts-doctor-no-such-credentials');
  process.env.AWS_CONFIG_FILE = join(tmpdir(), 'cts-doctor-no-such-config');
  t.after(() => {
    for (const [key, value] of [['AWS_SHARED_CREDENTIALS_FILE', saved.file], ['AWS_CONFIG_FILE', saved.config]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
  const config = loadConfig({ flags: { credsProfile: 'nosuch', endpoint: w.cloudtrail.url }, env: { SLACK_WEBHOOK_URL: w.slack.url } });
  const { credentials: _ignored, ...deps } = w.deps;
  const result = await checkCredentials(config, deps);
  assert.equal(result.row.status, 'fail');
  assert.equal(result.usable, false);
  assert.match(result.row.detail, /no credentials found in profile nosuch/);
  assert.match(result.row.action ?? '', /add profile nosuch to ~\/\.aws\/credentials/);
  assert.equal(w.sts.requests.length, 0);
});

test('trail status: asked in trailMonitor.region when the config names one, as the trail monitor does', async (t) => {
  const w = await setUp(t);
  const config = loadConfig({
    flags: { configFile: 'doctor.json', endpoint: w.cloudtrail.url },
    env: { SLACK_WEBHOOK_URL: w.slack.url },
    readFile: () => JSON.stringify({ regions: ['us-east-1'], trailMonitor: { region: 'eu-central-1' } }),
  });
  assert.equal((await checkTrailStatus(config, w.deps))[0]?.status, 'ok');
  const regions = new Set(w.cloudtrail.requests.filter((r) => r.operation !== 'LookupEvents').map((r) => r.region));
  assert.deepEqual([...regions], ['eu-central-1']);
});

test('-r all: LookupEvents is checked in each region discovery finds (one enabled later included), not the default list', async (t) => {
  const w = await setUp(t);
  w.regions.set('af-south-1', 'ENABLED');
  w.regions.set('eu-west-3', 'DISABLED');
  const config = w.config({ regions: ['all'] });
  assert.equal(config.discoverRegions, true);
  const { report } = await runDoctor({ ...w.deps, loadConfig: () => config });
  const lookupRows = report.checks.filter((r) => r.name.startsWith('LookupEvents '));
  const checked = lookupRows.map((r) => r.name.replace('LookupEvents ', ''));
  assert.ok(checked.includes('af-south-1'), `an enabled opt-in region is checked: ${checked.join(', ')}`);
  assert.ok(!checked.includes('eu-west-3'), 'a disabled region is not');
  assert.equal(checked.length, 17, 'the 18 enabled by default, less eu-west-3, plus af-south-1');
  assert.ok(lookupRows.every((r) => r.status === 'ok'));
  const asked = new Set(w.cloudtrail.requests.filter((r) => r.operation === 'LookupEvents').map((r) => r.region));
  assert.deepEqual([...asked].sort(), [...checked].sort(), 'one request in each discovered region, none elsewhere');
  // Every enabled region is polled with -r all: no "not polled" / "not enabled" warnings against the default list.
  assert.deepEqual(report.checks.filter((r) => r.name.startsWith('regions not')), []);
  assert.match(report.checks.find((r) => r.name === 'configuration')?.detail ?? '', /every region enabled for the account \(-r all\)/);
});
