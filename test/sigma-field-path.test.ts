import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EMPTY_ARRAY, MISSING, compileFieldPath, someFieldValue, toMatchString } from '../src/rules/sigma/field-path';
import { loadFixtureRecords } from './support/fixtures';

function leaves(record: unknown, name: string): unknown[] {
  const out: unknown[] = [];
  someFieldValue(record, compileFieldPath(name), (value) => {
    out.push(value);
    return false;
  });
  return out;
}

describe('dotted field paths into raw records', () => {
  const records = loadFixtureRecords();
  // real: RevokeSecurityGroupEgress with ipPermissions.items[].ipRanges.items[].cidrIp
  const egress = records.find((r) => r.eventName === 'RevokeSecurityGroupEgress')!;

  test('a top-level and a nested field (real record)', () => {
    assert.deepEqual(leaves(egress, 'eventName'), ['RevokeSecurityGroupEgress']);
    assert.deepEqual(leaves(egress, 'userIdentity.type'), ['IAMUser']);
  });

  test('arrays at two levels are searched element by element (real record)', () => {
    assert.deepEqual(leaves(egress, 'requestParameters.ipPermissions.items.ipRanges.items.cidrIp'), ['0.0.0.0/0']);
  });

  test('nested arrays, arrays of arrays and leaf arrays all yield their elements (synthetic)', () => {
    const record = {
      a: [{ b: [{ c: 'x' }, { c: ['y', ['z']] }] }, { b: { c: 'w' } }, [[{ b: [{ c: 'v' }] }]]],
    };
    assert.deepEqual(leaves(record, 'a.b.c').sort(), ['v', 'w', 'x', 'y', 'z']);
  });

  test('a branch without the field yields MISSING; an empty array leaf yields EMPTY_ARRAY (synthetic)', () => {
    assert.deepEqual(leaves({ a: [{ b: 1 }, { other: 2 }] }, 'a.b'), [1, MISSING]);
    assert.deepEqual(leaves({}, 'errorCode'), [MISSING]);
    assert.deepEqual(leaves({ a: 'scalar' }, 'a.b'), [MISSING]);
    assert.deepEqual(leaves({ a: [] }, 'a.b'), [MISSING]);
    assert.deepEqual(leaves({ a: [] }, 'a'), [EMPTY_ARRAY]);
    assert.deepEqual(leaves({ a: null }, 'a'), [null]);
  });

  test('a key that contains a dot wins over nesting (synthetic)', () => {
    assert.deepEqual(leaves({ 'a.b': 'flat', a: { b: 'nested' } }, 'a.b'), ['flat']);
    assert.deepEqual(leaves({ a: { 'b.c': 'flat' } }, 'a.b.c'), ['flat']);
  });

  test('field names are case-sensitive and only own keys count (synthetic)', () => {
    assert.deepEqual(leaves({ EventName: 'X' }, 'eventName'), [MISSING]);
    assert.deepEqual(leaves({}, 'constructor'), [MISSING]);
    assert.deepEqual(leaves({}, '__proto__'), [MISSING]);
    assert.deepEqual(leaves(JSON.parse('{"__proto__": "own"}'), '__proto__'), ['own']);
  });

  test('a record nested 100,000 arrays deep does not overflow the stack (synthetic, hostile)', () => {
    const deep = JSON.parse(`{"a":${'['.repeat(100_000)}"x"${']'.repeat(100_000)}}`);
    assert.deepEqual(leaves(deep, 'a'), ['x']);
  });

  test('the walk stops at the first leaf that matches', () => {
    let calls = 0;
    someFieldValue({ a: [1, 2, 3, 4] }, compileFieldPath('a'), (v) => {
      calls += 1;
      return v === 2;
    });
    assert.equal(calls, 2);
  });
});

describe('values as Sigma compares them (strings)', () => {
  test('strings, numbers and booleans become strings; objects their JSON; null and absent nothing', () => {
    assert.equal(toMatchString('x'), 'x');
    assert.equal(toMatchString(443), '443');
    assert.equal(toMatchString(false), 'false');
    assert.equal(toMatchString({ a: [1, 'b'] }), '{"a":[1,"b"]}');
    assert.equal(toMatchString(null), undefined);
    assert.equal(toMatchString(MISSING), undefined);
    assert.equal(toMatchString(EMPTY_ARRAY), undefined);
  });
});
