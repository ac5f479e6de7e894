import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXIT_OK } from '../src/lib/errors';
import { whoAmI } from '../src/aws/identity';
import { startAccountsRig, STS_REGION } from './support/accounts-daemon';
import { waitFor } from './support/cli-process';

// The start of a many-account daemon (issue 10): the HTTP endpoint answers while the accounts are checked, many
// accounts do not overflow the stop signal's listeners, and "ready" counts the targets.

const BOUNDED = { timeout: 120_000 };
const REGIONS = ['us-east-1', 'eu-west-1', 'ap-south-1'];
const QUIET = { digest: { enabled: false }, alertAfterMinutes: 24 * 60 };

test('20 accounts: no MaxListenersExceededWarning, /healthz answers before the checks end, "ready" counts targets and accounts', BOUNDED, async (t) => {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => void warnings.push(warning);
  process.on('warning', onWarning);
  t.after(() => void process.off('warning', onWarning));
  const rig = await startAccountsRig(t);
  const ids = Array.from({ length: 20 }, (_, n) => String(100000000000 + n));
  const accounts = ids.map((id, n) => ({ id, name: `team-${n}`, roleArn: rig.sims.addRole(id) }));
  const config = { ...rig.config({ regions: REGIONS, pollIntervalSeconds: 3600, http: '127.0.0.1:0' }, QUIET), accounts };
  // The checks wait until /healthz has answered: the endpoint must be up while the accounts are checked.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const run = rig.run(config, {
    whoAmIWith: async (credentials, signal) => {
      await released;
      return whoAmI({ region: STS_REGION, credentials, endpoint: rig.sims.sts.url, requestTimeoutMs: 5000 }, signal);
    },
  });
  const listening = await waitFor('the http endpoint', () => run.logs.lines.find((l) => l.msg === 'http endpoint listening'));
  const health = await fetch(`${String(listening.url)}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(run.logs.lines.some((l) => l.msg === 'ready'), false, 'ready only after the checks');
  release();
  const ready = await waitFor('ready', () => run.logs.lines.find((l) => l.msg === 'ready'));
  assert.equal(ready.targets, 60);
  assert.equal(ready.accounts, 20);
  assert.equal(ready.regions, undefined, 'not the global regions: 60 targets are polled');
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
  assert.deepEqual(warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message), []);
});
