import { checkKeys, checkStringList, expected, formatPath, isPlainObject, type KeyPath } from './config-checks';
import {
  compileGlobs,
  compileRuleGlobs,
  isAtLeast,
  isThresholdLevel,
  THRESHOLD_LEVELS,
  type EventFacts,
  type ThresholdLevel,
} from './match-facts';

/**
 * Config `routes` (issue 8 item 4): which webhooks an event goes to.
 *
 * - The list is tried in order. A route whose `when` holds takes the event: its `to` webhooks get it (with the
 *   route's `mention`). Unless the route says `continue: true`, the routing stops there; otherwise later routes
 *   are tried too. An event no route takes goes to the webhook named `default`.
 * - `when` holds when every key it gives holds; `{}` (or no `when`) always holds:
 *   `rules`: a matched rule's id or tag matches one of the globs; `minLevel`: the event's level (the highest of
 *   its matched rules) is at least this; `accounts`, `regions`, `eventSources`: the event's account, the region it
 *   was read from, its eventSource match one of the globs. The account is the target's (an account of `accounts`
 *   or of the organisation) when it has one, else the record's recipientAccountId; an `accounts` glob matches
 *   its ID or its name (`prod-*`: EventFacts.accountName). Globs are case-insensitive with `*` for any run
 *   (compilePattern, src/rules/filter.ts).
 * - A webhook named twice (in one route or across `continue`d routes) gets the event once, with the mention of
 *   its first appearance.
 * - `mention` comes from the config (trusted) and is posted raw, so only Slack's mention tokens are allowed
 *   (API-FACTS C.3, O.4): `<@U…>`/`<@W…>` (user), `<!subteam^S…>` or `<!subteam^S…|@handle>` (user group),
 *   `<!here>`, `<!channel>`, several separated by single spaces.
 */

export const DEFAULT_WEBHOOK = 'default';

export interface RouteWhen {
  rules?: string[];
  minLevel?: ThresholdLevel;
  accounts?: string[];
  regions?: string[];
  eventSources?: string[];
}

export interface RouteConfig {
  when?: RouteWhen;
  to: string[];
  mention?: string;
  continue?: boolean;
}

export interface RouteTarget {
  webhook: string;
  mention?: string;
}

const ROUTE_KEYS = ['when', 'to', 'mention', 'continue'];
const WHEN_KEYS = ['rules', 'minLevel', 'accounts', 'regions', 'eventSources'];

// Slack IDs are upper-case letters and digits (U…/W… users, S… user groups); the handle after `|@` is a label.
const MENTION_TOKEN = String.raw`(?:<@[UW][A-Z0-9]{2,20}>|<!subteam\^S[A-Z0-9]{2,20}(?:\|@[A-Za-z0-9._-]{1,80})?>|<!here>|<!channel>)`;
const MENTION = new RegExp(`^${MENTION_TOKEN}(?: ${MENTION_TOKEN}){0,9}$`);

/** True for one to ten Slack mention tokens separated by single spaces, and nothing else. */
export function isSlackMention(text: unknown): text is string {
  return typeof text === 'string' && MENTION.test(text);
}

/** A route that takes every event and stops there: later routes are never tried. */
function isCatchAll(route: unknown): boolean {
  if (!isPlainObject(route) || route.continue === true) return false;
  return route.when === undefined || (isPlainObject(route.when) && Object.keys(route.when).length === 0);
}

/**
 * Checks a `routes` value from the config file against the configured webhook names. Returns one line per
 * problem (empty when valid); the loader turns them into a configuration error (exit 78).
 */
export function validateRoutes(routes: unknown, webhookNames: Iterable<string>): string[] {
  const names = [...webhookNames];
  const list = routes ?? [];
  if (!Array.isArray(list)) {
    return [expected(['routes'], 'an array of routes like [{"when": {"minLevel": "high"}, "to": ["security"]}]', list)];
  }
  const errors = list.flatMap((route, i) => checkRoute(route, ['routes', i], names));
  const firstCatchAll = list.findIndex(isCatchAll);
  if (firstCatchAll !== -1 && firstCatchAll < list.length - 1) {
    // One line is enough: it names the route that swallows every later one.
    const next = formatPath(['routes', firstCatchAll + 1]);
    errors.push(`${next}: never reached: routes[${firstCatchAll}] takes every event (its "when" is empty and it has no "continue")`);
  }
  if (!names.includes(DEFAULT_WEBHOOK) && firstCatchAll === -1) {
    errors.push(
      `routes: no webhook is named "${DEFAULT_WEBHOOK}", so the last route must take every event: end the list with {"when": {}, "to": [...]} without "continue"`,
    );
  }
  return errors;
}

function checkRoute(route: unknown, path: KeyPath, names: readonly string[]): string[] {
  if (!isPlainObject(route)) return [expected(path, 'an object like {"when": {"minLevel": "high"}, "to": ["security"]}', route)];
  const errors = checkKeys(route, ROUTE_KEYS, path);
  if (route.when !== undefined) errors.push(...checkWhen(route.when, [...path, 'when']));
  const to = route.to;
  if (!Array.isArray(to) || to.length === 0) {
    errors.push(expected([...path, 'to'], 'a non-empty array of webhook names', to));
  } else {
    const known = names.length === 0 ? 'none configured' : names.join(', ');
    to.forEach((name, j) => {
      if (typeof name !== 'string' || !names.includes(name)) {
        errors.push(expected([...path, 'to', j], `a webhook name from slack.webhooks (${known})`, name));
      }
    });
  }
  if (route.mention !== undefined && !isSlackMention(route.mention)) {
    const tokens = '<@U123ABC>, <!subteam^S123ABC>, <!subteam^S123ABC|@team>, <!here> or <!channel>';
    errors.push(expected([...path, 'mention'], `Slack mention tokens such as ${tokens}, separated by single spaces`, route.mention));
  }
  if (route.continue !== undefined && typeof route.continue !== 'boolean') {
    errors.push(expected([...path, 'continue'], 'true or false', route.continue));
  }
  return errors;
}

function checkWhen(when: unknown, path: KeyPath): string[] {
  if (!isPlainObject(when)) return [expected(path, `an object with ${WHEN_KEYS.join(', ')} (all optional)`, when)];
  const errors = checkKeys(when, WHEN_KEYS, path);
  if (when.rules !== undefined) errors.push(...checkStringList(when.rules, [...path, 'rules'], 'rule id or tag globs'));
  if (when.minLevel !== undefined && !isThresholdLevel(when.minLevel)) {
    errors.push(expected([...path, 'minLevel'], `one of ${THRESHOLD_LEVELS.join(', ')}`, when.minLevel));
  }
  if (when.accounts !== undefined) errors.push(...checkStringList(when.accounts, [...path, 'accounts'], 'account ID or name globs'));
  if (when.regions !== undefined) errors.push(...checkStringList(when.regions, [...path, 'regions'], 'region globs'));
  if (when.eventSources !== undefined) {
    errors.push(...checkStringList(when.eventSources, [...path, 'eventSources'], 'event source globs'));
  }
  return errors;
}

type Condition = (facts: EventFacts) => boolean;

/** Compiles a `when` once into one predicate: every given key must hold. */
function compileWhen(when: RouteWhen = {}): Condition {
  const conditions: Condition[] = [];
  if (when.rules !== undefined) {
    const rules = compileRuleGlobs(when.rules);
    conditions.push((facts) => rules(facts.hits));
  }
  const minLevel = when.minLevel;
  if (minLevel !== undefined) conditions.push((facts) => isAtLeast(facts.level, minLevel));
  if (when.accounts !== undefined) {
    const accounts = compileGlobs(when.accounts);
    conditions.push((facts) => accounts([facts.account, facts.accountName]));
  }
  if (when.regions !== undefined) {
    const regions = compileGlobs(when.regions);
    conditions.push((facts) => regions([facts.region]));
  }
  if (when.eventSources !== undefined) {
    const sources = compileGlobs(when.eventSources);
    conditions.push((facts) => sources([facts.event.source]));
  }
  return (facts) => conditions.every((condition) => condition(facts));
}

/**
 * Compiles validated routes (validateRoutes returned no error) once; the returned function is pure and gives the
 * webhooks of one event, deduped, in route order. With no routes every event goes to `default`.
 */
export function compileRoutes(routes: readonly RouteConfig[]): (facts: EventFacts) => RouteTarget[] {
  const compiled = routes.map((route) => ({
    holds: compileWhen(route.when),
    to: [...route.to],
    mention: route.mention,
    continue: route.continue === true,
  }));
  return (facts) => {
    const targets: RouteTarget[] = [];
    const add = (webhook: string, mention: string | undefined): void => {
      if (targets.some((target) => target.webhook === webhook)) return;
      targets.push(mention === undefined ? { webhook } : { webhook, mention });
    };
    let taken = false;
    for (const route of compiled) {
      if (!route.holds(facts)) continue;
      taken = true;
      for (const webhook of route.to) add(webhook, route.mention);
      if (!route.continue) break;
    }
    if (!taken) add(DEFAULT_WEBHOOK, undefined);
    return targets;
  };
}
