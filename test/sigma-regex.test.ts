import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileLinearRegex, type StepMeter } from '../src/rules/sigma/regex/nfa';
import { RegexUnsupported } from '../src/rules/sigma/regex/parse';

const NO_FLAGS = { i: false, m: false, s: false };
const flagsOf = (text: string) => ({ i: text.includes('i'), m: text.includes('m'), s: text.includes('s') });

// Patterns in Sigma's `re` subset and the escapes real rules use; JavaScript's RegExp is the reference.
const PATTERNS = [
  '.+:assumed-role/aws:.+', 'a|b', '^ab$', 'a{2,3}', '[^a-c]x', '\\bfoo\\b', '\\Bo', '(?:ab)*c', 'x.y', '[\\d-z]',
  'A.B', '^$', 'a?b+c*', '\\w+@\\w+', '(a|ab)(c|bcd)', 'a{3}', '[]', '[^]', '\\s\\S', 'colou?r', '\\.', 'a{2,}b',
  '\\x41\\u0042', '[a-]', '(?<word>ab)+', '^a.*b$', '(a+)+b', 'a{,2}', 'x{', '}]', 'a+?b', '[\\w.-]+', '\\D\\W',
  '(|a)b', '^(a|)+$', '[A-Z][a-z]*', '\\t|\\n', 'sk', 'S.K', '[s-z]+', 'μ', 'ab.*:/', 'a[^b]c', 'ı|İ', 'ß',
];
// ASCII plus letters whose case folding is irregular (ſ, K Kelvin, µ micro, İ ı, ß) and a line separator
const ALPHABET = 'abcxyzAB.-@ \n\t019_{},:/sSkKſ\u212aµμΜİıß\u2028';

describe('Sigma re: a linear-time engine that agrees with JavaScript', () => {
  test('agrees with RegExp.test on random values for every pattern and flag set', () => {
    let seed = 11;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (const pattern of PATTERNS) {
      for (const flags of ['', 'i', 'm', 's', 'ims']) {
        const mine = compileLinearRegex(pattern, flagsOf(flags));
        const native = new RegExp(pattern, flags);
        for (let k = 0; k < 200; k += 1) {
          const value = Array.from({ length: random(10) }, () => ALPHABET[random(ALPHABET.length)]).join('');
          assert.equal(mine.test(value), native.test(value), `/${pattern}/${flags} on ${JSON.stringify(value)}`);
        }
      }
    }
  });

  test('the SigmaHQ assumed-role pattern matches an AWS service-linked session ARN', () => {
    const re = compileLinearRegex('.+:assumed-role/aws:.+', NO_FLAGS);
    assert.equal(re.test('arn:aws:sts::123456789012:assumed-role/aws:ec2-infrastructure/i-0abc'), true);
    assert.equal(re.test('arn:aws:sts::123456789012:assumed-role/admin/alice'), false);
  });

  test('i, m and s behave as the Sigma sub-modifiers say', () => {
    assert.equal(compileLinearRegex('stoplogging', NO_FLAGS).test('StopLogging'), false);
    assert.equal(compileLinearRegex('stoplogging', flagsOf('i')).test('StopLogging'), true);
    assert.equal(compileLinearRegex('^b$', NO_FLAGS).test('a\nb\nc'), false);
    assert.equal(compileLinearRegex('^b$', flagsOf('m')).test('a\nb\nc'), true);
    assert.equal(compileLinearRegex('a.b', NO_FLAGS).test('a\nb'), false);
    assert.equal(compileLinearRegex('a.b', flagsOf('s')).test('a\nb'), true);
  });
});

describe('Sigma re: what the linear engine refuses', () => {
  for (const [pattern, feature] of [
    ['(a)\\1', 'backreference'],
    ['(?<x>a)\\k<x>', 'backreference'],
    ['a(?=b)', 'lookaround'],
    ['a(?!b)', 'lookaround'],
    ['(?<=a)b', 'lookaround'],
    ['(?<!a)b', 'lookaround'],
    ['\\p{L}', 'escape \\p'],
    ['\\cJ', 'escape \\c'],
    ['a{1001}', 'repetition count'],
  ] as const) {
    test(`${pattern} is refused (${feature})`, () => {
      assert.throws(() => compileLinearRegex(pattern, NO_FLAGS), (error: Error) => {
        assert.ok(error instanceof RegexUnsupported, error.message);
        assert.match(error.message, new RegExp(feature.replace(/\\/g, '\\\\')));
        return true;
      });
    });
  }

  test('a program beyond 100,000 steps is refused', () => {
    assert.throws(() => compileLinearRegex('(a{1000}){1000}', NO_FLAGS), RangeError);
  });
});

describe('Sigma re against hostile 200 KB values: steps stay within (length + 1) × program size', () => {
  const cases: Array<[string, string]> = [
    ['.+:assumed-role/aws:.+', `${'a'.repeat(200_000)}:assumed-role/aws:`], // native RegExp: ~25 s without the `:`
    ['(a+)+b', `b${'a'.repeat(200_000)}`], // native: exponential
    ['^(a|aa)*c$', `${'a'.repeat(200_000)}cb`],
    ['.*a.*a.*a.*b', `b${'a'.repeat(200_000)}`], // native: cubic
    ['^(\\w+\\s?)*$', `${'word '.repeat(40_000)}!`],
  ];
  for (const [pattern, value] of cases) {
    test(`/${pattern}/ on ${value.length} characters`, () => {
      const meter: StepMeter = { steps: 0 };
      const re = compileLinearRegex(pattern, NO_FLAGS, meter);
      assert.equal(re.test(value), false);
      const bound = 3 * (value.length + 1) * re.size;
      assert.ok(meter.steps <= bound, `${meter.steps} steps > ${bound}`);
      assert.ok(meter.steps > 0, 'the value reached the NFA (not only the literal pre-check)');
    });
  }
});
