import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildRuleIndex, loadRulePaths, type CompiledRule } from '../src/rules/sigma';
import { loadFixtureRecords } from './support/fixtures';
import { compileOne } from './support/sigma';

const records = loadFixtureRecords();

/** Counts the records each rule is tried on, by wrapping `matches` on the same object. */
function countTries(rule: CompiledRule): { tries: number } {
  const counter = { tries: 0 };
  const original = rule.matches.bind(rule);
  rule.matches = (record) => {
    counter.tries += 1;
    return original(record);
  };
  return counter;
}

const bruteForce = (rules: CompiledRule[], record: unknown) => rules.filter((r) => r.matches(record));

describe('rule index', () => {
  test('returns the same rules, in the same order, as a loop over 32 rules × 1,500 real records', async () => {
    const { rules, errors } = await loadRulePaths([join(__dirname, 'fixtures', 'sigma')]);
    assert.deepEqual(errors, []);
    assert.equal(rules.length, 32);
    const index = buildRuleIndex(rules);
    assert.equal(index.size, 32);
    let matched = 0;
    for (const record of records) {
      const expected = bruteForce(rules, record);
      assert.deepEqual(index.match(record).map((r) => r.id), expected.map((r) => r.id), String(record.eventID));
      matched += expected.length;
    }
    assert.ok(matched > 1000, `${matched} matches in all: the rules do match the fixture`);
  });

  test('a rule pinned to event names is only tried on records with those names (any case)', () => {
    const rule = compileOne('selection:\n    eventName: [stoplogging, DeleteTrail]\nfilter:\n    errorCode: x\ncondition: selection and not filter');
    const counter = countTries(rule);
    const index = buildRuleIndex([rule]);
    const hits = records.filter((r) => index.match(r).length > 0).length;
    const named = records.filter((r) => r.eventName === 'StopLogging' || r.eventName === 'DeleteTrail').length;
    assert.ok(named > 0);
    assert.equal(counter.tries, named);
    assert.equal(hits, named);
  });

  test('a rule pinned only by eventSource is only tried on that source', () => {
    const rule = compileOne("selection:\n    eventSource: kms.amazonaws.com\n    eventName|startswith: Gen\ncondition: selection");
    const counter = countTries(rule);
    const index = buildRuleIndex([rule]);
    for (const record of records) index.match(record);
    assert.equal(counter.tries, records.filter((r) => r.eventSource === 'kms.amazonaws.com').length);
  });

  test('OR keeps a pin only when both sides have one; not, wildcards and startswith drop it', () => {
    const cases: Array<[string, boolean]> = [
      ['a:\n    eventName: TerminateInstances\nb:\n    eventName: StopInstances\ncondition: a or b', true],
      ['a:\n    - eventName: CreateVpc\n    - eventName: CreateSubnet\ncondition: a', true],
      ['a:\n    eventName: CreateVpc\nb:\n    errorCode: x\ncondition: 1 of them', false],
      ['a:\n    eventName: CreateVpc\nb:\n    errorCode: x\ncondition: all of them', true],
      ['a:\n    eventName: CreateVpc\ncondition: not a', false],
      ["a:\n    eventName: 'Create*'\ncondition: a", false],
      ['a:\n    eventName|startswith: Create\ncondition: a', false],
      ['a:\n    eventName|cased: CreateVpc\ncondition: a', true],
      ['a:\n    eventName|all: [CreateVpc, CreateSubnet]\ncondition: a', false],
    ];
    for (const [detection, pinned] of cases) {
      const rule = compileOne(detection);
      const counter = countTries(rule);
      const index = buildRuleIndex([rule]);
      for (const record of records) index.match(record);
      assert.equal(counter.tries < records.length, pinned, detection);
    }
  });

  test('odd and hostile records give the same answers as the loop (synthetic)', () => {
    const rules = [
      compileOne('a:\n    eventName: StopLogging\ncondition: a'),
      compileOne('a:\n    eventSource: s3.amazonaws.com\ncondition: a'),
      compileOne('a:\n    eventName: 443\ncondition: a'),
      compileOne('a:\n    eventName: x\ncondition: not a'),
      compileOne('a:\n    eventName: null\ncondition: a'),
    ];
    const index = buildRuleIndex(rules);
    const odd: unknown[] = [
      null, [], 'StopLogging', { eventName: ['x', 'STOPLOGGING'] }, { eventName: 443 }, { eventName: { a: 1 } },
      { eventName: null }, {}, { eventName: 'StopLogging', eventSource: ['S3.amazonaws.com'] }, { eventName: [] },
      JSON.parse('{"__proto__": {"eventName": "StopLogging"}}'),
    ];
    for (const record of odd) {
      assert.deepEqual(index.match(record), bruteForce(rules, record), JSON.stringify(record));
    }
  });

  test('an empty index matches nothing', () => {
    const index = buildRuleIndex([]);
    assert.equal(index.size, 0);
    assert.deepEqual(index.match(records[0]), []);
  });
});
