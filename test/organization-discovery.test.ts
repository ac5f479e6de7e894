import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_FATAL, EXIT_OK } from '../src/lib/errors';
import { createOrganizationsClient } from '../src/aws/clients';
import { listActiveAccounts } from '../src/aws/organizations';
import {
  accountsOfListing,
  createOrganizationDiscovery,
  ORGANIZATION_REFRESH_MS,
  ORGANIZATION_RETRY_MS,
  partitionOf,
} from '../src/targets/organization-discovery';
import { captureLogger } from './support/daemon-harness';
import { ManualClock } from './support/manual-clock';
import { startAccountsRig, STS_REGION, writeRecords } from './support/accounts-daemon';
import { SIM_ROLE_NAME } from './support/sims';
import { waitFor } from './support/cli-process';

// Organisation discovery (issue 10 item 4): the accounts come from Organizations ListAccounts, at start and hourly.

const MIN = 60_000;
const BOUNDED = { timeout: 120_000 };
const [A, B, D, X] = ['111111111111', '222222222222', '444444444444', '999999999999'];
const QUIET = { digest: { enabled: false }, alertAfterMinutes: 24 * 60, initialLookbackMinutes: 24 * 60 };

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

test('a listing becomes accounts reached by the role in each, minus the excluded ones and anything that is not an account ID', () => {
  const organization = { roleName: 'Reader', externalId: 'ext-1', exclude: [X], regions: ['eu-west-1'] };
  const listed = [{ id: A, name: 'prod' }, { id: X, name: 'excluded' }, { id: 'not-an-id' }, { id: A, name: 'again' }, { id: B }];
  assert.deepEqual(accountsOfListing(listed, organization, 'eu-west-1'), [
    { id: A, name: 'prod', roleArn: `arn:aws:iam::${A}:role/Reader`, externalId: 'ext-1', regions: ['eu-west-1'] },
    { id: B, roleArn: `arn:aws:iam::${B}:role/Reader`, externalId: 'ext-1', regions: ['eu-west-1'] },
  ]);
  assert.deepEqual([partitionOf('cn-north-1'), partitionOf('us-gov-west-1'), partitionOf('eu-west-1')], ['aws-cn', 'aws-us-gov', 'aws']);
});

test('the organisation is listed at start and hourly: a new account is watched, a closed one stops with its state saved, each said once', BOUNDED, async (t) => {
  const rig = await startAccountsRig(t, { organization: [{ id: A, name: 'prod' }, { id: B, name: 'closing' }, { id: X, name: 'excluded' }] });
  const { sims, clock } = rig;
  for (const id of [A, B, D, X]) sims.addRole(id);
  const records = writeRecords(3);
  const t0 = clock.now();
  const idA = sims.cloudtrail.addRecord(records[0]!, { account: A, region: 'eu-west-1', eventTime: t0 - 5 * MIN })!;
  const idB = sims.cloudtrail.addRecord(records[1]!, { account: B, region: 'eu-west-1', eventTime: t0 - 5 * MIN })!;
  const config = {
    ...rig.config({ regions: ['eu-west-1'], pollIntervalSeconds: 600 }, QUIET),
    organization: { roleName: SIM_ROLE_NAME, exclude: [X] },
  };
  const run = rig.run(config);
  await sims.slack.waitForMessages(2);
  assert.equal(sims.book.assumeRoleCalls(`arn:aws:iam::${X}:role/${SIM_ROLE_NAME}`), 0, 'the excluded account is never touched');

  // The organisation changes: D joins, B is closed. The hourly refresh picks both up.
  sims.organizations.addAccount({ id: D, name: 'new-team' });
  sims.organizations.setState(B, 'CLOSED');
  const idD = sims.cloudtrail.addRecord(records[2]!, { account: D, region: 'eu-west-1', eventTime: clock.now() })!;
  await sims.slack.waitForMessages(3);
  await until(() => run.logs.lines.some((l) => l.msg === 'target stopped' && l.target === `${B}/eu-west-1`));
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);

  const raw = sims.slack.received.map((m) => m.raw);
  for (const id of [idA, idB, idD]) assert.equal(raw.filter((r) => r.includes(id)).length, 1, `${id} posted once`);
  const said = (msg: string, account: string) => run.logs.lines.filter((l) => l.msg === msg && l.account === account).length;
  assert.equal(said('account joined the organisation: watching it', D), 1);
  assert.equal(said('account no longer in the organisation (closed or excluded): its regions stop', B), 1);
  assert.equal(said('account joined the organisation: watching it', B), 0, 'those of the first listing are not "joined"');
  assert.ok(clock.now() - t0 >= 60 * MIN, 'not before the hourly refresh');
  // B's progress is saved: its offset is past its event (a B added back would not post it again).
  const stateOfB = JSON.parse(readFileSync(join(rig.stateDir, `.${B}.eu-west-1.cloudtrail.state`), 'utf8')) as { offset: number };
  assert.ok(stateOfB.offset > t0 - 5 * MIN, "B's offset moved past its delivered event");
  assert.ok(existsSync(join(rig.stateDir, `.${D}.eu-west-1.cloudtrail.state`)));
});

test('credentials that are not the management account nor a delegated administrator: fatal at start with that advice (77)', BOUNDED, async (t) => {
  const rig = await startAccountsRig(t, { organization: [{ id: A }] });
  const member = rig.sims.addProfileKeys(A);
  const client = createOrganizationsClient({ region: STS_REGION, endpoint: rig.sims.organizations.url, credentials: member, requestTimeoutMs: 5000 });
  t.after(() => client.destroy());
  const lines: string[] = [];
  const config = { ...rig.config({ regions: ['eu-west-1'] }, QUIET), organization: { roleName: SIM_ROLE_NAME, exclude: [] } };
  const run = rig.run(config, { listAccounts: (signal) => listActiveAccounts(client, signal), reportFailure: (line) => void lines.push(line) });
  assert.equal(await run.done, EXIT_FATAL);
  assert.match(lines.join('\n'), /management account or a delegated administrator/);
  assert.ok(!run.logs.lines.some((l) => l.msg === 'ready'));
});

test('the hourly refresh: a failed listing keeps the current accounts, says why, and is tried again after 15 minutes', async (t) => {
  const clock = new ManualClock();
  const logs = captureLogger();
  const applied: Array<{ at: number; ids: string[] }> = [];
  const asked: number[] = [];
  const t0 = clock.now();
  const answers: Array<Error | Array<{ id: string }>> = [Object.assign(new Error('down'), { name: 'ServiceException', $metadata: { httpStatusCode: 500 } }), [{ id: A }, { id: D }]];
  const service = createOrganizationDiscovery({
    list: async () => {
      asked.push(clock.now() - t0);
      const answer = answers.shift() ?? [{ id: A }];
      if (answer instanceof Error) throw answer;
      return answer;
    },
    organization: { roleName: 'Reader', exclude: [] },
    firstRegion: 'us-east-1',
    apply: async (accounts) => void applied.push({ at: clock.now() - t0, ids: accounts.map((a) => a.id) }),
    clock,
    log: logs.log,
  });
  const stop = new AbortController();
  const running = service.run(stop.signal);
  t.after(() => stop.abort());
  await clock.advance(ORGANIZATION_REFRESH_MS);
  assert.deepEqual(applied, [], 'nothing applied after a failure: the last list stays');
  assert.equal(logs.lines.filter((l) => l.msg === 'organisation listing failed; keeping the current accounts and trying again later').length, 1);
  await clock.advance(ORGANIZATION_RETRY_MS);
  assert.deepEqual(asked, [ORGANIZATION_REFRESH_MS, ORGANIZATION_REFRESH_MS + ORGANIZATION_RETRY_MS]);
  assert.deepEqual(applied, [{ at: ORGANIZATION_REFRESH_MS + ORGANIZATION_RETRY_MS, ids: [A, D] }]);
  stop.abort();
  await running;
});

test('a transient Organizations failure at start (throttled, 5xx, a network error) is retried before "ready", each try said once at warn', BOUNDED, async (t) => {
  const rig = await startAccountsRig(t, { organization: [{ id: A }, { id: B }] });
  for (const id of [A, B]) rig.sims.addRole(id);
  rig.sims.organizations.failNext('TooManyRequestsException');
  rig.sims.organizations.failNext('ServiceException');
  rig.sims.organizations.failNext('refuse');
  const config = { ...rig.config({ regions: ['eu-west-1'], pollIntervalSeconds: 3600 }, QUIET), organization: { roleName: SIM_ROLE_NAME, exclude: [] } };
  const run = rig.run(config);
  await waitFor('ready', () => run.logs.lines.some((l) => l.msg === 'ready'));
  const failed = run.logs.lines.filter((l) => String(l.msg).startsWith('cannot list the organisation\'s accounts yet'));
  assert.equal(failed.length, 3, 'one warning per failed try');
  assert.ok(failed.every((l) => l.level === 40), 'at warn');
  assert.match(failed.map((l) => String(l.err)).join('\n'), /TooManyRequests/);
  assert.ok(run.logs.lines.some((l) => l.msg === 'organisation accounts listed' && l.accounts === 2));
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
});

test('a stop while the first listing keeps failing ends the wait: a clean stop, no fatal', BOUNDED, async (t) => {
  const rig = await startAccountsRig(t, { organization: [{ id: A }] });
  rig.sims.organizations.failNext('ServiceException', 1000);
  const config = { ...rig.config({ regions: ['eu-west-1'] }, QUIET), organization: { roleName: SIM_ROLE_NAME, exclude: [] } };
  const run = rig.run(config);
  await waitFor('a failed listing', () => run.logs.lines.some((l) => String(l.msg).startsWith('cannot list the organisation\'s accounts yet')));
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
  assert.ok(!run.logs.lines.some((l) => l.msg === 'ready'));
});
