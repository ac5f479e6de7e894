import { describeIdentity } from '../events/identity';
import type { TrailEvent } from '../events/types';
import { compileWildcard, parseStarGlob } from './sigma/wildcard';

/**
 * Which events get posted: write events that no exclusion matches.
 *
 * - Read-only: `readOnly === true` is skipped. `undefined` is posted: the poller asks LookupEvents for
 *   ReadOnly=false, so an event without the flag (e.g. its CloudTrailEvent JSON was unreadable) is most likely a
 *   write, and missing a change is worse than one extra message.
 * - `ConsoleLogin` is excluded by default, as the Ruby original did; the config's `exclude.eventNames` is added
 *   to DEFAULT_EXCLUDED_EVENT_NAMES, never replaces it.
 * - Matching is exact but case-insensitive, for event names (`DeleteBucket`), event sources (`s3.amazonaws.com`)
 *   and user names (IAM treats user and role names as unique regardless of case). `*` matches any run of
 *   characters (`Describe*`, `*.amazonaws.com`, `terraform-*`); no other character is special.
 * - A user-name pattern is tried against describeIdentity().name (e.g. `Admin/alice@example.com` for an assumed
 *   role) and the LookupEvents `Username` (the session name for a role), so `Admin/*` and `alice@example.com`
 *   both work.
 * - Empty patterns are ignored. A skip reason names the rule, never the event's (hostile) values.
 */

/** Event names never posted, whatever the config says (the original's only exclusion). */
export const DEFAULT_EXCLUDED_EVENT_NAMES: readonly string[] = ['ConsoleLogin'];

export interface Exclusions {
  eventNames: readonly string[];
  eventSources: readonly string[];
  userNames: readonly string[];
}

export type FilterDecision = { post: true } | { post: false; reason: string };

interface Pattern {
  text: string;
  test(value: string): boolean;
}

/**
 * Compiles a `Describe*`-style pattern into a case-insensitive, whole-value matcher. The Sigma engine's
 * wildcard matcher (sigma/wildcard.ts) does the work: linear in the value per segment, no regex built from the
 * pattern, because values are hostile (a regex like `^.*a.*a.*b$` can backtrack for minutes).
 */
export function compilePattern(pattern: string): Pattern {
  const matcher = compileWildcard(parseStarGlob(pattern), { cased: false });
  return { text: pattern, test: (value) => matcher.test(value) };
}

function compileAll(patterns: readonly string[]): Pattern[] {
  return patterns.filter((p) => typeof p === 'string' && p.trim() !== '').map(compilePattern);
}

function findMatch(patterns: Pattern[], values: Array<string | undefined>): Pattern | undefined {
  return patterns.find((pattern) => values.some((value) => value !== undefined && pattern.test(value)));
}

/** Builds the post/skip decision once per config; the returned function is pure. */
export function createEventFilter(exclude: Exclusions): (event: TrailEvent) => FilterDecision {
  const names = compileAll([...DEFAULT_EXCLUDED_EVENT_NAMES, ...exclude.eventNames]);
  const sources = compileAll(exclude.eventSources);
  const users = compileAll(exclude.userNames);
  return (event) => {
    if (event.readOnly === true) return { post: false, reason: 'read-only event' };
    const name = findMatch(names, [event.name]);
    if (name !== undefined) return { post: false, reason: `event name matches excluded "${name.text}"` };
    const source = findMatch(sources, [event.source]);
    if (source !== undefined) return { post: false, reason: `event source matches excluded "${source.text}"` };
    if (users.length > 0) {
      const user = findMatch(users, [describeIdentity(event).name, event.username]);
      if (user !== undefined) return { post: false, reason: `user name matches excluded "${user.text}"` };
    }
    return { post: true };
  };
}
