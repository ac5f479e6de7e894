import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeAccount, makeTarget, parseTargetKey, targetKey, targetsOf } from '../src/targets/target';
import { MAX_SHARDS, owns, parseShard, shardOf } from '../src/targets/shard';
import { AccountDirectory } from '../src/targets/account-directory';
import { DEFAULT_REGIONS } from '../src/config/types';

test('the single account keys its targets by region alone; listed accounts by account/region, split back exactly', () => {
  assert.equal(targetKey(undefined, 'eu-west-1'), 'eu-west-1');
  assert.equal(targetKey('123456789012', 'eu-west-1'), '123456789012/eu-west-1');
  assert.deepEqual(parseTargetKey('eu-west-1'), { account: undefined, region: 'eu-west-1' });
  assert.deepEqual(parseTargetKey('123456789012/us-gov-west-1'), { account: '123456789012', region: 'us-gov-west-1' });
  assert.deepEqual(makeTarget('111111111111', 'us-east-1'), { key: '111111111111/us-east-1', account: '111111111111', region: 'us-east-1' });
});

test('targetsOf: one per (account, region), an account\'s own regions win, duplicates dropped', () => {
  assert.deepEqual(targetsOf(undefined, ['a-1', 'b-1', 'a-1']).map((t) => t.key), ['a-1', 'b-1']);
  const targets = targetsOf([{ id: '111111111111' }, { id: '222222222222', regions: ['c-1'] }, { id: '111111111111' }], ['a-1', 'b-1']);
  assert.deepEqual(targets.map((t) => t.key), ['111111111111/a-1', '111111111111/b-1', '222222222222/c-1']);
});

test('an account is named "name (id)", or by its ID alone', () => {
  assert.equal(describeAccount('123456789012', 'prod'), 'prod (123456789012)');
  assert.equal(describeAccount('123456789012'), '123456789012');
  const directory = new AccountDirectory();
  directory.learn([{ id: '123456789012', name: 'prod' }, { id: '210987654321' }]);
  directory.learn([{ id: '123456789012' }]);
  assert.equal(directory.describe('123456789012'), 'prod (123456789012)');
  assert.equal(directory.describe('210987654321'), '210987654321');
});

/** 100 accounts × the 17 default regions: 1,700 keys. */
const keys = Array.from({ length: 100 }, (_, a) => String(100000000000 + a * 7919)).flatMap((account) => DEFAULT_REGIONS.map((region) => targetKey(account, region)));

test('shardOf: every target has exactly one owner, the same in every process, and the load is even', () => {
  for (const count of [1, 2, 3, 5]) {
    const per = new Array<number>(count).fill(0);
    for (const key of keys) {
      const owner = shardOf(key, count);
      per[owner]! += 1;
      const owners = Array.from({ length: count }, (_, index) => owns({ index, count }, key)).filter(Boolean);
      assert.equal(owners.length, 1);
    }
    const ideal = keys.length / count;
    for (const n of per) assert.ok(Math.abs(n - ideal) < ideal * 0.15, `shard loads ${per.join(', ')} for ${count}`);
  }
  // Pinned answers (sha256 of "<key>|<shard>", first 8 bytes big-endian, highest wins): a change of scheme would
  // silently move every target to another shard, so it must show here.
  assert.deepEqual(['eu-west-1', 'us-east-1', '123456789012/eu-west-1', '210987654321/ap-south-1'].map((key) => shardOf(key, 4)), [2, 1, 2, 0]);
});

test('resharding from 3 to 4 moves about a quarter of the targets, every one to the new shard', () => {
  const moved = keys.filter((key) => shardOf(key, 3) !== shardOf(key, 4));
  const share = moved.length / keys.length;
  assert.ok(share > 0.2 && share < 0.3, `moved ${moved.length} of ${keys.length}`);
  for (const key of moved) assert.equal(shardOf(key, 4), 3);
  // hash % N would move about three quarters: the scheme matters.
  assert.ok(moved.length < keys.length / 2);
});

test('parseShard: K/N with 0 ≤ K < N; anything else is one line saying what is expected', () => {
  assert.deepEqual(parseShard('1/3'), { index: 1, count: 3 });
  assert.deepEqual(parseShard('0/1'), { index: 0, count: 1 });
  assert.deepEqual(parseShard('10/256'), { index: 10, count: 256 });
  // Canonical decimal only: a space, a sign or a leading zero is a typo or a template gone wrong, never guessed.
  for (const bad of [' 0 / 1 ', ' 1/3', '1/3 ', '1 /3', '01/3', '1/03', '00/3', '+1/3', '1/+3', '1e0/3', '0x1/3', '１/3', '1/3\n']) {
    assert.match(parseShard(bad) as string, /expected K\/N/, JSON.stringify(bad));
  }
  assert.match(parseShard('3/3') as string, /K below N/);
  assert.match(parseShard('0/0') as string, /N from 1 to 256/);
  assert.match(parseShard(`0/${MAX_SHARDS + 1}`) as string, /N from 1 to 256/);
  for (const bad of ['1', 'a/b', '-1/3', '1/3/4', '']) assert.match(parseShard(bad) as string, /expected K\/N/);
  assert.throws(() => shardOf('x', 0), RangeError);
});
