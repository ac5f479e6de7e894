import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegionHealth } from '../src/cloudtrail/region-health';

test('the same auth error in some regions only is a region matter', () => {
  const health = new RegionHealth(['us-east-1', 'ap-east-1', 'eu-west-1']);
  health.succeeded('us-east-1');
  assert.equal(health.failed('ap-east-1', 'unrecognized-client'), 'region');
  health.succeeded('eu-west-1');
  assert.deepEqual(health.failing('unrecognized-client'), ['ap-east-1']);
});

test('every region failing on auth is fatal, also when they worked before (keys revoked while running)', () => {
  const health = new RegionHealth(['us-east-1', 'eu-west-1']);
  health.succeeded('us-east-1');
  health.succeeded('eu-west-1');
  assert.equal(health.failed('us-east-1', 'access-denied'), 'region');
  assert.equal(health.failed('eu-west-1', 'access-denied'), 'fatal');
});

test('a single configured region failing on auth is fatal', () => {
  assert.equal(new RegionHealth(['us-east-1']).failed('us-east-1', 'unrecognized-client'), 'fatal');
});

test('a region answering again clears its failure', () => {
  const health = new RegionHealth(['us-east-1', 'eu-west-1']);
  health.failed('us-east-1', 'access-denied');
  health.succeeded('us-east-1');
  assert.equal(health.failed('eu-west-1', 'access-denied'), 'region');
});

test('before any other region has answered, a failure is neither fatal nor "this region only"', () => {
  const health = new RegionHealth(['us-east-1', 'eu-west-1', 'ap-east-1']);
  assert.equal(health.failed('us-east-1', 'access-denied'), 'unknown');
  assert.equal(health.failed('eu-west-1', 'access-denied'), 'unknown');
  assert.equal(health.failed('ap-east-1', 'access-denied'), 'fatal');
  const later = new RegionHealth(['us-east-1', 'eu-west-1']);
  assert.equal(later.failed('us-east-1', 'access-denied'), 'unknown');
  later.succeeded('eu-west-1');
  assert.equal(later.failed('us-east-1', 'access-denied'), 'region', 'once another region works, it is this region only');
});

test('the region list changes at runtime: a removed region is forgotten, an added one counts', () => {
  const health = new RegionHealth(['us-east-1', 'eu-west-1']);
  health.succeeded('us-east-1');
  assert.equal(health.failed('eu-west-1', 'access-denied'), 'region');
  // us-east-1 (the working one) is removed: eu-west-1 alone failing is now every region failing.
  health.setRegions(['eu-west-1', 'ap-east-1']);
  assert.deepEqual(health.failing('access-denied'), ['eu-west-1']);
  assert.equal(health.failed('eu-west-1', 'access-denied'), 'unknown', 'ap-east-1 has not answered yet');
  // A failure of a removed region never makes the others look failing everywhere.
  health.setRegions(['ap-east-1']);
  assert.deepEqual(health.failing('access-denied'), []);
  health.succeeded('ap-east-1');
  assert.equal(health.failed('ap-east-1', 'access-denied'), 'fatal', 'the only region left fails');
});

test('with many accounts, auth failures are judged per account: denied everywhere in one account is that account\'s matter', () => {
  const health = new RegionHealth(['111111111111/us-east-1', '111111111111/eu-west-1', '222222222222/us-east-1', '222222222222/eu-west-1']);
  health.succeeded('222222222222/us-east-1');
  health.succeeded('222222222222/eu-west-1');
  assert.equal(health.failed('111111111111/us-east-1', 'access-denied'), 'unknown', "another account's success says nothing about this one");
  assert.equal(health.failed('111111111111/eu-west-1', 'access-denied'), 'fatal', "every region of the account: the account's problem");
  assert.equal(health.failed('222222222222/eu-west-1', 'access-denied'), 'region', 'its own other region works');
  assert.deepEqual(health.failing('access-denied').sort(), ['111111111111/eu-west-1', '111111111111/us-east-1', '222222222222/eu-west-1']);
});
