/**
 * The decision types of issue 8's pipeline, copied exactly from the lead's design (pipeline.md). Kept in their own
 * file so the lead can fold them into src/rules/decision.ts at merge without touching the code that uses them.
 */

export type Level = 'informational' | 'low' | 'medium' | 'high' | 'critical'; // Sigma's levels, ordered
export const LEVEL_ORDER: Record<Level, number> = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };

export interface RuleHit { id: string; title: string; level: Level; tags: string[] }

export interface Decision {
  /** max level of the matched rules; 'informational' when none matched. */
  level: Level;
  matched: RuleHit[];                      // sorted: highest level first, then title
  muted: boolean;
  muteReason?: string;                     // names the mute entry, never the event's values
  routes: Array<{ webhook: string; mention?: string }>; // deduped by webhook, in route order
}
