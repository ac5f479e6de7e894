import type { Level } from '../rules/decision';

/**
 * The colour bar of a message by its level (a legacy attachment `color`, the only source of a colour bar:
 * API-FACTS C.2, O.2). Critical and high stand out in reds, medium is Slack's amber `warning`, low a calm blue,
 * and informational keeps the original's green `good` for routine changes. Failed calls keep their own purple
 * (COLOURS.failed in format.ts): a failed call changed nothing, whatever its level.
 */
export const LEVEL_COLOURS: Readonly<Record<Level, string>> = Object.freeze({
  critical: '#8b0000',
  high: 'danger',
  medium: 'warning',
  low: '#439fe0',
  informational: 'good',
});

export function levelColour(level: Level): string {
  return LEVEL_COLOURS[level];
}
