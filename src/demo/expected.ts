import type { Config } from '../config/types';
import { fromRecord } from '../events/parse';
import type { CloudTrailRecord } from '../events/types';
import { buildDecider } from '../rules/build-decider';
import type { Decision } from '../rules/decision';
import { loadRuleSet } from '../rules/load-rule-set';

/**
 * What the daemon decides about each sample record, with the very rules, mutes and routes it runs with
 * (loadRuleSet + buildDecider on the demo's config): the demo expects exactly the records this posts, rather than a
 * number written down once. A read-only record gets no decision: the daemon asks LookupEvents for ReadOnly=false,
 * so it never even sees one.
 */

export type SampleDecider = (record: CloudTrailRecord, region: string) => Decision | undefined;

export interface SampleDecisions {
  decide: SampleDecider;
  /** Rule files the pack could not load (none, unless the install is damaged): one line each. */
  errors: string[];
}

export async function createSampleDecider(config: Pick<Config, 'rules' | 'routes' | 'mute' | 'exclude'>): Promise<SampleDecisions> {
  const set = await loadRuleSet(config.rules);
  const decide = buildDecider(config, set.index);
  return {
    errors: set.errors.map((error) => `${error.file}: ${error.error}`),
    decide: (record, region) => {
      if (record.readOnly === true) return undefined;
      const event = fromRecord(record, region);
      return event === undefined ? undefined : decide(event, { region });
    },
  };
}

/** Whether the daemon posts a record so decided: a write that no mute dropped. */
export function isPosted(decision: Decision | undefined): boolean {
  return decision !== undefined && !decision.muted;
}
