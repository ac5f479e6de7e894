import { compileWildcard, parseStarGlob } from '../rules/sigma/wildcard';

/**
 * The one pattern language of the config's exclusions: a whole-value, case-insensitive match in which `*` matches
 * any run of characters (also none) and no other character is special (`Describe*`, `*.amazonaws.com`,
 * `terraform-*`). Case-insensitive because IAM treats user and role names as unique regardless of case.
 */
export interface Pattern {
  /** The pattern as written (for messages: never the matched, hostile value). */
  text: string;
  test(value: string): boolean;
}

/**
 * Compiles a `Describe*`-style pattern into a case-insensitive, whole-value matcher. The Sigma engine's wildcard
 * matcher (rules/sigma/wildcard.ts) does the work, so the project has one: linear in the value per segment, no
 * regex built from the pattern, because values are hostile (a regex like `^.*a.*a.*b$` can backtrack for minutes).
 */
export function compilePattern(pattern: string): Pattern {
  const matcher = compileWildcard(parseStarGlob(pattern), { cased: false });
  return { text: pattern, test: (value) => matcher.test(value) };
}

/** Compiles every non-blank pattern; blank ones (and non-strings) are ignored. */
export function compilePatterns(patterns: readonly unknown[]): Pattern[] {
  return patterns.filter((p): p is string => typeof p === 'string' && p.trim() !== '').map(compilePattern);
}
