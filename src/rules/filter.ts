import { createPrincipalMatcher } from '../events/principal';
import type { TrailEvent } from '../events/types';
import { compilePatterns, type Pattern } from '../lib/glob';

export { compilePattern } from '../lib/glob';

/**
 * Which events get posted: write events that no exclusion matches. The daemon and `replay` use this one filter.
 *
 * - Read-only: `readOnly === true` is skipped. `undefined` is posted: the poller asks LookupEvents for
 *   ReadOnly=false, so an event without the flag (its CloudTrailEvent JSON was unreadable, or a record that has
 *   none, such as a CloudTrail Insights record) is posted: missing a change is worse than one extra message.
 * - `ConsoleLogin` is excluded by default, as the Ruby original did; the config's `exclude.eventNames` is added
 *   to DEFAULT_EXCLUDED_EVENT_NAMES, never replaces it.
 * - Patterns (src/lib/glob.ts) match whole values, case-insensitively, `*` the only wildcard: event names
 *   (`Describe*`), event sources (`*.amazonaws.com`) and user names.
 * - A user-name pattern matches the caller by any of its names (src/events/principal.ts): an IAM user name, an
 *   assumed role's name, its session name or `role/session`, a federated, SAML, web-identity or Identity Center
 *   user, `root` or the account alias, an AWS service that is itself the caller, or the principal's ARN.
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

function findMatch(patterns: Pattern[], value: string): Pattern | undefined {
  return patterns.find((pattern) => pattern.test(value));
}

/** Builds the post/skip decision once per config; the returned function is pure. */
export function createEventFilter(exclude: Exclusions): (event: TrailEvent) => FilterDecision {
  const names = compilePatterns([...DEFAULT_EXCLUDED_EVENT_NAMES, ...exclude.eventNames]);
  const sources = compilePatterns(exclude.eventSources);
  const principal = createPrincipalMatcher(exclude.userNames);
  return (event) => {
    if (event.readOnly === true) return { post: false, reason: 'read-only event' };
    const name = findMatch(names, event.name);
    if (name !== undefined) return { post: false, reason: `event name matches excluded "${name.text}"` };
    const source = findMatch(sources, event.source);
    if (source !== undefined) return { post: false, reason: `event source matches excluded "${source.text}"` };
    const user = principal(event);
    if (user !== undefined) return { post: false, reason: `user name matches excluded "${user}"` };
    return { post: true };
  };
}
