/**
 * What the rules decided about one event: its severity, the rules that matched, whether it is muted, and the
 * webhooks it goes to. The levels are Sigma's (API-FACTS H.2: `informational`, `low`, `medium`, `high`,
 * `critical`), ordered from least to most severe.
 */

export type Level = 'informational' | 'low' | 'medium' | 'high' | 'critical';

/** Sigma's levels from least to most severe; `LEVEL_ORDER[level]` is the index in this list. */
export const LEVELS: readonly Level[] = Object.freeze(['informational', 'low', 'medium', 'high', 'critical']);

export const LEVEL_ORDER: Readonly<Record<Level, number>> = Object.freeze({
  informational: 0,
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
});

/** One rule that matched an event. */
export interface RuleHit {
  id: string;
  title: string;
  level: Level;
  tags: string[];
}

export interface Decision {
  /** Max level of the matched rules; 'informational' when none matched. */
  level: Level;
  /** Sorted: highest level first, then title (see compareHits). */
  matched: RuleHit[];
  muted: boolean;
  /** Names the mute entry, never the event's values (they are attacker-controlled). */
  muteReason?: string;
  /** Deduped by webhook, in route order. `mention` comes from the route (trusted config). */
  routes: Array<{ webhook: string; mention?: string }>;
}

/** True for the five level names (case-sensitive, as Sigma writes them). */
export function isLevel(value: unknown): value is Level {
  return typeof value === 'string' && Object.hasOwn(LEVEL_ORDER, value);
}

/** True when `level` is `min` or more severe. */
export function levelAtLeast(level: Level, min: Level): boolean {
  return LEVEL_ORDER[level] >= LEVEL_ORDER[min];
}

/** The most severe of `levels`; 'informational' for an empty list. */
export function maxLevel(levels: Iterable<Level>): Level {
  let max: Level = 'informational';
  for (const level of levels) if (LEVEL_ORDER[level] > LEVEL_ORDER[max]) max = level;
  return max;
}

/** Order for `Decision.matched`: highest level first, then title, then id (so the order is total). */
export function compareHits(a: RuleHit, b: RuleHit): number {
  return LEVEL_ORDER[b.level] - LEVEL_ORDER[a.level] || compareText(a.title, b.title) || compareText(a.id, b.id);
}

/** Code-unit order: the same on every machine and locale (localeCompare is not). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
