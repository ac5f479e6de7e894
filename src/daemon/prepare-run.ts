import type { Config } from '../config/types';
import type { Logger } from '../logging/logger';
import { loadRuleSet } from '../rules/load-rule-set';
import { buildDecider } from '../rules/build-decider';
import { removeStaleTempFiles } from '../state/temp-files';
import { checkStateDir } from './check-state-dir';
import type { AccountDirectory } from '../targets/account-directory';

/** Checks the state folder and compiles the rules, before "ready": a problem here fails the start. */
/** `accounts`: the run's account names, which routes and mutes match (`when.accounts: [prod-*]`). */
export async function prepareRun(config: Config, log: Logger, accounts?: AccountDirectory) {
  // A state folder we cannot use fails the start (a -d parent reports it) instead of failing after "ready".
  await checkStateDir(config.stateDir, config.stateProfile, !config.dryRun);
  // Rules compile once, before "ready": a refused rule is one line naming its file; the others still load.
  const ruleSet = await loadRuleSet(config.rules);
  for (const refused of ruleSet.errors) log.error({ file: refused.file, ruleId: refused.id, reason: refused.error }, 'rule refused');
  const decide = buildDecider(config, ruleSet.index, (error: unknown, event: { id: string; name: string }) =>
    log.error({ err: error, eventId: event.id, eventName: event.name }, 'the rules failed on an event; it counts as matching none'),
    accounts,
  );
  // Before anything of ours writes there: what a kill -9 mid-write left behind (never a live process's file).
  if (!config.dryRun) await removeStaleTempFiles({ dir: config.stateDir, profile: config.stateProfile, pid: process.pid, log });
  return decide;
}

