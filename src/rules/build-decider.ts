import type { Config } from '../config/types';
import type { TrailEvent } from '../events/types';
import { createDecider, type DeciderOptions, type DecisionTarget, type RuleIndex } from './decide';
import type { Decision } from './decision';
import { collectMutes } from './mute';

/**
 * The decide stage as the configuration asks for it (pipeline.md C1): the rule index (loadRuleSet), config
 * `routes`, and every mute in effect (config `mute`, then `exclude.*` translated, then the built-in
 * `ConsoleLogin` mute; src/rules/mute.ts collectMutes). Compiled once; the returned function is pure, never throws,
 * and gives each event its Decision (level, matched rules, mute, routes by webhook name).
 *
 * `onRuleError` hears a rule index that throws on a record (a bug): the event then matches no rule and is still
 * muted or routed, never lost. Log it there. `accounts`: the run's AccountDirectory, so `accounts` globs of routes
 * and mutes match account names too (default: IDs only).
 */
export function buildDecider(
  config: Pick<Config, 'routes' | 'mute' | 'exclude'>,
  index: RuleIndex,
  onRuleError?: (error: unknown, event: TrailEvent) => void,
  accounts?: DeciderOptions['accounts'],
): (event: TrailEvent, target: DecisionTarget) => Decision {
  return createDecider({
    index,
    routes: config.routes,
    mutes: collectMutes({ mute: config.mute, exclude: config.exclude }),
    onRuleError,
    accounts,
  });
}
