import { cidrContains, parseCidr } from './cidr';
import { MISSING, compileFieldPath, someFieldValue, toMatchString, type FieldPath } from './field-path';
import { parseFieldKey, type FieldSpec } from './modifiers';
import { RegexUnsupported } from './regex/parse';
import { compileLinearRegex } from './regex/nfa';
import { RuleRefusal, quote } from './types';
import { compileWildcard, parseSigmaString, type WildcardMatcher, type WildcardToken } from './wildcard';

/**
 * One `field|modifiers: value(s)` entry of a detection map, compiled to a predicate over a raw record.
 *
 * - A list of values is OR (any value), with `|all` AND (every value). Each value is tried against every leaf
 *   the field reaches (field-path.ts), so `all` means "each value matches some element".
 * - `null` (alone, no modifiers; the spec forbids it inside a list, H.4) matches a field that is absent or JSON
 *   null, so `errorCode: null` means "succeeded" (H.9).
 * - Numbers and booleans, in the rule or the record, compare as their strings (field-path.ts toMatchString).
 */

export type PinnedField = 'eventName' | 'eventSource';

export interface FieldPredicate {
  test(record: unknown): boolean;
  /** Set when the entry only holds for these exact values (lowercased) of eventName/eventSource: index keys. */
  pin?: { field: PinnedField; values: string[] };
}

type Scalar = string | number | boolean;

export function compileFieldEntry(key: string, raw: unknown): FieldPredicate {
  const spec = parseFieldKey(key);
  const path = compileFieldPath(spec.field);
  if (raw === null) {
    if (spec.modifiers.length > 0) throw new RuleRefusal(`null cannot take modifiers (${quote(key)})`);
    return { test: (record) => someFieldValue(record, path, (v) => v === MISSING || v === null) };
  }
  const values = scalarList(key, raw);
  if (spec.all && !Array.isArray(raw)) throw new RuleRefusal(`modifier "all" needs a list of values (${quote(key)})`);
  switch (spec.kind) {
    case 'exists':
      return compileExists(key, path, values);
    case 're':
      return combine(spec, path, values.map((v) => compileRe(key, spec, v)));
    case 'cidr':
      return combine(spec, path, values.map((v) => compileCidr(key, v)));
    case 'fieldref':
      return compileFieldref(key, spec, path, values);
    default:
      return compilePlain(spec, path, values);
  }
}

function scalarList(key: string, raw: unknown): Scalar[] {
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) throw new RuleRefusal(`empty list of values (${quote(key)})`);
  for (const value of list) {
    if (value === null) {
      throw new RuleRefusal(`null inside a list of values (${quote(key)}); write it as its own selection`);
    }
    if (typeof value === 'object') throw new RuleRefusal(`a list or map as a value (${quote(key)}) is not supported`);
  }
  return list as Scalar[];
}

/** One compiled value against one leaf's string (`lowered` computes its lowercase once, on demand). */
type StringTest = (value: string, lowered: () => string, record: unknown) => boolean;

/** OR or AND (`all`) over the compiled values, each tried against every leaf of the field. */
function combine(spec: FieldSpec, path: FieldPath, tests: StringTest[], pin?: FieldPredicate['pin']): FieldPredicate {
  const leafTest = (record: unknown, check: StringTest) =>
    someFieldValue(record, path, (leaf) => {
      const s = toMatchString(leaf);
      if (s === undefined) return false;
      let lower: string | undefined;
      return check(s, () => (lower ??= s.toLowerCase()), record);
    });
  if (spec.all) return { test: (record) => tests.every((t) => leafTest(record, t)), pin };
  const any: StringTest = (s, lowered, record) => tests.some((t) => t(s, lowered, record));
  return { test: (record) => leafTest(record, any), pin };
}

function compilePlain(spec: FieldSpec, path: FieldPath, values: Scalar[]): FieldPredicate {
  const matchers: WildcardMatcher[] = values.map((value) => {
    const tokens: WildcardToken[] =
      typeof value === 'string' ? parseSigmaString(value) : [{ kind: 'text', text: String(value) }];
    const star: WildcardToken = { kind: 'star' };
    const wrapped =
      spec.position === 'contains' ? [star, ...tokens, star]
      : spec.position === 'startswith' ? [...tokens, star]
      : spec.position === 'endswith' ? [star, ...tokens]
      : tokens;
    return compileWildcard(wrapped, { cased: spec.cased });
  });
  const tests = matchers.map((m): StringTest => (s, lowered) => m.test(s, m.cased ? s : lowered()));
  const literals = matchers.map((m) => m.literal);
  const pinnable = (spec.field === 'eventName' || spec.field === 'eventSource') && !(spec.all && values.length > 1);
  const pin = pinnable && literals.every((l) => l !== undefined)
    ? { field: spec.field as 'eventName' | 'eventSource', values: literals.map((l) => l!.toLowerCase()) }
    : undefined;
  return combine(spec, path, tests, pin);
}

function compileExists(key: string, path: FieldPath, values: Scalar[]): FieldPredicate {
  const [wanted] = values;
  if (values.length !== 1 || typeof wanted !== 'boolean') {
    throw new RuleRefusal(`modifier "exists" needs the value true or false (${quote(key)})`);
  }
  // present means "the key is there", whatever its value: null and [] count (modifiers appendix §exists)
  const present = (record: unknown) => someFieldValue(record, path, (v) => v !== MISSING);
  return { test: (record) => present(record) === wanted };
}

function compileRe(key: string, spec: FieldSpec, value: Scalar): StringTest {
  if (typeof value !== 'string') throw new RuleRefusal(`modifier "re" needs a string pattern (${quote(key)})`);
  const flags = `${spec.re.i ? 'i' : ''}${spec.re.m ? 'm' : ''}${spec.re.s ? 's' : ''}`;
  try {
    new RegExp(value, flags); // only to check the syntax as JavaScript reads it
  } catch {
    throw new RuleRefusal(`${quote(key)}: ${quote(value)} is not a valid JavaScript regular expression`);
  }
  try {
    const regex = compileLinearRegex(value, spec.re);
    return (s) => regex.test(s);
  } catch (error) {
    if (error instanceof RegexUnsupported || error instanceof RangeError) {
      throw new RuleRefusal(`${quote(key)}: regular expression ${quote(value)}: ${error.message}`);
    }
    throw error;
  }
}

function compileCidr(key: string, value: Scalar): StringTest {
  const network = typeof value === 'string' ? parseCidr(value) : undefined;
  if (!network) throw new RuleRefusal(`${quote(key)}: ${quote(value)} is not an IPv4 or IPv6 network`);
  return (s) => cidrContains(network, s);
}

/** `a|fieldref: b`: some leaf of a equals (contains, starts or ends with) some leaf of b; both must be there. */
function compileFieldref(key: string, spec: FieldSpec, path: FieldPath, values: Scalar[]): FieldPredicate {
  const fold = (s: string) => (spec.cased ? s : s.toLowerCase());
  const compare = (a: string, b: string): boolean =>
    spec.position === 'contains' ? a.includes(b)
    : spec.position === 'startswith' ? a.startsWith(b)
    : spec.position === 'endswith' ? a.endsWith(b)
    : a === b;
  const tests = values.map((value): StringTest => {
    if (typeof value !== 'string' || value === '') {
      throw new RuleRefusal(`modifier "fieldref" needs a field name (${quote(key)})`);
    }
    const ref = compileFieldPath(value);
    return (s, _lowered, record) => {
      const a = fold(s);
      return someFieldValue(record, ref, (leaf) => {
        const b = toMatchString(leaf);
        return b !== undefined && compare(a, fold(b));
      });
    };
  });
  return combine(spec, path, tests);
}
