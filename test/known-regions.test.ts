import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isKnownRegion, ownRegionList, unknownRegions } from '../src/cloudtrail/known-regions';
import { DEFAULT_REGIONS } from '../src/config/types';
import { startHarness } from './support/daemon-harness';
import { EXIT_OK } from '../src/lib/errors';

test('the SDK knows every default region, the other partitions\' regions, and not us-east-9', () => {
  for (const region of [...DEFAULT_REGIONS, 'cn-north-1', 'us-gov-west-1', 'ap-southeast-5', 'mx-central-1']) {
    assert.equal(isKnownRegion(region), true, region);
  }
  for (const region of ['us-east-9', 'eu-wset-1', 'ap-southeast-99']) assert.equal(isKnownRegion(region), false, region);
  assert.deepEqual(unknownRegions(['us-east-1', 'us-east-9', 'eu-west-1', 'eu-wset-1']), ['us-east-9', 'eu-wset-1']);
});

test('our fallback list (used when the SDK\'s partition data cannot be loaded) holds only regions the SDK knows', () => {
  const list = ownRegionList();
  assert.ok(list.length >= 30);
  assert.deepEqual(list.filter((region) => !isKnownRegion(region)), []);
});

test('the daemon warns once at start about region names the SDK does not know, and still polls them', { timeout: 60_000 }, async (t) => {
  const h = await startHarness(t);
  const run = h.run(h.config({ regions: ['us-east-1', 'us-east-9'], once: true }));
  assert.equal(await run.done, EXIT_OK);
  const warnings = run.logs.lines.filter((l) => /does not know/.test(String(l.msg)));
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]?.level, 40);
  assert.deepEqual(warnings[0]?.regions, ['us-east-9']);
  const known = h.run(h.config({ regions: ['us-east-1'], once: true }));
  assert.equal(await known.done, EXIT_OK);
  assert.equal(known.logs.lines.filter((l) => /does not know/.test(String(l.msg))).length, 0);
});
