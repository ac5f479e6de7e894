import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAccountCredentials } from '../src/aws/account-credentials';
import { loadConfig } from '../src/config/load';
import { DEFAULT_REGIONS } from '../src/config/types';
import { ACCOUNTS_AT_ONCE, checkAccounts, inBatches } from '../src/doctor/checks-accounts';
import { systemClock } from '../src/lib/clock';
import { tempDir } from './support/cli-process';
import { setEnvForTest } from './support/env';
import { startAccountSims } from './support/sims';

/**
 * doctor with many accounts stays within its bounds: one LookupEvents per (account, region) (so far below the 2
 * requests/s quota of each, API-FACTS A.4), at most ACCOUNTS_AT_ONCE accounts checked at once, one summary row
 * per account.
 */

const ACCOUNTS = 40;

test(`doctor with ${ACCOUNTS} accounts × 17 regions: one LookupEvents per target, none throttled, one row per account`, { timeout: 120_000 }, async (t) => {
  const sims = await startAccountSims(t);
  setEnvForTest(t, { AWS_ENDPOINT_URL_STS: sims.sts.url });
  const ids = Array.from({ length: ACCOUNTS }, (_, i) => String(100_000_000_000 + i));
  const accounts = ids.map((id, i) => ({ id, name: `acct-${i}`, roleArn: sims.addRole(id) }));
  const config = loadConfig({
    flags: { regions: [...DEFAULT_REGIONS], stateDir: tempDir(t), endpoint: sims.cloudtrail.url, configFile: 'many.json' },
    env: { SLACK_WEBHOOK_URL: sims.slack.url },
    readFile: () => JSON.stringify({ accounts }),
  });
  const deps = { clock: systemClock, timeoutMs: 20_000, postTest: false, host: 'test' };
  // STS paced fast here: the pacing itself is account-credentials' (and its tests'), not what this counts.
  const accountCredentials = createAccountCredentials({ base: sims.baseKeys, stsRegion: 'us-east-1', stsEndpoint: sims.sts.url, clock: systemClock, stsCallsPerSecond: 10_000 });
  const { rows } = await checkAccounts(config, accounts, deps, { verbose: false, accountCredentials });

  const lookups = sims.cloudtrail.requests.filter((r) => r.operation === 'LookupEvents');
  const perTarget = new Map<string, number>();
  for (const r of lookups) perTarget.set(`${r.account}/${r.region}`, (perTarget.get(`${r.account}/${r.region}`) ?? 0) + 1);
  assert.equal(perTarget.size, ACCOUNTS * DEFAULT_REGIONS.length);
  assert.ok([...perTarget.values()].every((n) => n === 1), 'one request per target');
  assert.equal(rows.length, ACCOUNTS * 2, 'a credentials row and one LookupEvents summary per account');
  for (const row of rows) assert.equal(row.status, 'ok', `${row.name}: ${row.detail}`);
  assert.ok(rows.every((row) => !/throttl/i.test(row.detail)));
  assert.match(rows[1]?.detail ?? '', /^17 of 17 regions answered ✓/);
});

test(`inBatches: at most ${ACCOUNTS_AT_ONCE} accounts in flight, the next starting as one ends, results in order`, async () => {
  const started: number[] = [];
  const finish = new Map<number, () => void>();
  const items = Array.from({ length: 20 }, (_, i) => i);
  const done = inBatches(items, ACCOUNTS_AT_ONCE, (i) => {
    started.push(i);
    return new Promise<number>((resolve) => finish.set(i, () => resolve(i * 10)));
  });
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  await settle();
  assert.deepEqual(started, items.slice(0, ACCOUNTS_AT_ONCE));
  finish.get(3)?.();
  await settle();
  assert.deepEqual(started, items.slice(0, ACCOUNTS_AT_ONCE + 1));
  for (let i = 0; i < items.length; i += 1) {
    await settle();
    for (const [index, end] of finish) if (started.includes(index)) end();
  }
  assert.deepEqual(await done, items.map((i) => i * 10));
});
