import { compilePattern } from './filter';
import { LEVEL_ORDER, type Level, type RuleHit } from './decision';
import type { TrailEvent } from '../events/types';

/**
 * What routes and mutes look at, computed once per event by the decider (src/rules/decide.ts), and the few
 * helpers they share: level thresholds and case-insensitive `*` globs (compilePattern, src/rules/filter.ts).
 */

/** The levels a threshold (`minLevel`, `unlessLevel`) may name: 'informational' would hold for every event. */
export const THRESHOLD_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type ThresholdLevel = (typeof THRESHOLD_LEVELS)[number];

export function isThresholdLevel(value: unknown): value is ThresholdLevel {
  return typeof value === 'string' && (THRESHOLD_LEVELS as readonly string[]).includes(value);
}

export function isAtLeast(level: Level, threshold: Level): boolean {
  return LEVEL_ORDER[level] >= LEVEL_ORDER[threshold];
}

export interface EventFacts {
  event: TrailEvent;
  /** The target's account when known, else the record's recipientAccountId (set by CloudTrail, not the caller). */
  account: string | undefined;
  /** That account's name (config `accounts[].name`, or the organisation's), when known: untrusted text. */
  accountName?: string;
  /** The region of the target the event came from. */
  region: string;
  /** The matched rules, highest level first. */
  hits: readonly RuleHit[];
  /** Max level of `hits`; 'informational' when none. */
  level: Level;
}

/** A compiled list of globs: does any of them match any of the given values (undefined values never match)? */
export type GlobList = (values: ReadonlyArray<string | undefined>) => boolean;

/** Compiles config globs once. Blank patterns are ignored, as in the `exclude.*` filter. */
export function compileGlobs(patterns: readonly string[]): GlobList {
  const compiled = patterns.filter((p) => p.trim() !== '').map(compilePattern);
  return (values) => compiled.some((pattern) => values.some((value) => value !== undefined && pattern.test(value)));
}

/** `rules` globs hold when a matched rule's id or one of its tags matches one of them. */
export function compileRuleGlobs(patterns: readonly string[]): (hits: readonly RuleHit[]) => boolean {
  const globs = compileGlobs(patterns);
  return (hits) => hits.some((hit) => globs([hit.id]) || globs(hit.tags));
}
