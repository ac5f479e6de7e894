/**
 * Sigma string values: escapes, `*` and `?` wildcards, and a matcher whose cost is linear in the value for each
 * piece of the pattern (no regex is built from a value, so no backtracking on attacker-controlled text).
 *
 * Escapes (Sigma rules spec §Escape Character, API-FACTS H.4): `\*` and `\?` are literal; `\\` is one
 * backslash; a `\` before any other character (or at the end) is itself a literal backslash. So `\\*` is a
 * backslash then a wildcard, and `\\\*` a backslash then a literal `*`.
 *
 * `?` matches one UTF-16 code unit. Case-insensitive matching lowercases both sides with toLowerCase, as
 * Sigma values are "case-insensitive strings" (spec §General); `cased` turns that off.
 */

export type WildcardToken = { kind: 'text'; text: string } | { kind: 'star' } | { kind: 'one' };

/** Splits a Sigma value into literal text, `*` and `?` tokens, applying Sigma's escapes. */
export function parseSigmaString(value: string): WildcardToken[] {
  const tokens: WildcardToken[] = [];
  let text = '';
  const flush = () => {
    if (text !== '') tokens.push({ kind: 'text', text });
    text = '';
  };
  for (let i = 0; i < value.length; i += 1) {
    const c = value[i]!;
    if (c === '\\') {
      const next = value[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        text += next;
        i += 1;
      } else {
        text += '\\';
      }
    } else if (c === '*' || c === '?') {
      flush();
      tokens.push({ kind: c === '*' ? 'star' : 'one' });
    } else {
      text += c;
    }
  }
  flush();
  return tokens;
}

/** Tokens for a plain glob where only `*` is special (the config's `exclude.*` patterns). */
export function parseStarGlob(pattern: string): WildcardToken[] {
  const tokens: WildcardToken[] = [];
  pattern.split('*').forEach((text, i) => {
    if (i > 0) tokens.push({ kind: 'star' });
    if (text !== '') tokens.push({ kind: 'text', text });
  });
  return tokens;
}

/** A fixed-length run between stars; `any[i]` marks a `?` position. */
interface Segment {
  text: string;
  any: boolean[] | null;
}

export interface WildcardMatcher {
  /** The value as one literal string when the pattern has no wildcard (used to index rules). */
  literal: string | undefined;
  cased: boolean;
  /** `lowered` may be passed when the caller already has value.toLowerCase(). */
  test(value: string, lowered?: string): boolean;
}

/** Counts candidate positions examined (one per segment comparison or indexOf call); tests bound it. */
export interface StepMeter {
  steps: number;
}

export function compileWildcard(
  tokens: readonly WildcardToken[],
  options: { cased: boolean; meter?: StepMeter },
): WildcardMatcher {
  const fold = (s: string) => (options.cased ? s : s.toLowerCase());
  const segments: Segment[] = [{ text: '', any: null }];
  for (const token of tokens) {
    const seg = segments[segments.length - 1]!;
    if (token.kind === 'star') segments.push({ text: '', any: null });
    else if (token.kind === 'text') {
      const text = fold(token.text);
      if (seg.any) for (let i = 0; i < text.length; i += 1) seg.any.push(false);
      seg.text += text;
    } else {
      seg.any ??= Array.from(seg.text, () => false);
      seg.any.push(true);
      seg.text += '?';
    }
  }
  const only = segments.length === 1 ? segments[0]! : undefined;
  const exact = only && !only.any ? only.text : undefined;
  return {
    literal: exact === undefined ? undefined : tokens.map((t) => (t.kind === 'text' ? t.text : '')).join(''),
    cased: options.cased,
    test(value, lowered) {
      const v = options.cased ? value : lowered ?? value.toLowerCase();
      if (exact !== undefined) return v === exact;
      return matchSegments(segments, v, options.meter);
    },
  };
}

function matchesAt(seg: Segment, value: string, at: number, meter: StepMeter | undefined): boolean {
  if (meter) meter.steps += 1;
  if (!seg.any) return value.startsWith(seg.text, at);
  for (let i = 0; i < seg.text.length; i += 1) {
    if (!seg.any[i] && seg.text.charCodeAt(i) !== value.charCodeAt(at + i)) return false;
  }
  return true;
}

/** Leftmost start of `seg` in value[from, limit), or -1. */
function find(seg: Segment, value: string, from: number, limit: number, meter: StepMeter | undefined): number {
  const last = limit - seg.text.length;
  if (!seg.any) {
    if (meter) meter.steps += 1;
    const at = value.indexOf(seg.text, from);
    return at !== -1 && at <= last ? at : -1;
  }
  for (let at = from; at <= last; at += 1) if (matchesAt(seg, value, at, meter)) return at;
  return -1;
}

/**
 * Stars split the pattern into fixed-length segments: the first is anchored at the start, the last at the end,
 * and each middle one is placed at its leftmost position after the previous one. Leftmost placement is always
 * safe for fixed-length segments, so nothing is ever retried: at most one scan of the value per segment.
 */
function matchSegments(segments: Segment[], value: string, meter: StepMeter | undefined): boolean {
  const first = segments[0]!;
  if (segments.length === 1) return value.length === first.text.length && matchesAt(first, value, 0, meter);
  const last = segments[segments.length - 1]!;
  if (value.length < first.text.length + last.text.length) return false;
  if (!matchesAt(first, value, 0, meter)) return false;
  const limit = value.length - last.text.length;
  if (!matchesAt(last, value, limit, meter)) return false;
  let pos = first.text.length;
  for (let i = 1; i < segments.length - 1; i += 1) {
    const seg = segments[i]!;
    const at = find(seg, value, pos, limit, meter);
    if (at === -1) return false;
    pos = at + seg.text.length;
  }
  return true;
}
