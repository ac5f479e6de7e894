import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { createAlerter, type AlertMail, type AlerterOptions } from '../src/alerts/alerter';
import { createLogger } from '../src/logging/logger';
import { AccountDirectory } from '../src/targets/account-directory';
import { ManualClock } from './support/manual-clock';

/**
 * Issue 10 item 4: an alert about another account's target names "region eu-west-1 of account prod (id)"; the
 * cooldown is per (kind, target key), so two accounts failing in one region are two alerts, and the cooldown file
 * keeps target keys across restarts. The daemon's own account (key = the region) reads as before.
 */

const HOUR = 3_600_000;
const PROD = '222233334444';
const DEV = '555566667777';
const WEBHOOK = 'https://hooks.slack.com/services/T0/B0/SECRETTOKEN123';

async function setup(t: TestContext) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'alerter-accounts-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const clock = new ManualClock();
  const sent: AlertMail[] = [];
  const logged: string[] = [];
  const accounts = new AccountDirectory();
  accounts.learn([{ id: PROD, name: 'prod' }, { id: DEV, name: `dev\n${WEBHOOK}\u202e` }]);
  const make = (more: Partial<AlerterOptions> = {}) =>
    createAlerter({
      email: { smtpUrl: undefined, to: ['oncall@example.com'] },
      transport: { sendMail: async (mail) => void sent.push(mail) },
      stateDir: dir,
      profile: 'default',
      clock,
      log: createLogger({ level: 'debug', destination: { write: (line: string) => void logged.push(line) } }),
      cooldownMs: HOUR,
      host: 'h',
      program: 'p',
      pid: 1,
      identity: () => ({ account: '111122223333', arn: 'arn:aws:iam::111122223333:user/ct' }),
      secrets: [WEBHOOK],
      accounts,
      ...more,
    });
  return { make, sent, logged, clock };
}

const failing = { kind: 'region-failing', reason: 'AccessDenied', action: 'grant cloudtrail:LookupEvents' };

test('two accounts failing in the same region are two alerts, each naming its account; the cooldown holds per account', async (t) => {
  const { make, sent } = await setup(t);
  const alerter = make();
  await alerter.alert({ ...failing, region: `${PROD}/eu-west-1` });
  await alerter.alert({ ...failing, region: `${DEV}/eu-west-1` });
  await alerter.alert({ ...failing, region: `${PROD}/eu-west-1` });
  assert.equal(sent.length, 2);
  assert.equal(sent[0]?.subject, '[cloudtrail-slack] region-failing in region eu-west-1 of account prod (222233334444) on h');
  assert.match(sent[0]?.text ?? '', /^Region: +eu-west-1$/m);
  assert.match(sent[0]?.text ?? '', /^AWS account: +prod \(222233334444\)$/m);
  assert.doesNotMatch(sent[0]?.text ?? '', /arn:aws:iam::111122223333/, 'not the daemon\'s own principal: another account');
  // A restarted daemon reads the target keys back from the cooldown file: still held.
  await make().alert({ ...failing, region: `${DEV}/eu-west-1` });
  assert.equal(sent.length, 2);
});

test('an account name is shown as text: no line break in the subject, secrets masked, invisible characters shown', async (t) => {
  const { make, sent } = await setup(t);
  await make().alert({ ...failing, region: `${DEV}/us-east-1` });
  const mail = sent[0];
  assert.ok(mail);
  assert.doesNotMatch(mail.subject, /[\r\n]/);
  assert.doesNotMatch(`${mail.subject}${mail.text}`, /SECRETTOKEN123|\u202e/);
  assert.match(mail.subject, /of account dev .*\(555566667777\)/);
});

test('the daemon\'s own account (a key that is a region) reads as before; recovered names the account too', async (t) => {
  const { make, sent } = await setup(t);
  const alerter = make();
  await alerter.alert({ ...failing, region: 'eu-west-1' });
  assert.equal(sent[0]?.subject, '[cloudtrail-slack] region-failing in eu-west-1 on h');
  assert.match(sent[0]?.text ?? '', /^AWS account: +111122223333 \(arn:aws:iam::111122223333:user\/ct\)$/m);
  await alerter.alert({ ...failing, region: `${PROD}/eu-west-1` });
  await alerter.recovered('region-failing', `${PROD}/eu-west-1`);
  assert.equal(sent[2]?.subject, '[cloudtrail-slack] recovered: region-failing in region eu-west-1 of account prod (222233334444) on h');
  assert.match(sent[2]?.text ?? '', /^AWS account: +prod \(222233334444\)$/m);
  assert.deepEqual(await alerter.openAlerts(), [{ kind: 'region-failing', region: 'eu-west-1' }]);
});
