import { principalNames } from '../events/principal';
import type { TrailEvent } from '../events/types';
import { checkKeys, checkStringList, expected, formatPath, isPlainObject, type KeyPath } from './config-checks';
import type { Exclusions } from './filter';
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
 * Config `mute` (issue 8 item 4): events to drop. Each entry holds when every key it gives holds (`rules`: a
 * matched rule's id or tag; `eventNames`, `eventSources`; `userNames`: the caller; `accounts`; `regions`; all
 * case-insensitive `*` globs), and then drops the event unless `unlessLevel` is given and the event's level (the
 * highest of its matched rules) reaches it. A muted event is counted and never posted nor recorded.
 *
 * - The legacy `exclude.eventNames/eventSources/userNames` keep working: translateExclude turns each pattern into
 *   one mute without `unlessLevel`, so they drop exactly what the old filter dropped, whatever the rules say.
 * - BUILTIN_MUTES replaces the old hard `ConsoleLogin` exclusion: a sign-in is muted unless a rule rated it at
 *   least `low` (the security pack's risky sign-ins: no MFA, failed root sign-in).
 * - A mute reason names the entry (`mute[1]`, `exclude.userNames "terraform-*"`), never the event's values.
 */

export interface MuteConfig {
  rules?: string[];
  eventNames?: string[];
  eventSources?: string[];
  userNames?: string[];
  accounts?: string[];
  regions?: string[];
  unlessLevel?: ThresholdLevel;
}

/** A mute with the name its reason shows. */
export interface NamedMute {
  name: string;
  mute: MuteConfig;
}

export const BUILTIN_MUTES: readonly NamedMute[] = Object.freeze([
  { name: 'built-in mute "ConsoleLogin"', mute: { eventNames: ['ConsoleLogin'], unlessLevel: 'low' } },
]);

const MATCH_KEYS = ['rules', 'eventNames', 'eventSources', 'userNames', 'accounts', 'regions'] as const;
const MUTE_KEYS: readonly string[] = [...MATCH_KEYS, 'unlessLevel'];

/**
 * The names a `userNames` glob is tried against: every name of the caller (principalNames, src/events/principal.ts),
 * the same matcher the `exclude.userNames` filter and replay use. The one place here that decides it.
 */
export function userNamesOf(event: TrailEvent): Array<string | undefined> {
  // The one principal matcher of every path (daemon filter, replay, mutes): user, role, session, role/session,
  // federated and Identity Center users, root or alias, an AWS service as caller, and the ARNs (principal.ts).
  return principalNames(event);
}

/** `exclude.*` → one mute per non-blank pattern, named after the key and the pattern. */
export function translateExclude(exclude: Partial<Exclusions>): NamedMute[] {
  const keys = ['eventNames', 'eventSources', 'userNames'] as const;
  return keys.flatMap((key) =>
    (exclude[key] ?? [])
      .filter((pattern) => typeof pattern === 'string' && pattern.trim() !== '')
      .map((pattern) => ({ name: `exclude.${key} ${JSON.stringify(pattern)}`, mute: { [key]: [pattern] } })),
  );
}

/** Every mute in effect, in the order their reasons are reported: `mute[i]`, then `exclude.*`, then built-in. */
export function collectMutes(options: {
  mute?: readonly MuteConfig[];
  exclude?: Partial<Exclusions>;
  /** BUILTIN_MUTES on (default true). */
  builtin?: boolean;
}): NamedMute[] {
  const own = (options.mute ?? []).map((mute, i) => ({ name: `mute[${i}]`, mute }));
  const builtin = options.builtin === false ? [] : BUILTIN_MUTES;
  return [...own, ...translateExclude(options.exclude ?? {}), ...builtin];
}

/** Checks a `mute` value from the config file; one line per problem, empty when valid. */
export function validateMutes(mute: unknown): string[] {
  const list = mute ?? [];
  if (!Array.isArray(list)) {
    return [expected(['mute'], 'an array of mutes like [{"userNames": ["terraform-*"], "unlessLevel": "high"}]', list)];
  }
  return list.flatMap((entry, i) => checkMute(entry, ['mute', i]));
}

function checkMute(entry: unknown, path: KeyPath): string[] {
  if (!isPlainObject(entry)) return [expected(path, 'an object like {"eventNames": ["CreateTags"]}', entry)];
  const errors = checkKeys(entry, MUTE_KEYS, path);
  for (const key of MATCH_KEYS) {
    if (entry[key] !== undefined) errors.push(...checkStringList(entry[key], [...path, key], 'globs'));
  }
  if (!MATCH_KEYS.some((key) => entry[key] !== undefined)) {
    errors.push(`${formatPath(path)}: give at least one of ${MATCH_KEYS.join(', ')}: a mute without one would drop every event`);
  }
  if (entry.unlessLevel !== undefined && !isThresholdLevel(entry.unlessLevel)) {
    errors.push(expected([...path, 'unlessLevel'], `one of ${THRESHOLD_LEVELS.join(', ')}`, entry.unlessLevel));
  }
  return errors;
}

type Condition = (facts: EventFacts) => boolean;

/** userNamesOf once per event, however many `userNames` mutes there are (exclude.* gives one per pattern). */
function createUserNameCache(): (facts: EventFacts) => Array<string | undefined> {
  let last: EventFacts | undefined;
  let names: Array<string | undefined> = [];
  return (facts) => {
    if (facts !== last) {
      names = userNamesOf(facts.event);
      last = facts;
    }
    return names;
  };
}

function compileMute(mute: MuteConfig, userNames: (facts: EventFacts) => Array<string | undefined>): Condition {
  const conditions: Condition[] = [];
  const glob = (patterns: string[] | undefined, valuesOf: (facts: EventFacts) => Array<string | undefined>): void => {
    if (patterns === undefined) return;
    const globs = compileGlobs(patterns);
    conditions.push((facts) => globs(valuesOf(facts)));
  };
  if (mute.rules !== undefined) {
    const rules = compileRuleGlobs(mute.rules);
    conditions.push((facts) => rules(facts.hits));
  }
  glob(mute.eventNames, (facts) => [facts.event.name]);
  glob(mute.eventSources, (facts) => [facts.event.source]);
  glob(mute.accounts, (facts) => [facts.account, facts.accountName]); // an ID or a name (issue 10)
  glob(mute.regions, (facts) => [facts.region]);
  glob(mute.userNames, userNames); // last: the costliest
  const unless = mute.unlessLevel;
  if (unless !== undefined) conditions.push((facts) => !isAtLeast(facts.level, unless));
  // Defensive: an entry with no key at all (validateMutes refuses it) mutes nothing rather than everything.
  if (conditions.length === 0 || (conditions.length === 1 && unless !== undefined)) return () => false;
  return (facts) => conditions.every((condition) => condition(facts));
}

/** Compiles the mutes once; the returned function gives the name of the first mute that drops the event. */
export function compileMutes(mutes: readonly NamedMute[]): (facts: EventFacts) => string | undefined {
  const userNames = createUserNameCache();
  const compiled = mutes.map(({ name, mute }) => ({ name, holds: compileMute(mute, userNames) }));
  return (facts) => compiled.find((entry) => entry.holds(facts))?.name;
}
