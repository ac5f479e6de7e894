import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config/types';
import { buildRuleIndex, loadRulePaths, type CompiledRule, type RuleIndex, type RuleLoadError } from './sigma';

/**
 * The rules the daemon and `cloudtrail-slack rules` use: the built-in security pack (unless `rules.builtin` is
 * false) and every file and folder of `rules.paths` (config and `--rules`), compiled once and indexed.
 */

/** The folder holding package.json, found by walking up from `start` (src/rules under tsx, dist/rules compiled). */
function packageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    // At the file system's root without a package.json: keep the historic layout (two levels up) as a last resort.
    if (dirname(dir) === dir) return join(start, '..', '..');
  }
}

/** `<package root>/rules/builtin`: the pack's .yml files (package.json "files" ships them). */
export const BUILTIN_RULES_DIR: string = join(packageRoot(__dirname), 'rules', 'builtin');

export interface RuleSet {
  index: RuleIndex;
  /** In load order: the pack (file name order), then each path in the order given. */
  rules: CompiledRule[];
  /**
   * Files (or folders) that could not be read and rules that were refused, one line each (RuleLoadError: `file`,
   * `id` when known, `error`). The caller reports each one and goes on with the rules that loaded.
   */
  errors: RuleLoadError[];
}

/**
 * Loads the pack first, then `rules.paths`: a rule whose id is already taken (by the pack or an earlier file) is
 * refused, so the pack's rules cannot be replaced by accident. Never throws for a bad rule, file or path
 * (loadRulePaths, src/rules/sigma/loader.ts).
 */
export async function loadRuleSet(rules: Config['rules']): Promise<RuleSet> {
  const paths = rules.builtin ? [BUILTIN_RULES_DIR, ...rules.paths] : [...rules.paths];
  const loaded = await loadRulePaths(paths);
  return { index: buildRuleIndex(loaded.rules), rules: loaded.rules, errors: loaded.errors };
}
