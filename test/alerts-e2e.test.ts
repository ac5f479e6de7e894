import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { EXIT_CONFIG, EXIT_FATAL, EXIT_OK } from '../src/lib/errors';
import { daemonEnv, runCliToEnd, tempDir } from './support/cli-process';
import { ensureDist } from './support/dist';
import { startHarness } from './support/daemon-harness';
import { startSims } from './support/sims';
import { loadFixtureRecords } from './support/fixtures';
import { SMTP_PASSWORD, startSmtp, type ReceivedMail } from './support/smtp';

// Alert emails end to end: the real CLI (or runDaemon) → nodemailer → the real smtp-server on 127.0.0.1.

const WEBHOOK_TOKEN = 'SECRETTOKEN123'; // in the simulator's webhook path (support/daemon-harness.ts)

async function setup(t: TestContext) {
  const dir = tempDir(t, 'cts-mail-');
  const sims = await startSims(t);
  const smtp = await startSmtp(t);
  const email = { SMTP_URL: smtp.url, ALERT_EMAIL_TO: 'ops@example.com', ALERT_EMAIL_FROM: 'ct@example.com' };
  const env = daemonEnv(dir, { SLACK_WEBHOOK_URL: sims.slack.url, ...email });
  const args = ['-r', 'us-east-1,eu-west-1', '--endpoint', sims.cloudtrail.url, '-s', 'state'];
  const run = (extra: string[] = [], envOverride: NodeJS.ProcessEnv = env) =>
    runCliToEnd(t, [...args, ...extra], { cwd: dir, env: envOverride });
  return { dir, sims, smtp, env, email, run };
}

function assertNoSecret(mail: ReceivedMail): void {
  assert.ok(!mail.raw.includes(WEBHOOK_TOKEN), 'no webhook token in the email');
  assert.ok(!mail.raw.includes(SMTP_PASSWORD), 'no SMTP password in the email');
  assert.ok(!mail.raw.includes('test-secret-key'), 'no AWS secret key in the email');
}

test('AccessDenied in every region: one email naming cloudtrail:LookupEvents; five restarts send no second; a fixed run sends "recovered"', async (t) => {
  const { sims, smtp, run } = await setup(t);
  sims.cloudtrail.setRegionFailure('*', 'AccessDeniedException');

  const first = await run();
  assert.equal(first.code, EXIT_FATAL);
  await smtp.waitForMails(1);
  const [mail] = smtp.received;
  assert.ok(mail);
  assert.deepEqual(mail.to, ['ops@example.com']);
  assert.match(mail.subject, /access-denied/);
  assert.match(mail.body, /cloudtrail:LookupEvents/);
  assertNoSecret(mail);
  assert.ok(!first.stdout.includes(WEBHOOK_TOKEN) && !first.stdout.includes(SMTP_PASSWORD), 'nor in the log');

  // What pm2 does in a crash loop (77 is a stop code, but a human may restart it by hand too).
  for (let i = 0; i < 5; i++) {
    const again = await run();
    assert.equal(again.code, EXIT_FATAL);
    assert.match(again.stdout, /"email":"cooldown"/, 'the alert is logged, not mailed');
  }
  assert.equal(smtp.received.length, 1, 'the cooldown file held across processes');

  sims.cloudtrail.setRegionFailure('*', undefined); // the permission was granted
  assert.equal((await run(['--once'])).code, EXIT_OK);
  await smtp.waitForMails(2);
  const recovered = smtp.received[1];
  assert.ok(recovered);
  assert.match(recovered.subject, /recovered: access-denied/);
  assertNoSecret(recovered);
});

test('invalid configuration at start: exit 78 at once with the reason on stderr, and one email', async (t) => {
  const { dir, smtp, env, run } = await setup(t);
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ regionz: ['us-east-1'] }));
  const first = await run(['--config', 'bad.json']);
  assert.equal(first.code, EXIT_CONFIG);
  assert.equal(first.stderr, `cloudtrail-slack: config file ${join(dir, 'bad.json')}: unknown key 'regionz' (did you mean 'regions'?)\n`);
  await smtp.waitForMails(1);
  const [mail] = smtp.received;
  assert.ok(mail);
  assert.match(mail.subject, /config/);
  assert.match(mail.body, /invalid configuration found at start/);
  assert.match(mail.body, /unknown key 'regionz'/);
  assertNoSecret(mail);

  assert.equal((await run(['--config', 'bad.json'])).code, EXIT_CONFIG);
  assert.equal(smtp.received.length, 1, 'a restart within the cooldown sends nothing more');

  // Email settings in the very file that is wrong elsewhere: still usable, still mailed (another profile, so
  // another cooldown file).
  const { SMTP_URL, ALERT_EMAIL_TO } = env;
  writeFileSync(
    join(dir, 'bad2.json'),
    JSON.stringify({ profile: 'other', pollIntervalSeconds: -1, email: { smtpUrl: SMTP_URL, to: [ALERT_EMAIL_TO] } }),
  );
  const fileOnly = { ...env, SMTP_URL: undefined, ALERT_EMAIL_TO: undefined, ALERT_EMAIL_FROM: undefined };
  const second = await run(['--config', 'bad2.json'], fileOnly);
  assert.equal(second.code, EXIT_CONFIG);
  assert.match(second.stderr, /pollIntervalSeconds: expected a number of seconds from 1 to 86400 \(.*\), found -1/);
  await smtp.waitForMails(2);
  assert.match(smtp.received[1]?.body ?? '', /pollIntervalSeconds/);
  assertNoSecret(smtp.received[1]!);
});

test('unusable email settings: the config error alone, exit 78, nothing sent', async (t) => {
  const { smtp, env, run } = await setup(t);
  const result = await run([], { ...env, SMTP_URL: 'mail.example.com:25' });
  assert.equal(result.code, EXIT_CONFIG);
  assert.match(result.stderr, /^cloudtrail-slack: SMTP_URL is not an smtp:\/\/ or smtps:\/\/ URL/);
  assert.equal(result.stderr.split('\n').length, 2, 'one line');
  assert.equal(smtp.received.length, 0);
});

test('throttling that does not clear sends a "throttled" email, and its clearing a "recovered" one', async (t) => {
  const h = await startHarness(t);
  const smtp = await startSmtp(t);
  h.cloudtrail.setRegionFailure('us-east-1', 'throttle');
  const config = h.config({ regions: ['us-east-1'] }, { SMTP_URL: smtp.url, ALERT_EMAIL_TO: 'ops@example.com' });
  const run = h.run(config);
  await smtp.waitForMails(1); // after alertAfterMinutes of simulated backoff
  assert.match(smtp.received[0]?.subject ?? '', /throttled in us-east-1/);
  assert.match(smtp.received[0]?.body ?? '', /ThrottlingException/);

  h.cloudtrail.setRegionFailure('us-east-1', undefined);
  await smtp.waitForMails(2);
  assert.match(smtp.received[1]?.subject ?? '', /recovered: throttled in us-east-1/);
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
  assert.equal(smtp.received.length, 2);
});

test('an uncaught exception (a bug) exits 1 with one alert email; a crash loop sends no second one', async (t) => {
  // The compiled daemon, as pm2 runs it: tsx installs its own uncaught-exception handler that exits at once.
  ensureDist();
  const { dir, smtp, env, sims } = await setup(t);
  const args = ['-r', 'us-east-1,eu-west-1', '--endpoint', sims.cloudtrail.url, '-s', 'state'];
  const run = (extra: string[], envOverride: NodeJS.ProcessEnv) =>
    runCliToEnd(t, [...args, ...extra], { cwd: dir, env: envOverride, kind: 'dist' });
  // A bug injected from outside: the daemon itself has none on purpose.
  const boom = join(dir, 'boom.js');
  writeFileSync(boom, "setTimeout(() => { throw new Error('boom from a test'); }, 1500);\n");
  const crashEnv = { ...env, NODE_OPTIONS: `--require ${boom}` };
  const first = await run([], crashEnv);
  assert.equal(first.code, 1);
  assert.match(first.stderr, /boom from a test/);
  assert.match(first.stdout, /uncaught exception; exiting/);
  await smtp.waitForMails(1);
  assert.match(smtp.received[0]?.body ?? '', /uncaught exception: boom from a test/);
  assertNoSecret(smtp.received[0]!);
  const second = await run([], crashEnv);
  assert.equal(second.code, 1);
  assert.equal(smtp.received.length, 1, 'the cooldown holds across the crash loop');
});

/** The cooldown file as the daemon left it: `{ version, alerts: { "<kind>:<region|*>": { open, … } } }`. */
function openAlerts(stateDir: string): string[] {
  const file = readdirSync(stateDir).find((name) => name.endsWith('.alerts.json'));
  if (!file) return [];
  const { alerts } = JSON.parse(readFileSync(join(stateDir, file), 'utf8')) as { alerts: Record<string, { open: boolean }> };
  return Object.entries(alerts).filter(([, record]) => record.open).map(([key]) => key);
}

test('a refused webhook: --once exits 77 with one slack-refused email; a rerun with a working webhook posts, sends "recovered" and closes it', async (t) => {
  const { dir, sims, smtp, run } = await setup(t);
  const now = Date.now();
  const records = loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin').slice(0, 3);
  records.forEach((r, i) => sims.cloudtrail.addRecord(r, { region: 'us-east-1', eventTime: now - 5 * 60_000 + i * 1000 }));
  sims.slack.setDefault({ status: 404, body: 'no_service' }); // the webhook was revoked

  const first = await run(['--once']);
  assert.equal(first.code, EXIT_FATAL);
  await smtp.waitForMails(1);
  assert.match(smtp.received[0]?.subject ?? '', /slack-refused/);
  assert.deepEqual(openAlerts(join(dir, 'state')), ['slack-refused:*']);

  sims.slack.reset(); // a new webhook URL, and a restart: the README's documented fix
  const second = await run(['--once']);
  assert.equal(second.code, EXIT_OK);
  assert.equal(sims.slack.received.length, records.length, 'everything posted');
  await smtp.waitForMails(2);
  assert.match(smtp.received[1]?.subject ?? '', /recovered: slack-refused/);
  assertNoSecret(smtp.received[1]!);
  assert.deepEqual(openAlerts(join(dir, 'state')), [], 'the cooldown file no longer holds an open alert');
  assert.equal(smtp.received.length, 2);
});

test('Slack failing until --once gives up: one slack-failing email; the next run that posts sends "recovered"', async (t) => {
  const h = await startHarness(t);
  const smtp = await startSmtp(t);
  const records = loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin').slice(0, 4);
  const addEvents = (batch: typeof records) =>
    batch.forEach((r, i) => h.cloudtrail.addRecord(r, { region: 'us-east-1', eventTime: h.clock.now() - 60_000 + i * 1000 }));
  const email = { SMTP_URL: smtp.url, ALERT_EMAIL_TO: 'ops@example.com' };
  const config = h.config({ regions: ['us-east-1'], once: true }, email);
  addEvents(records.slice(0, 2));
  h.slack.setDefault({ status: 503, body: 'service_unavailable' });

  assert.equal(await h.run(config).done, 1, 'the pass failed');
  await smtp.waitForMails(1);
  assert.match(smtp.received[0]?.subject ?? '', /slack-failing/);
  assert.deepEqual(openAlerts(h.stateDir), ['slack-failing:*']);

  // The first run spent alertAfterMinutes (simulated) on retries; what the second one reads is recent.
  h.slack.reset();
  addEvents(records.slice(2));
  assert.equal(await h.run(config).done, EXIT_OK);
  assert.ok(h.slack.received.length >= 2, 'posted');
  await smtp.waitForMails(2);
  assert.match(smtp.received[1]?.subject ?? '', /recovered: slack-failing/);
  assert.deepEqual(openAlerts(h.stateDir), []);
  assert.equal(smtp.received.length, 2);
});
