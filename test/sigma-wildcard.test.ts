import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compilePattern } from '../src/rules/filter';
import { compileWildcard, parseSigmaString, type StepMeter } from '../src/rules/sigma/wildcard';

const matcher = (value: string, cased = false, meter?: StepMeter) =>
  compileWildcard(parseSigmaString(value), { cased, meter });

/** Reference semantics for small inputs only: the same pattern as an anchored regex (backtracking is fine here). */
function reference(pattern: string, value: string, cased: boolean): boolean {
  let source = '';
  for (const token of parseSigmaString(pattern)) {
    if (token.kind === 'star') source += '[\\s\\S]*';
    else if (token.kind === 'one') source += '[\\s\\S]';
    else source += token.text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  const flags = cased ? '' : 'i';
  return new RegExp(`^${source}$`, flags).test(value);
}

describe('Sigma wildcard values', () => {
  test('* matches any run (also empty) and ? exactly one character', () => {
    assert.equal(matcher('Describe*').test('DescribeInstances'), true);
    assert.equal(matcher('Describe*').test('Describe'), true);
    assert.equal(matcher('*.amazonaws.com').test('s3.amazonaws.com'), true);
    assert.equal(matcher('Get?ucket*').test('GetBucketAcl'), true);
    assert.equal(matcher('Get?ucket*').test('Getucket'), false);
    assert.equal(matcher('a*b*c').test('aXXbYYc'), true);
    assert.equal(matcher('a*b*c').test('aXXcYYb'), false);
    assert.equal(matcher('*').test(''), true);
    assert.equal(matcher('').test(''), true);
    assert.equal(matcher('').test('x'), false);
  });

  test('matching is case-insensitive unless cased', () => {
    assert.equal(matcher('stoplogging').test('StopLogging'), true);
    assert.equal(matcher('STOP*').test('StopLogging'), true);
    assert.equal(matcher('stoplogging', true).test('StopLogging'), false);
    assert.equal(matcher('Stop*', true).test('StopLogging'), true);
    assert.equal(matcher('stop*', true).test('StopLogging'), false);
  });

  test('escapes follow the Sigma spec: \\* \\? literal, \\\\ one backslash, a lone \\ literal', () => {
    assert.deepEqual(parseSigmaString('a\\*b'), [{ kind: 'text', text: 'a*b' }]);
    assert.equal(matcher('a\\*b').test('a*b'), true);
    assert.equal(matcher('a\\*b').test('aXb'), false);
    assert.equal(matcher('a\\?').test('a?'), true);
    assert.equal(matcher('a\\?').test('ab'), false);
    assert.equal(matcher('C:\\Windows').test('C:\\Windows'), true); // `\W` is not an escape: backslash kept
    assert.equal(matcher('C:\\\\Windows').test('C:\\Windows'), true); // `\\` is one backslash
    assert.equal(matcher('a\\\\*').test('a\\anything'), true); // `\\*`: backslash, then wildcard
    assert.equal(matcher('a\\\\\\*').test('a\\*'), true); // `\\\*`: backslash, literal star
    assert.equal(matcher('a\\\\\\*').test('a\\x'), false);
    assert.equal(matcher('a\\\\\\\\').test('a\\\\'), true); // `\\\\`: two backslashes
    assert.equal(matcher('end\\').test('end\\'), true); // a trailing backslash is literal
  });

  test('a value without wildcards reports its literal (the index keys on it)', () => {
    assert.equal(matcher('StopLogging').literal, 'StopLogging');
    assert.equal(matcher('Stop\\*').literal, 'Stop*');
    assert.equal(matcher('Stop*').literal, undefined);
    assert.equal(matcher('Stop?').literal, undefined);
  });

  test('agrees with a reference regex on 3,000 random small patterns and values', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pick = (alphabet: string, max: number) =>
      Array.from({ length: random(max + 1) }, () => alphabet[random(alphabet.length)]).join('');
    for (let k = 0; k < 3000; k += 1) {
      const pattern = pick('abA*?\\', 7);
      const value = pick('abAB*?\\', 9);
      const cased = random(2) === 0;
      assert.equal(matcher(pattern, cased).test(value), reference(pattern, value, cased), `${pattern} ~ ${value}`);
    }
  });
});

describe('hostile values against wildcard patterns', () => {
  const big = 'a'.repeat(200_000);

  for (const pattern of ['*a*a*a*a*a*a*a*a*b', '*a?a?a?a?a?a?a?a?b*', 'a*a*a*a*a*a*a*a*a*a*c', '*?*?*?*?*?*?*?*?*b']) {
    test(`${pattern} against a 200 KB string costs at most one scan per segment`, () => {
      const meter: StepMeter = { steps: 0 };
      const m = matcher(pattern, false, meter);
      assert.equal(m.test(big), false);
      const segments = pattern.split('*').length;
      assert.ok(meter.steps <= segments * (big.length + 2), `${meter.steps} steps for ${segments} segments`);
    });
  }

  test('a match at the very end of a 200 KB value is found in one pass', () => {
    const meter: StepMeter = { steps: 0 };
    assert.equal(matcher('*a?a*b', false, meter).test(`${big}b`), true);
    assert.ok(meter.steps <= 3 * (big.length + 2), `${meter.steps} steps`);
  });

  test("the config's exclude patterns use the same matcher (only * is special there)", () => {
    assert.equal(compilePattern('Describe*').test('DescribeInstances'), true);
    assert.equal(compilePattern('Get?ucket').test('GetBucket'), false); // `?` is literal in exclude patterns
    assert.equal(compilePattern('Get?ucket').test('Get?ucket'), true);
    assert.equal(compilePattern('terraform-*').test(`terraform-${big}`), true);
    assert.equal(compilePattern('*a*a*a*a*a*a*a*a*b').test(big), false);
  });
});
