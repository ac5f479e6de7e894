import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRecoveryOnSave } from '../src/daemon/recover-alerts';

test('a crash alert is closed only after a minute of uptime; the others at the first save; regions once each', async () => {
  const calls: string[] = [];
  const work: Promise<void>[] = [];
  let now = 1_000_000;
  const hook = createRecoveryOnSave(
    { recovered: async (kind, region) => void calls.push(`${kind}${region ? `@${region}` : ''}`) },
    (w) => work.push(w),
    { now: () => now, startedAt: now },
  );
  hook('us-east-1');
  hook('us-east-1');
  await Promise.all(work);
  assert.ok(calls.includes('config') && calls.includes('credentials') && calls.includes('region-failing@us-east-1'));
  assert.ok(!calls.includes('fatal'), 'not at the first save: a crash loop saves too');
  assert.equal(calls.filter((c) => c === 'region-failing@us-east-1').length, 1);
  now += 61_000;
  hook('eu-west-1');
  hook('us-east-1');
  await Promise.all(work);
  assert.equal(calls.filter((c) => c === 'fatal').length, 1);
  assert.equal(calls.filter((c) => c === 'config').length, 1);
});
