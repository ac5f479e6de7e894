import type { RegexNode } from './parse';

/**
 * Helpers that let the NFA skip work: case folding as JavaScript does it, and the plain text a match must
 * contain (a quick `includes` rejects most values) or start with (match attempts start only where it occurs).
 */

/**
 * JavaScript's case folding for the `i` flag without `u` (ECMA-262 Canonicalize): the upper case of one code
 * unit, unless that is several units or turns a non-ASCII unit into ASCII (so `ſ` does not match `s`).
 */
export function canonicalize(c: number): number {
  if (c < 128) return c >= 97 && c <= 122 ? c - 32 : c;
  const upper = String.fromCharCode(c).toUpperCase();
  if (upper.length !== 1) return c;
  const u = upper.charCodeAt(0);
  return u < 128 ? c : u;
}

/** canonicalize() over every code unit; the result has the same length as `s`. */
export function canonicalizeString(s: string): string {
  if (/^[\x00-\x7f]*$/.test(s)) return s.toUpperCase();
  const chunks: string[] = [];
  for (let start = 0; start < s.length; start += 8192) {
    const codes: number[] = [];
    const end = Math.min(s.length, start + 8192);
    for (let i = start; i < end; i += 1) codes.push(canonicalize(s.charCodeAt(i)));
    chunks.push(String.fromCharCode(...codes));
  }
  return chunks.join('');
}

/** The one character a set node stands for, when it is a plain literal. */
function literalChar(node: RegexNode): number | undefined {
  if (node.t !== 'set' || node.set.negate || node.set.parts.length !== 1) return undefined;
  const part = node.set.parts[0]!;
  return !part.negate && part.ranges.length === 2 && part.ranges[0] === part.ranges[1] ? part.ranges[0] : undefined;
}

/**
 * `prefix`: the plain text every match starts with (empty when the pattern starts otherwise);
 * `longest`: the longest plain text every match contains. Only the top-level sequence is read.
 */
export function literalRuns(root: RegexNode): { prefix: string; longest: string } {
  if (root.t !== 'seq') return { prefix: '', longest: '' };
  let prefix = '';
  let inPrefix = true;
  let longest = '';
  let run = '';
  for (const item of root.items) {
    const c = literalChar(item);
    if (c === undefined) {
      inPrefix = false;
      run = '';
      continue;
    }
    run += String.fromCharCode(c);
    if (inPrefix) prefix = run;
    if (run.length > longest.length) longest = run;
  }
  return { prefix, longest };
}
