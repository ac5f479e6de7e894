import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { TEST_MESSAGE } from '../src/doctor/checks-delivery';
import { within, type TestContextLike } from './support/cli-process';
import { ensureDist } from './support/dist';
import { SECRETS, startDoctorWorld, type DoctorWorld } from './support/doctor-setup';

/** A broken doctor must fail a test, not hang the run (a safety net, not a timing assertion). */
const BOUNDED = { timeout: 90_000 };

interface Row {
  mark: string;
  name: string;
  detail: string;
  action?: string;
}

/** The table's rows: `  ✓ name   detail`, each maybe followed by `      → action`. */
function rowsOf(table: string): Row[] {
  const rows: Row[] = [];
  for (const line of table.split('\n')) {
    const row = /^ {2}([✓✗!-]) (\S.*?) {2,}(.*)$/.exec(line);
    if (row) rows.push({ mark: row[1]!, name: row[2]!.trim(), detail: row[3]! });
    const action = /^ {6}→ (.*)$/.exec(line);
    if (action && rows.length > 0) rows[rows.length - 1]!.action = action[1]!;
  }
  return rows;
}

function row(rows: Row[], name: string, detail?: RegExp): Row {
  const found = rows.find((r) => r.name === name && (detail === undefined || detail.test(r.detail)));
  assert.ok(found, `no row ${name} ${detail ?? ''} in:\n${rows.map((r) => `${r.mark} ${r.name} ${r.detail}`).join('\n')}`);
  return found;
}

function assertNoSecret(world: DoctorWorld, ...outputs: string[]): void {
  const all = outputs.join('\n');
  for (const secret of [...Object.values(SECRETS), world.smtp.url, 'hunter2-smtp-secret', world.slack.url]) {
    assert.ok(!all.includes(secret), `output shows a secret (${secret.slice(0, 6)}…):\n${all}`);
  }
}

async function world(t: TestContextLike): Promise<DoctorWorld> {
  ensureDist();
  return startDoctorWorld(t);
}


/** An SMTP server that accepts the connection and never greets (closed after the test); its port. */
async function silentSmtpPort(t: TestContextLike): Promise<number> {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  return (silent.address() as { port: number }).port;
}

test('doctor on a healthy setup: every row ✓ but the expected warning, exit 0, one marked test message per webhook; --json agrees', BOUNDED, async (t) => {
  const w = await world(t);
  const run = await w.doctor(['--post-test']);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const rows = rowsOf(run.stdout);
  assert.deepEqual(rows.map((r) => r.name), [
    'configuration', 'credentials', 'LookupEvents us-east-1', 'LookupEvents eu-west-1', 'trail status', 'region discovery',
    'regions not polled', 'state folder', 'state files', 'clock', 'alert email', 'webhook default', 'webhook alerts',
  ]);
  for (const r of rows) assert.equal(r.mark, r.name === 'regions not polled' ? '!' : '✓', `${r.name}: ${r.detail}`);
  assert.match(row(rows, 'credentials').detail, /account 123456789012, arn:aws:iam::123456789012:user\/cloudtrail-slack/);
  assert.match(row(rows, 'regions not polled').action ?? '', /-r/);
  assert.match(run.stdout, /✓ nothing blocks the daemon \(1 warning\)/);
  const texts = w.slack.received.map((m) => (m.body as { text: string }).text);
  assert.equal(texts.length, 2);
  for (const text of texts) assert.ok(text.startsWith(TEST_MESSAGE), text);

  const json = await w.doctor(['--json']);
  assert.equal(json.code, 0, json.stderr);
  const report = JSON.parse(json.stdout) as { ok: boolean; checks: Array<{ name: string; status: string; action?: string }> };
  assert.equal(report.ok, true);
  const statuses = Object.fromEntries(report.checks.map((c) => [c.name, c.status]));
  assert.equal(statuses['LookupEvents eu-west-1'], 'ok');
  assert.equal(statuses['regions not polled'], 'warn');
  // Without --post-test nothing is posted, and the rows say so (by name, never by URL).
  assert.equal(statuses['webhook alerts'], 'skipped');
  assert.match(report.checks.find((c) => c.name === 'webhook alerts')?.action ?? '', /--post-test/);
  assert.equal(w.slack.received.length, 2, 'no message without --post-test');
  assertNoSecret(w, run.stdout, run.stderr, json.stdout, json.stderr);
});

test('doctor on a broken setup: what blocks the daemon is ✗, what it runs through is !, each with its advice; exit 1', BOUNDED, async (t) => {
  const w = await world(t);
  w.cloudtrail.setRegionFailure('eu-west-1', 'AccessDeniedException');
  w.cloudtrail.trails.setLogging('management-events', false);
  w.writeConfig({
    // sysfs: a folder no user (root included) may create files in.
    stateDir: '/sys/kernel',
    email: { smtpUrl: `smtp://alerts:wrong-password@127.0.0.1:${w.smtp.port}`, to: ['ops@example.com'] },
    slack: { webhooks: { alerts: w.slack.url, gone: w.slack.url.replace(SECRETS.webhookToken, 'REVOKEDTOKEN0001') } },
  });
  const run = await w.doctor(['--post-test']);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const rows = rowsOf(run.stdout);
  const denied = row(rows, 'LookupEvents eu-west-1');
  assert.equal(denied.mark, '!', 'denied in one region: the daemon pauses it and polls us-east-1');
  assert.match(denied.action ?? '', /grant cloudtrail:LookupEvents/);
  assert.equal(row(rows, 'LookupEvents us-east-1').mark, '✓');
  const trail = row(rows, 'trail status');
  assert.equal(trail.mark, '!');
  assert.match(trail.detail, /trail-not-logging: trail "management-events".* stopped logging/);
  assert.match(trail.action ?? '', /start-logging/);
  const state = row(rows, 'state folder');
  assert.equal(state.mark, '✗');
  assert.match(state.detail, /\/sys\/kernel is not writable/);
  assert.match(state.action ?? '', /--state-dir/);
  const email = row(rows, 'alert email');
  assert.equal(email.mark, '!');
  assert.match(email.detail, /EAUTH/);
  assert.match(email.action ?? '', /user and password/);
  const gone = row(rows, 'webhook gone');
  assert.equal(gone.mark, '✗');
  assert.match(gone.detail, /refused the webhook \(HTTP 404 no_service\)/);
  assert.match(gone.action ?? '', /create a new incoming webhook/);
  assert.equal(row(rows, 'webhook alerts').mark, '✓');
  assert.match(run.stdout, /✗ 2 problems block the daemon \(4 warnings\)/);
  assertNoSecret(w, run.stdout, run.stderr);
});

test('doctor: a trail that stopped logging and an SMTP server that never answers are ! with their advice, and exit 0', BOUNDED, async (t) => {
  const w = await world(t);
  const port = await silentSmtpPort(t);
  w.cloudtrail.trails.setLogging('management-events', false);
  w.writeConfig({ email: { smtpUrl: `smtp://alerts:pw@127.0.0.1:${port}`, to: ['ops@example.com'] } });
  const run = await within('doctor with a stopped trail', w.doctor(['--timeout', '1']), 60_000);
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const rows = rowsOf(run.stdout);
  assert.deepEqual(rows.filter((r) => r.mark === '✗').map((r) => r.name), []);
  const trail = row(rows, 'trail status');
  assert.equal(trail.mark, '!');
  assert.match(trail.action ?? '', /start-logging/);
  const email = row(rows, 'alert email');
  assert.equal(email.mark, '!');
  assert.match(email.action ?? '', /host and port in email\.smtpUrl/);
  assert.match(run.stdout, /✓ nothing blocks the daemon \(3 warnings, 2 not checked\)/);
  const json = await within('doctor --json', w.doctor(['--json', '--timeout', '1']), 60_000);
  assert.equal(json.code, 0, json.stderr);
  assert.equal((JSON.parse(json.stdout) as { ok: boolean }).ok, true);
  assertNoSecret(w, run.stdout, run.stderr, json.stdout);
});

test('doctor with a bad configuration: one ✗ row naming the key, every other check not checked, exit 1', BOUNDED, async (t) => {
  const w = await world(t);
  w.writeConfig({ regoins: ['us-east-1'] });
  const run = await w.doctor([]);
  assert.equal(run.code, 1, run.stderr);
  const rows = rowsOf(run.stdout);
  assert.deepEqual(rows.filter((r) => r.mark === '✗').map((r) => r.name), ['configuration']);
  assert.match(row(rows, 'configuration').detail, /regoins.*did you mean .?regions/);
  assert.ok(rows.slice(1).length >= 8 && rows.slice(1).every((r) => r.mark === '-'), run.stdout);
  assert.equal(w.sts.requests.length + w.cloudtrail.requests.length, 0, 'no AWS call without a configuration');

  const json = await w.doctor(['--json']);
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout) as { ok: boolean; checks: Array<{ status: string }> };
  assert.equal(report.ok, false);
  assert.deepEqual([...new Set(report.checks.map((c) => c.status))], ['fail', 'skipped']);
});

test('doctor prints no secret: webhook tokens, the SMTP password and AWS keys stay masked, even when Slack echoes one', BOUNDED, async (t) => {
  const w = await world(t);
  // Answers that quote a secret, so only the scrubber stands between it and the output: a webhook's error quoting
  // its own token, an ARN and a trail name (AWS's text, attacker-controlled) holding the AWS secret and a token.
  w.slack.respondNext({ status: 400, body: `bad_request ${SECRETS.webhookToken}` });
  w.sts.setIdentity({ account: '123456789012', arn: `arn:aws:iam::123456789012:user/${SECRETS.awsSecret}`, userId: 'AIDAEXAMPLE' });
  w.cloudtrail.trails.put({ Name: `trail-${SECRETS.otherToken}` });
  w.writeConfig({
    slack: { webhooks: { alerts: w.slack.url, other: `${w.slack.url.replace(SECRETS.webhookToken, SECRETS.otherToken)}` } },
  });
  const outputs: string[] = [];
  for (const args of [['--post-test'], ['--post-test', '--json'], []]) {
    const run = await w.doctor(args);
    outputs.push(run.stdout, run.stderr);
  }
  assert.match(outputs[0] ?? '', /webhook default .*Slack rejected the test message: bad_request \*\*\*/);
  assert.match(outputs[0] ?? '', /arn:aws:iam::123456789012:user\/\*\*\*/);
  assert.match(outputs[0] ?? '', /"trail-\*\*\*"/);
  // A configuration refused for a bad key still names neither the webhooks nor the SMTP login.
  w.writeConfig({ regions: 'us-east-1' });
  const bad = await w.doctor([]);
  outputs.push(bad.stdout, bad.stderr);
  assert.equal(bad.code, 1);
  assertNoSecret(w, ...outputs);
});

test('doctor with every endpoint hanging still answers: each check is bounded by --timeout, ! naming its host, exit 0', BOUNDED, async (t) => {
  const w = await world(t);
  const port = await silentSmtpPort(t);
  w.sts.setFailure('hang');
  w.cloudtrail.setRegionFailure('*', 'hang');
  w.account.setFailure('hang');
  w.ec2.setFailure('hang');
  w.slack.setDefault('hang');
  w.writeConfig({ email: { smtpUrl: `smtp://alerts:pw@127.0.0.1:${port}`, to: ['ops@example.com'] } });
  const run = await within('doctor with hung endpoints', w.doctor(['--post-test', '--timeout', '1']), 60_000);
  // The daemon starts through all of these (account unknown, every call retried with backoff): ! rows, exit 0.
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const rows = rowsOf(run.stdout);
  assert.equal(row(rows, 'credentials').mark, '!');
  assert.match(row(rows, 'credentials').detail, /did not answer within 1000 ms|no answer within 1 s/);
  // The advice names the host the request went to (AWS_ENDPOINT_URL_STS, --endpoint, the webhook): host only.
  assert.match(row(rows, 'credentials').action ?? '', new RegExp(`network access to ${new URL(w.sts.url).host} `));
  assert.equal(row(rows, 'LookupEvents us-east-1').mark, '!');
  assert.match(row(rows, 'LookupEvents us-east-1').detail, /no answer within 1 s/);
  assert.match(row(rows, 'LookupEvents us-east-1').action ?? '', new RegExp(`--endpoint \\(${new URL(w.cloudtrail.url).host}\\)`));
  assert.equal(row(rows, 'trail status').mark, '!');
  assert.match(row(rows, 'trail status').action ?? '', new RegExp(`network access to ${new URL(w.cloudtrail.url).host}$`));
  assert.equal(row(rows, 'alert email').mark, '!');
  assert.equal(row(rows, 'webhook alerts').mark, '!');
  assert.match(row(rows, 'webhook alerts').detail, /no answer within 1 s|timeout/);
  assert.match(row(rows, 'webhook alerts').action ?? '', new RegExp(`network access to ${new URL(w.slack.url).host} `));
  assertNoSecret(w, run.stdout, run.stderr);
});
