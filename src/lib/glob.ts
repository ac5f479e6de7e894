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

/** Compiles a `Describe*`-style pattern into a case-insensitive, whole-value matcher. */
export function compilePattern(pattern: string): Pattern {
  const lower = pattern.toLowerCase();
  return { text: pattern, test: (value) => matchGlob(lower, value.toLowerCase()) };
}

/** Compiles every non-blank pattern; blank ones (and non-strings) are ignored. */
export function compilePatterns(patterns: readonly unknown[]): Pattern[] {
  return patterns.filter((p): p is string => typeof p === 'string' && p.trim() !== '').map(compilePattern);
}

/**
 * `*` matches any run (also empty). Linear backtracking to the last star, O(pattern × value) at worst: a regex
 * like `^.*a.*a.*b$` could backtrack exponentially on a hostile value, and values here are hostile.
 */
function matchGlob(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let mark = 0;
  while (v < value.length) {
    if (pattern[p] === '*') {
      star = p++;
      mark = v;
    } else if (p < pattern.length && pattern[p] === value[v]) {
      p++;
      v++;
    } else if (star !== -1) {
      p = star + 1;
      v = ++mark;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
