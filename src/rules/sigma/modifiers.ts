import { RuleRefusal, quote } from './types';

/**
 * A detection key `field|mod1|mod2` (API-FACTS H.5), checked once at load.
 *
 * Supported: `contains`, `startswith`, `endswith`, `all`, `re` with `i`/`m`/`s` (pySigma's aliases
 * `ignorecase`, `multiline`, `dotall` too), `fieldref`, `exists`, `cased`, `cidr`. Sigma's other modifiers are
 * refused by name as unsupported, anything else as unknown (pySigma errors on unknown modifiers, H.5).
 * Combinations that have no meaning (two of contains/startswith/endswith, `re` with `cased`, `exists` with
 * anything) are refused too, rather than guessed.
 */

export type ValueKind = 'plain' | 're' | 'cidr' | 'exists' | 'fieldref';
export type Position = 'exact' | 'contains' | 'startswith' | 'endswith';

export interface FieldSpec {
  /** The field name ('' never: keyword searches are refused before this). */
  field: string;
  kind: ValueKind;
  position: Position;
  all: boolean;
  cased: boolean;
  re: { i: boolean; m: boolean; s: boolean };
  /** The modifiers as written, for messages. */
  modifiers: string[];
}

/** Modifiers in Sigma 2.1 that this engine does not implement (API-FACTS H.5: unused by the CloudTrail rules). */
const UNSUPPORTED = new Set([
  'windash', 'base64', 'base64offset', 'utf16le', 'utf16be', 'wide', 'utf16', 'expand',
  'neq', 'lt', 'lte', 'gt', 'gte', 'minute', 'hour', 'day', 'week', 'month', 'year',
]);
const RE_FLAGS: Record<string, 'i' | 'm' | 's'> = {
  i: 'i', ignorecase: 'i', m: 'm', multiline: 'm', s: 's', dotall: 's',
};
const KINDS: Record<string, ValueKind> = { re: 're', cidr: 'cidr', exists: 'exists', fieldref: 'fieldref' };

export function parseFieldKey(key: string): FieldSpec {
  const [field = '', ...modifiers] = key.split('|');
  if (field === '') {
    // API-FACTS H.8: no SigmaHQ CloudTrail rule uses keyword (field-less) search
    throw new RuleRefusal(`keyword search ${quote(key)} (a value without a field name) is not supported`);
  }
  const spec: FieldSpec = {
    field, kind: 'plain', position: 'exact', all: false, cased: false, re: { i: false, m: false, s: false }, modifiers,
  };
  for (const modifier of modifiers) {
    const flag = RE_FLAGS[modifier];
    if (modifier === 'contains' || modifier === 'startswith' || modifier === 'endswith') {
      if (spec.position !== 'exact') throw combination(key, spec.position, modifier);
      spec.position = modifier;
    } else if (modifier === 'all') {
      spec.all = true;
    } else if (modifier === 'cased') {
      spec.cased = true;
    } else if (KINDS[modifier]) {
      if (spec.kind !== 'plain') throw combination(key, spec.kind, modifier);
      spec.kind = KINDS[modifier]!;
    } else if (flag) {
      if (spec.kind !== 're') {
        throw new RuleRefusal(`modifier ${quote(modifier)} in ${quote(key)} is a flag of "re" and must follow it`);
      }
      spec.re[flag] = true;
    } else if (UNSUPPORTED.has(modifier)) {
      throw new RuleRefusal(`modifier ${quote(modifier)} in ${quote(key)} is not supported`);
    } else {
      throw new RuleRefusal(`unknown modifier ${quote(modifier)} in ${quote(key)}`);
    }
  }
  checkCombination(key, spec);
  return spec;
}

function combination(key: string, a: string, b: string): RuleRefusal {
  return new RuleRefusal(`modifiers ${quote(a)} and ${quote(b)} cannot be combined (${quote(key)})`);
}

function checkCombination(key: string, spec: FieldSpec): void {
  const { kind } = spec;
  if (kind === 're' || kind === 'cidr') {
    if (spec.position !== 'exact') throw combination(key, kind, spec.position);
    if (spec.cased) throw combination(key, kind, 'cased');
  }
  if (kind === 'exists' && (spec.position !== 'exact' || spec.cased || spec.all)) {
    throw new RuleRefusal(`modifier "exists" takes no other modifier (${quote(key)})`);
  }
}
