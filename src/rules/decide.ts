import type { TrailEvent } from '../events/types';
import { compareHits, type Decision, type Level, type RuleHit } from './decision';
import type { EventFacts } from './match-facts';
import { compileMutes, type NamedMute } from './mute';
import { compileRoutes, type RouteConfig } from './routes';

/**
 * The decide stage of issue 8's pipeline (pipeline.md): one event → its Decision (level, matched rules, mute,
 * routes). Everything is compiled once by createDecider; the returned function is pure and never throws.
 */

/** The rule engine as the decider uses it (src/rules/sigma): the rules that match one raw CloudTrail record. */
export interface RuleIndex {
  match(record: unknown): ReadonlyArray<{ id: string; title: string; level: Level; tags: readonly string[] }>;
}

/** Where the event was read from: the target's account (when known) and region. */
export interface DecisionTarget {
  account?: string;
  region: string;
}

export interface DeciderOptions {
  index: RuleIndex;
  /** Validated config `routes` (validateRoutes); none: every event goes to `default`. */
  routes?: readonly RouteConfig[];
  /** Every mute in effect, named: collectMutes({ mute, exclude }). */
  mutes?: readonly NamedMute[];
  /**
   * Called when the rule index throws on a record. The event then counts as matching no rule and is still routed:
   * one odd record must neither stop a poller nor be lost. Log it here.
   */
  onRuleError?: (error: unknown, event: TrailEvent) => void;
  /**
   * The names of accounts (the run's AccountDirectory), read at each decision so a name the organisation listing
   * brings later counts at once: `accounts` globs of routes and mutes match the account's name too. Default: none.
   */
  accounts?: { nameOf(id: string): string | undefined };
}

/** The event's account: the target's when known, else the record's recipientAccountId (written by CloudTrail). */
function accountOf(event: TrailEvent, target: DecisionTarget): string | undefined {
  if (target.account !== undefined) return target.account;
  const recipient = event.record?.recipientAccountId;
  return typeof recipient === 'string' && recipient !== '' ? recipient : undefined;
}

/**
 * Builds the decide function. Rules see the raw record (`event.record`); an event without one (its CloudTrailEvent
 * JSON was unreadable) matches no rule but is still muted or routed by its other fields, never lost.
 * A muted event gets no routes: nothing is posted for it.
 */
export function createDecider(options: DeciderOptions): (event: TrailEvent, target: DecisionTarget) => Decision {
  const { index, onRuleError } = options;
  const routeOf = compileRoutes(options.routes ?? []);
  const muteOf = compileMutes(options.mutes ?? []);

  const matchRules = (event: TrailEvent): RuleHit[] => {
    if (event.record === undefined) return [];
    try {
      return index.match(event.record).map((rule) => ({ id: rule.id, title: rule.title, level: rule.level, tags: [...rule.tags] }));
    } catch (error) {
      onRuleError?.(error, event);
      return [];
    }
  };

  return (event, target) => {
    const matched = matchRules(event).sort(compareHits);
    const level: Level = matched[0]?.level ?? 'informational';
    const account = accountOf(event, target);
    const accountName = account === undefined ? undefined : options.accounts?.nameOf(account);
    const facts: EventFacts = { event, account, accountName, region: target.region, hits: matched, level };
    const muteReason = muteOf(facts);
    if (muteReason !== undefined) return { level, matched, muted: true, muteReason, routes: [] };
    return { level, matched, muted: false, routes: routeOf(facts) };
  };
}
