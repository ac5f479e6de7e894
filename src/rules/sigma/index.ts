/**
 * Sigma-format rules for raw CloudTrail records (issue 8, API-FACTS H and I): compile once, index, match.
 * Pure and offline, except loadRulePaths, which reads files through injectable functions.
 */
export { compileRuleText } from './compile';
export { loadRulePaths, type RuleFileSystem } from './loader';
export { buildRuleIndex, type RuleIndex } from './rule-index';
export {
  SIGMA_LEVELS,
  formatRuleLoadError,
  type CompiledRule,
  type RuleLoadError,
  type RuleLoadResult,
  type SigmaLevel,
} from './types';
