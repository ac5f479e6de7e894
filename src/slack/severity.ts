import type { Level } from '../rules/decision';

/**
 * How a single-event message shows its level, next to the colour bar (LEVEL_COLOURS in level-colours.ts, the one
 * map for digests and singles). Only the two levels that need a person now get a marker at the start of the
 * headline, so they stand out in the channel and in a phone's notification (which shows only the top-level text,
 * API-FACTS O.1); medium and below are told apart by the bar alone. A failed call keeps `:x:` after the marker.
 * The markers are standard Slack emoji codes, which every workspace has.
 */
export const LEVEL_MARKERS: Readonly<Record<Level, string | undefined>> = Object.freeze({
  critical: ':rotating_light:',
  high: ':warning:',
  medium: undefined,
  low: undefined,
  informational: undefined,
});

/** The marker of a call that failed (it changed nothing; API-FACTS B.5: errorCode is set). */
export const FAILED_MARKER = ':x:';

/** `critical` → `Critical`: the level as a word, for rule lines. */
export function levelTitle(level: Level): string {
  return level.charAt(0).toUpperCase() + level.slice(1);
}

/** `high` → `HIGH`, for the plain-text message (no colour bar, no emoji needed to see it). */
export function levelWord(level: Level): string {
  return level.toUpperCase();
}
