import { compileFieldEntry, type PinnedField } from './field-matcher';
import { RuleRefusal, quote } from './types';

/**
 * Search identifiers: every key of `detection` except `condition` (API-FACTS H.3).
 *
 * - A map is AND over its entries; a list of maps is OR over the maps.
 * - A list of plain values (a keyword search) is refused: no SigmaHQ CloudTrail rule uses one (H.8), and
 *   searching "the whole event" has no agreed meaning on nested JSON.
 * - `timeframe` (Sigma 1's window for aggregations) is refused with the aggregation it belongs to.
 */

/** What must hold for a selection to match: each field's allowed values (lowercased), or no constraint. */
export type Pins = Partial<Record<PinnedField, Set<string>>>;

export interface Selection {
  test(record: unknown): boolean;
  pins: Pins;
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

export function compileSelection(name: string, value: unknown): Selection {
  const where = `detection.${name}`;
  try {
    if (name === 'timeframe') {
      throw new RuleRefusal('"timeframe" (a Sigma 1 aggregation window) is not supported; use Sigma correlations');
    }
    if (isMap(value)) return compileMap(value);
    if (Array.isArray(value) && value.length > 0 && value.every(isMap)) {
      const maps = value.map(compileMap);
      return { test: (record) => maps.some((m) => m.test(record)), pins: unionPins(maps.map((m) => m.pins)) };
    }
    if (Array.isArray(value) && value.length > 0 && value.every((v) => !isMap(v) && !Array.isArray(v))) {
      throw new RuleRefusal('keyword search (a list of values without a field name) is not supported');
    }
    throw new RuleRefusal(`must be a map of fields or a list of such maps, not ${quote(value)}`);
  } catch (error) {
    if (error instanceof RuleRefusal) throw new RuleRefusal(`${where}: ${error.message}`);
    throw error;
  }
}

function compileMap(map: Record<string, unknown>): Selection {
  const keys = Object.keys(map);
  if (keys.length === 0) throw new RuleRefusal('an empty map matches nothing useful');
  const entries = keys.map((key) => compileFieldEntry(key, map[key]));
  const pins: Pins = {};
  for (const entry of entries) {
    if (entry.pin) pins[entry.pin.field] = intersect(pins[entry.pin.field], new Set(entry.pin.values));
  }
  return { test: (record) => entries.every((e) => e.test(record)), pins };
}

/** AND: both constraints hold. */
export function intersect(a: Set<string> | undefined, b: Set<string> | undefined): Set<string> | undefined {
  if (!a) return b;
  if (!b) return a;
  return new Set([...a].filter((v) => b.has(v)));
}

export function intersectPins(a: Pins, b: Pins): Pins {
  return { eventName: intersect(a.eventName, b.eventName), eventSource: intersect(a.eventSource, b.eventSource) };
}

/** OR: a field stays constrained only when every branch constrains it. */
export function unionPins(all: Pins[]): Pins {
  const union = (field: PinnedField): Set<string> | undefined => {
    if (all.some((p) => !p[field])) return undefined;
    return new Set(all.flatMap((p) => [...p[field]!]));
  };
  return { eventName: union('eventName'), eventSource: union('eventSource') };
}
