import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { createAlerter, type AlertMail, type AlerterOptions, type MailSender } from '../src/alerts/alerter';
import { createMailTransport, describeSmtp } from '../src/alerts/mailer';
import { ConfigError } from '../src/lib/errors';
import { createLogger, type Logger } from '../src/logging/logger';
import { ManualClock } from './support/manual-clock';
import { startSmtp } from './support/smtp';

const USER = 'alerts';
const PASSWORD = 'hunter2';
const HOST = 'testhost.example';
const PROGRAM = '/opt/cloudtrail-slack/bin/cloudtrail-slack';
const PID = 4242;
const MINUTE = 60_000;
const COOLDOWN_MS = 60 * MINUTE;
const WEBHOOK = 'https://hooks.slack.com/services/T0/B0/SECRETTOKEN123';
const ACCESS_KEY = 'AKIAIOSFODNN7EXAMPLE';

// ---- fakes -------------------------------------------------------------------------------------------------

/** The real smtp-server on 127.0.0.1: AUTH PLAIN checked against USER/PASSWORD, STARTTLS disabled. */
const startSmtpServer = (t: TestContext) => startSmtp(t, { user: USER, password: PASSWORD });

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Accepts connections and never says a word (no SMTP greeting). */
async function startSilentServer(t: TestContext): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as net.AddressInfo).port;
}

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

function captureLogs(): { log: Logger; lines: LogLine[]; text: () => string } {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  const log = createLogger({
    level: 'debug',
    destination: {
      write(chunk: string) {
        raw.push(chunk);
        lines.push(JSON.parse(chunk) as LogLine);
      },
    },
  });
  return { log, lines, text: () => raw.join('') };
}

const ERROR = 50;
const WARN = 40;
const INFO = 30;

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alerter-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

interface Setup {
  clock: ManualClock;
  logs: ReturnType<typeof captureLogs>;
  stateDir: string;
  make: (overrides?: Partial<AlerterOptions>) => ReturnType<typeof createAlerter>;
}

async function setup(t: TestContext, smtpUrl: string | undefined, overrides: Partial<AlerterOptions> = {}): Promise<Setup> {
  const clock = new ManualClock();
  const logs = captureLogs();
  const stateDir = await tempDir(t);
  const make = (more: Partial<AlerterOptions> = {}) =>
    createAlerter({
      email: { smtpUrl, to: ['oncall@example.com', 'sec@example.com'] },
      stateDir,
      profile: 'prod',
      clock,
      log: logs.log,
      cooldownMs: COOLDOWN_MS,
      sendTimeoutMs: 5000,
      host: HOST,
      program: PROGRAM,
      pid: PID,
      ...overrides,
      ...more,
    });
  return { clock, logs, stateDir, make };
}

const credentialsAlert = {
  kind: 'credentials',
  region: 'us-east-1',
  reason: 'UnrecognizedClientException: The security token included in the request is invalid.',
  action: 'Check the access key of AWS profile "prod" and restart the daemon.',
  account: '123456789012',
};

// ---- mailer ------------------------------------------------------------------------------------------------

test('describeSmtp shows scheme, host and port but never the user or password', () => {
  assert.equal(describeSmtp('smtp://alerts:hunter2@mail.example.com:2525'), 'smtp://mail.example.com:2525');
  assert.equal(describeSmtp('smtp://alerts:hunter2@mail.example.com'), 'smtp://mail.example.com:587');
  assert.equal(describeSmtp('smtps://alerts:hunter2@mail.example.com'), 'smtps://mail.example.com:465');
  assert.equal(describeSmtp('alerts:hunter2@mail.example.com'), '(invalid smtp url)');
  assert.equal(describeSmtp(undefined), '(none)');
});

test('createMailTransport bounds nodemailer timeouts and reads the credentials from the URL', () => {
  const transport = createMailTransport('smtp://al%40erts:hun%3Ater2@mail.example.com:2525?ignoreTLS=true');
  const options = (transport as unknown as { transporter: { options: Record<string, unknown> } }).transporter.options;
  assert.equal(options.connectionTimeout, 10_000);
  assert.equal(options.greetingTimeout, 10_000);
  assert.equal(options.socketTimeout, 20_000);
  assert.equal(options.host, 'mail.example.com');
  assert.equal(options.port, 2525);
  assert.equal(options.ignoreTLS, true);
  assert.deepEqual(options.auth, { user: 'al@erts', pass: 'hun:ter2' });
  const short = createMailTransport('smtp://mail.example.com', { timeoutMs: 300 });
  const shortOptions = (short as unknown as { transporter: { options: Record<string, unknown> } }).transporter.options;
  assert.equal(shortOptions.greetingTimeout, 300);
  assert.equal(shortOptions.socketTimeout, 300);
});

test('createMailTransport rejects a URL that is not smtp(s) without quoting it', () => {
  for (const bad of ['alerts:hunter2@mail.example.com', 'http://alerts:hunter2@mail.example.com', 'not a url hunter2']) {
    assert.throws(
      () => createMailTransport(bad),
      (error: unknown) => error instanceof ConfigError && !error.message.includes('hunter2') && !error.message.includes('alerts'),
    );
  }
});

// ---- alerts over real SMTP ---------------------------------------------------------------------------------

test('emails an alert with host, program, pid, profile, account, region, kind, reason, action and time', async (t) => {
  const smtp = await startSmtpServer(t);
  const { make } = await setup(t, smtp.url);
  await make().alert(credentialsAlert);

  assert.equal(smtp.received.length, 1);
  const [mail] = smtp.received;
  assert.ok(mail);
  assert.equal(mail.from, `cloudtrail-slack@${HOST}`);
  assert.deepEqual(mail.to, ['oncall@example.com', 'sec@example.com']);
  assert.equal(mail.subject, `[cloudtrail-slack] credentials in us-east-1 on ${HOST}`);
  assert.match(mail.headers, /^auto-submitted: auto-generated$/im);
  for (const expected of [
    `Host:        ${HOST}`,
    `Program:     ${PROGRAM}`,
    `PID:         ${PID}`,
    'AWS profile: prod',
    'AWS account: 123456789012',
    'Region:      us-east-1',
    'Kind:        credentials',
    `Reason:      ${credentialsAlert.reason}`,
    `What to do:  ${credentialsAlert.action}`,
    'Time:        2026-11-26T12:00:00.000Z',
    'every 60 minutes',
  ]) {
    assert.ok(mail.body.includes(expected), `body lacks ${JSON.stringify(expected)}:\n${mail.body}`);
  }
});

test('uses the configured from address', async (t) => {
  const smtp = await startSmtpServer(t);
  const { make } = await setup(t, undefined);
  await make({ email: { smtpUrl: smtp.url, to: ['a@example.com'], from: 'ct@example.org' } }).alert(credentialsAlert);
  assert.equal(smtp.received[0]?.from, 'ct@example.org');
  assert.deepEqual(smtp.received[0]?.to, ['a@example.com']);
});

test('keeps the SMTP password, webhook URLs and access keys out of the email, the logs and the state file', async (t) => {
  const smtp = await startSmtpServer(t);
  const { make, logs, stateDir } = await setup(t, smtp.url);
  const alerter = make();
  await alerter.alert({
    kind: 'slack-refused',
    region: 'eu-west-1',
    reason:
      `POST ${WEBHOOK} failed with 404 no_service; key ${ACCESS_KEY}; ` +
      `mail via smtp://${USER}:${PASSWORD}@127.0.0.1:${smtp.port} (password ${PASSWORD})`,
    action: `Create a new webhook to replace ${WEBHOOK} and set SLACK_WEBHOOK_URL.`,
  });
  await alerter.recovered('slack-refused', 'eu-west-1', `webhook ${WEBHOOK} works again`);

  assert.equal(smtp.received.length, 2);
  const stateFile = await readFile(path.join(stateDir, '.prod.alerts.json'), 'utf8');
  const places = {
    ...Object.fromEntries(smtp.received.flatMap((m, i) => [[`raw email ${i}`, m.raw], [`decoded body ${i}`, m.body]])),
    logs: logs.text(),
    'state file': stateFile,
  };
  for (const [where, text] of Object.entries(places)) {
    for (const secret of [PASSWORD, 'SECRETTOKEN123', 'services/T0/B0', ACCESS_KEY]) {
      assert.ok(!text.includes(secret), `${where} contains ${secret}`);
    }
  }
  // Scrubbed, not dropped: the human still sees what happened.
  const body = smtp.received[0]?.body ?? '';
  assert.ok(body.includes('POST https://hooks.slack.com/*** failed with 404 no_service'), body);
  assert.ok(body.includes('key AKIA************MPLE'), body);
  // The configured SMTP URL's whole userinfo is masked by value (an SMTP user may be a key too, as SES's is).
  assert.ok(body.includes('smtp://***@127.0.0.1'), body);
  const logged = logs.lines.find((l) => l.msg === 'alert: a human must act');
  assert.match(String(logged?.reason), /hooks\.slack\.com\/\*\*\*/);
});

test('sends one email for the same kind and region within the cooldown', async (t) => {
  const smtp = await startSmtpServer(t);
  const { make, clock, logs } = await setup(t, smtp.url);
  const alerter = make();
  await alerter.alert(credentialsAlert);
  await clock.advance(COOLDOWN_MS - 1);
  await alerter.alert(credentialsAlert);
  assert.equal(smtp.received.length, 1);
  // Every alert is logged with its fields, the held-back one too.
  const alertLines = logs.lines.filter((l) => l.msg === 'alert: a human must act');
  assert.deepEqual(
    alertLines.map((l) => [l.level, l.kind, l.region, l.reason, l.action, l.email]),
    [
      [ERROR, 'credentials', 'us-east-1', credentialsAlert.reason, credentialsAlert.action, 'sending'],
      [ERROR, 'credentials', 'us-east-1', credentialsAlert.reason, credentialsAlert.action, 'cooldown'],
    ],
  );
});

test('sends one email for two concurrent alerts of the same kind and region', async (t) => {
  const smtp = await startSmtpServer(t);
  const { make } = await setup(t, smtp.url);
  const alerter = make();
  await Promise.all([alerter.alert(credentialsAlert), alerter.alert(credentialsAlert)]);
  assert.equal(smtp.received.length, 1);
});

test('sends one email in total across five restarts within the cooldown (pm2 crash loop)', async (t) => {
  const smtp = await startSmtpServer(t);
  const { make, clock, stateDir } = await setup(t, smtp.url);
  for (let restart = 0; restart < 5; restart += 1) {
    await make({ pid: PID + restart }).alert({ ...credentialsAlert, kind: 'fatal' });
    await clock.advance(12_000);
  }
  assert.equal(smtp.received.length, 1);
  const info = await stat(path.join(stateDir, '.prod.alerts.json'));
  assert.equal(info.mode & 0o777, 0o600);
});

test('sends a second email once the cooldown has passed', async (t) => {
  const smtp = await startSmtpServer(t);
  const { make, clock } = await setup(t, smtp.url);
  await make().alert(credentialsAlert);
  await clock.advance(COOLDOWN_MS);
  await make().alert(credentialsAlert);
  assert.equal(smtp.received.length, 2);
  assert.match(smtp.received[1]?.body ?? '', /Time: {8}2026-11-26T13:00:00\.000Z/);
});

test('a different region gets its own email', async (t) => {
  const smtp = await startSmtpServer(t);
  const { make } = await setup(t, smtp.url);
  const alerter = make();
  await alerter.alert(credentialsAlert);
  await alerter.alert({ ...credentialsAlert, region: 'eu-west-1' });
  await alerter.alert({ ...credentialsAlert, region: undefined });
  assert.deepEqual(
    smtp.received.map((m) => m.subject),
    [
      `[cloudtrail-slack] credentials in us-east-1 on ${HOST}`,
      `[cloudtrail-slack] credentials in eu-west-1 on ${HOST}`,
      `[cloudtrail-slack] credentials on ${HOST}`,
    ],
  );
});

test('sends one recovered email for an open alert and none for a second recovered call', async (t) => {
  const smtp = await startSmtpServer(t);
  const { make, clock } = await setup(t, smtp.url);
  const alerter = make();
  await alerter.recovered('credentials', 'us-east-1'); // nothing open yet
  assert.equal(smtp.received.length, 0);

  await alerter.alert(credentialsAlert);
  await clock.advance(5 * MINUTE); // well inside the cooldown: recovery is not held back
  await alerter.recovered('credentials', 'us-east-1', 'LookupEvents succeeded again');
  await alerter.recovered('credentials', 'us-east-1', 'LookupEvents succeeded again');
  await alerter.recovered('credentials', 'eu-west-1');

  assert.equal(smtp.received.length, 2);
  const recovered = smtp.received[1];
  assert.equal(recovered?.subject, `[cloudtrail-slack] recovered: credentials in us-east-1 on ${HOST}`);
  for (const expected of [
    'Note:        LookupEvents succeeded again',
    'Alerted at:  2026-11-26T12:00:00.000Z',
    `Reason was:  ${credentialsAlert.reason}`,
    `Host:        ${HOST}`,
    'Time:        2026-11-26T12:05:00.000Z',
  ]) {
    assert.ok(recovered?.body.includes(expected), `body lacks ${JSON.stringify(expected)}:\n${recovered?.body}`);
  }
});

test('a restarted process sends the recovered email for the alert its predecessor sent', async (t) => {
  const smtp = await startSmtpServer(t);
  const { make } = await setup(t, smtp.url);
  await make({ pid: 1 }).alert(credentialsAlert);
  await make({ pid: 2 }).recovered('credentials', 'us-east-1');
  await make({ pid: 3 }).recovered('credentials', 'us-east-1');
  assert.deepEqual(
    smtp.received.map((m) => m.subject.split(' ')[1]),
    ['credentials', 'recovered:'],
  );
});

// ---- failures ----------------------------------------------------------------------------------------------

test('resolves and logs the failure without the password when the SMTP server is down', async (t) => {
  const port = await closedPort();
  const { make, logs } = await setup(t, `smtp://${USER}:${PASSWORD}@127.0.0.1:${port}`);
  await make().alert(credentialsAlert);
  const failure = logs.lines.find((l) => l.msg === 'alert email failed');
  assert.ok(failure, logs.text());
  assert.equal(failure.level, ERROR);
  assert.equal(failure.smtp, `smtp://127.0.0.1:${port}`);
  assert.equal((failure.err as { code?: string }).code, 'ESOCKET');
  assert.ok(!logs.text().includes(PASSWORD));
});

test('logs a refused login without the password', async (t) => {
  const smtp = await startSmtpServer(t);
  const wrong = 'wr0ngPassw0rd';
  const { make, logs } = await setup(t, `smtp://${USER}:${wrong}@127.0.0.1:${smtp.port}`);
  await make().alert(credentialsAlert);
  assert.equal(smtp.received.length, 0);
  const failure = logs.lines.find((l) => l.msg === 'alert email failed');
  assert.equal((failure?.err as { code?: string } | undefined)?.code, 'EAUTH', logs.text());
  assert.ok(!logs.text().includes(wrong));
});

test('resolves within sendTimeoutMs when the server accepts and never answers', { timeout: 10_000 }, async (t) => {
  const port = await startSilentServer(t);
  const { make, logs } = await setup(t, `smtp://${USER}:${PASSWORD}@127.0.0.1:${port}`, { sendTimeoutMs: 300 });
  const started = performance.now();
  await make().alert(credentialsAlert);
  const elapsed = performance.now() - started;
  // A bound, not a sleep: nodemailer's own default would wait 30 s for the greeting.
  assert.ok(elapsed < 3000, `took ${elapsed} ms`);
  const failure = logs.lines.find((l) => l.msg === 'alert email timed out' || l.msg === 'alert email failed');
  assert.ok(failure, logs.text());
  assert.equal(failure.smtp, `smtp://127.0.0.1:${port}`);
  assert.ok(!logs.text().includes(PASSWORD));
});

test('gives up on a transport that never settles after sendTimeoutMs and aborts it', { timeout: 10_000 }, async (t) => {
  const signals: AbortSignal[] = [];
  const hanging: MailSender = {
    sendMail: (mail: AlertMail) => {
      signals.push(mail.signal);
      return new Promise(() => undefined);
    },
  };
  const { make, logs } = await setup(t, 'smtp://mail.example.com', { transport: hanging, sendTimeoutMs: 200 });
  // The guard timer is unref()'d so it never holds the daemon open; in the daemon the pollers keep the event
  // loop alive, here this handle stands in for them (a hanging fake has no socket of its own).
  const keepAlive = setInterval(() => undefined, 1000);
  t.after(() => clearInterval(keepAlive));
  await make().alert(credentialsAlert);
  assert.equal(signals.length, 1);
  assert.equal(signals[0]?.aborted, true);
  assert.ok(logs.lines.some((l) => l.msg === 'alert email timed out' && l.level === ERROR && l.timeoutMs === 200));
});

test('a failed send does not start the cooldown', async (t) => {
  const sent: AlertMail[] = [];
  let failNext = true;
  const flaky: MailSender = {
    sendMail: async (mail: AlertMail) => {
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:587'), { code: 'ESOCKET', command: 'CONN' });
      }
      sent.push(mail);
      return {};
    },
  };
  const { make } = await setup(t, 'smtp://mail.example.com', { transport: flaky });
  await make().alert(credentialsAlert); // fails
  await make().alert(credentialsAlert); // a restarted process tries again
  await make().alert(credentialsAlert); // now held back
  assert.equal(sent.length, 1);
});

test('logs alerts only, and says once that email is off, when no email is configured', async (t) => {
  const { make, logs, stateDir } = await setup(t, undefined);
  const alerter = make();
  await alerter.alert(credentialsAlert);
  await alerter.alert(credentialsAlert);
  await alerter.alert({ ...credentialsAlert, kind: 'config', region: undefined });
  await alerter.recovered('credentials', 'us-east-1');
  await alerter.recovered('credentials', 'us-east-1');

  const off = logs.lines.filter((l) => l.msg.startsWith('email alerts are off'));
  assert.equal(off.length, 1);
  assert.equal(off[0]?.level, INFO);
  assert.equal(
    off[0]?.msg,
    'email alerts are off: set SMTP_URL and ALERT_EMAIL_TO (or email.smtpUrl / email.to) to get them',
  );
  const alerts = logs.lines.filter((l) => l.msg === 'alert: a human must act');
  assert.deepEqual(
    alerts.map((l) => [l.level, l.kind, l.region, l.reason, l.action, l.email]),
    [
      [ERROR, 'credentials', 'us-east-1', credentialsAlert.reason, credentialsAlert.action, 'off'],
      [ERROR, 'credentials', 'us-east-1', credentialsAlert.reason, credentialsAlert.action, 'off'],
      [ERROR, 'config', null, credentialsAlert.reason, credentialsAlert.action, 'off'],
    ],
  );
  assert.equal(logs.lines.filter((l) => l.msg === 'alert condition recovered').length, 1);
  await assert.rejects(stat(path.join(stateDir, '.prod.alerts.json')), { code: 'ENOENT' });
});

test('an SMTP URL without recipients is log-only too', async (t) => {
  const sent: AlertMail[] = [];
  const { make, logs } = await setup(t, undefined);
  const alerter = make({
    email: { smtpUrl: `smtp://${USER}:${PASSWORD}@127.0.0.1:1`, to: [] },
    transport: { sendMail: async (mail: AlertMail) => sent.push(mail) },
  });
  await alerter.alert(credentialsAlert);
  assert.equal(sent.length, 0);
  assert.equal(logs.lines.filter((l) => l.msg.startsWith('email alerts are off')).length, 1);
});

test('treats a corrupt cooldown file as empty, warns, and overwrites it', async (t) => {
  const smtp = await startSmtpServer(t);
  const { make, logs, stateDir } = await setup(t, smtp.url);
  const file = path.join(stateDir, '.prod.alerts.json');
  await writeFile(file, '{"version":1,"alerts":{"credentials:us-east-1":', { mode: 0o644 });
  await make().alert(credentialsAlert);
  assert.equal(smtp.received.length, 1);
  assert.ok(logs.lines.some((l) => l.level === WARN && l.msg === 'alert cooldown file is unusable; starting afresh'));
  const saved = JSON.parse(await readFile(file, 'utf8')) as { version: number; alerts: Record<string, { open: boolean }> };
  assert.equal(saved.version, 1);
  assert.equal(saved.alerts['credentials:us-east-1']?.open, true);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  // …and the rewritten file keeps the next restart quiet.
  await make().alert(credentialsAlert);
  assert.equal(smtp.received.length, 1);
});

test('a cooldown file that is not one is set aside (…corrupt-<stamp>), like a state file', async (t) => {
  const smtp = await startSmtpServer(t);
  const { make, logs, stateDir } = await setup(t, smtp.url);
  const file = path.join(stateDir, '.prod.alerts.json');
  await writeFile(file, JSON.stringify({ version: 7, alerts: {} }));
  await make().alert(credentialsAlert);
  const warning = logs.lines.find((l) => l.msg === 'alert cooldown file is unusable; starting afresh');
  assert.equal(warning?.['reason'], 'unsupported version 7');
  assert.equal(warning?.['movedTo'], `${file}.corrupt-20261126T120000Z`);
  assert.equal(await readFile(`${file}.corrupt-20261126T120000Z`, 'utf8'), JSON.stringify({ version: 7, alerts: {} }));
  assert.equal(smtp.received.length, 1);
});

test('every cooldown entry is checked: a bad one is dropped alone (and never mutes or crashes), the good ones kept', async (t) => {
  const smtp = await startSmtpServer(t);
  const { make, logs, stateDir, clock } = await setup(t, smtp.url);
  const file = path.join(stateDir, '.prod.alerts.json');
  const now = clock.now();
  const good = { kind: 'throttled', region: 'eu-west-1', lastSentAt: new Date(now).toISOString(), open: true, updatedAt: now };
  const bad: Record<string, unknown> = {
    'credentials:us-east-1': { kind: 'credentials', region: 'us-east-1', lastSentAt: '+275760-09-13T00:00:00.001Z', open: true, updatedAt: now },
    'fatal:*': { kind: 'fatal', updatedAt: 1e300, open: true },
    'config:*': { kind: 'credentials', updatedAt: now }, // the key names another kind
    'x:*': { kind: 'x'.repeat(500), updatedAt: now },
    'slack-refused:*': { kind: 'slack-refused', updatedAt: now, open: 'yes' },
    'region-failing:../../etc': { kind: 'region-failing', region: '../../etc', updatedAt: now },
    'slack-failing:*': { kind: 'slack-failing', updatedAt: now, reason: 'r'.repeat(100_000) },
  };
  await writeFile(file, JSON.stringify({ version: 1, alerts: { 'throttled:eu-west-1': good, ...bad } }));
  const alerter = make();
  assert.deepEqual(await alerter.openAlerts(), [{ kind: 'throttled', region: 'eu-west-1' }]);
  const dropped = logs.lines.filter((l) => l.msg === 'alert cooldown entry is invalid; ignored').map((l) => l['key']);
  assert.deepEqual(dropped.sort(), Object.keys(bad).map((k) => k.slice(0, 100)).sort());
  await alerter.alert(credentialsAlert); // its bad entry (a lastSentAt past the Date range) does not mute it
  assert.equal(smtp.received.length, 1);
  await alerter.alert({ ...credentialsAlert, kind: 'throttled', region: 'eu-west-1' }); // the good entry still holds
  assert.equal(smtp.received.length, 1);
});

test('still sends when the cooldown file cannot be written, and keeps the cooldown in memory', async (t) => {
  const smtp = await startSmtpServer(t);
  const { make, logs, stateDir } = await setup(t, smtp.url);
  // A file where the state folder should be: the folder cannot be created, so the cooldown file cannot be written.
  const blocked = path.join(stateDir, 'not-a-folder');
  await writeFile(blocked, '');
  const alerter = make({ stateDir: blocked });
  await alerter.alert({ ...credentialsAlert, kind: 'state-unwritable' });
  await alerter.alert({ ...credentialsAlert, kind: 'state-unwritable' });
  assert.equal(smtp.received.length, 1);
  assert.ok(logs.lines.some((l) => l.level === WARN && l.msg === 'cannot save alert cooldown; continuing'));
});

// ---- who the daemon runs as (issue 9 item 3) ----------------------------------------------------------------

test('names the AWS account and principal the daemon runs as, in alert and recovered emails, once it knows them', async (t) => {
  const smtp = await startSmtpServer(t);
  const { make } = await setup(t, smtp.url);
  let identity: { account: string; arn: string } | undefined;
  const alerter = make({ identity: () => identity });
  const { account: _none, ...withoutAccount } = credentialsAlert;
  await alerter.alert(withoutAccount);
  assert.match(smtp.received[0]?.body ?? '', /^AWS account: \(unknown\)$/m, 'not known yet: said so');
  identity = { account: '111122223333', arn: 'arn:aws:sts::111122223333:assumed-role/Audit/cts' };
  await alerter.alert({ ...withoutAccount, kind: 'throttled' });
  await alerter.recovered('throttled', 'us-east-1');
  const line = 'AWS account: 111122223333 (arn:aws:sts::111122223333:assumed-role/Audit/cts)';
  assert.ok(smtp.received[1]?.body.includes(line), smtp.received[1]?.body);
  assert.ok(smtp.received[2]?.body.includes(line), `the recovered email too:\n${smtp.received[2]?.body}`);
});

test('an account named by the alert itself wins over the identity (an alert about another account)', async (t) => {
  const smtp = await startSmtpServer(t);
  const { make } = await setup(t, smtp.url);
  await make({ identity: () => ({ account: '111122223333', arn: 'arn:aws:iam::111122223333:user/cts' }) }).alert(credentialsAlert);
  assert.match(smtp.received[0]?.body ?? '', /^AWS account: 123456789012$/m);
});
