import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareHits, isLevel, LEVEL_ORDER, LEVELS, levelAtLeast, maxLevel, type RuleHit } from '../src/rules/decision';

test("LEVELS and LEVEL_ORDER agree on Sigma's order, least severe first", () => {
  assert.deepEqual(LEVELS, ['informational', 'low', 'medium', 'high', 'critical']);
  LEVELS.forEach((level, index) => assert.equal(LEVEL_ORDER[level], index));
});

test('maxLevel is the most severe level, informational for none', () => {
  assert.equal(maxLevel([]), 'informational');
  assert.equal(maxLevel(['low', 'critical', 'medium']), 'critical');
  assert.equal(maxLevel(new Set(['medium', 'low'] as const)), 'medium');
});

test('levelAtLeast compares by severity, not by name', () => {
  assert.equal(levelAtLeast('critical', 'high'), true);
  assert.equal(levelAtLeast('high', 'high'), true);
  assert.equal(levelAtLeast('medium', 'high'), false);
  assert.equal(levelAtLeast('informational', 'low'), false);
});

test('isLevel accepts exactly the five level names', () => {
  for (const level of LEVELS) assert.equal(isLevel(level), true);
  for (const value of ['High', 'severe', '', 'toString', 'constructor', 3, undefined]) assert.equal(isLevel(value), false, String(value));
});

test('compareHits sorts highest level first, then title, then id', () => {
  const hit = (id: string, title: string, level: RuleHit['level']): RuleHit => ({ id, title, level, tags: [] });
  const hits = [hit('3', 'b', 'low'), hit('2', 'a', 'low'), hit('1', 'z', 'critical'), hit('0', 'a', 'low')];
  assert.deepEqual(hits.sort(compareHits).map((h) => h.id), ['1', '0', '2', '3']);
});
