import { rulePins } from './compile';
import { compileFieldPath, someFieldValue, toMatchString } from './field-path';
import type { CompiledRule } from './types';

/**
 * Rules indexed by the eventName (else eventSource) values their condition requires, so an event is only tried
 * against the rules that could match it plus a catch-all list (rules that pin neither).
 *
 * A rule is pinned when its condition, read as logic, can only hold if the record's eventName is one of a set
 * of exact values: e.g. `selection and not filter` where `selection` has `eventName: [A, B]` (AND keeps the
 * constraint, OR keeps it only when both sides have one, `not` drops it; detection.ts, condition.ts). Values are
 * compared lowercased, a superset of what the rule's own case-insensitive (or `cased`) test accepts, and the
 * rule's full test still runs: the index only skips rules that cannot match. `match` returns rules in the order
 * given to buildRuleIndex, the same as a loop over `rules` filtering on `matches`.
 */
export interface RuleIndex {
  match(record: unknown): CompiledRule[];
  size: number;
}

const EVENT_NAME = compileFieldPath('eventName');
const EVENT_SOURCE = compileFieldPath('eventSource');

/**
 * Indexes rules made by compileRuleText/loadRulePaths (others, e.g. hand-made objects, go to the catch-all
 * list). The rules array is read once; `match` is pure and never throws.
 */
export function buildRuleIndex(rules: CompiledRule[]): RuleIndex {
  const byName = new Map<string, number[]>();
  const bySource = new Map<string, number[]>();
  const catchAll: number[] = [];
  const add = (map: Map<string, number[]>, key: string, position: number) => {
    const list = map.get(key);
    if (list) list.push(position);
    else map.set(key, [position]);
  };
  rules.forEach((rule, position) => {
    const pins = rulePins.get(rule);
    if (pins?.eventName) for (const name of pins.eventName) add(byName, name, position);
    else if (pins?.eventSource) for (const source of pins.eventSource) add(bySource, source, position);
    else catchAll.push(position);
  });

  /** Positions listed under each (lowercased) value the record has for the field. */
  const lookUp = (record: unknown, map: Map<string, number[]>, field: typeof EVENT_NAME, into: number[][]) => {
    if (map.size === 0) return;
    someFieldValue(record, field, (leaf) => {
      const key = toMatchString(leaf)?.toLowerCase();
      const list = key === undefined ? undefined : map.get(key);
      if (list) into.push(list);
      return false; // visit every leaf (a record's eventName is normally one string)
    });
  };

  return {
    size: rules.length,
    match(record) {
      if (record === null || typeof record !== 'object' || Array.isArray(record)) return [];
      const lists: number[][] = [];
      lookUp(record, byName, EVENT_NAME, lists);
      lookUp(record, bySource, EVENT_SOURCE, lists);
      let positions: number[];
      if (lists.length === 0) positions = catchAll;
      else {
        const merged = new Set<number>(catchAll);
        for (const list of lists) for (const p of list) merged.add(p);
        positions = [...merged].sort((a, b) => a - b);
      }
      const matched: CompiledRule[] = [];
      for (const p of positions) if (rules[p]!.matches(record)) matched.push(rules[p]!);
      return matched;
    },
  };
}
