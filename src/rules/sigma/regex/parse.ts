/**
 * Parser for the regular-expression subset Sigma defines for `re` (modifiers appendix v2.1.0, API-FACTS H.5:
 * `.`, `^ $`, `* + ? {n,m}`, `[a-z] [^a-z]`, `|`, `()`), plus the escapes real rules use (`\d \w \s \b`, their
 * negations, `\t \n \r \v \f \0 \xHH \uHHHH`, escaped punctuation) and `(?:…)` / `(?<name>…)` groups.
 *
 * The pattern must first be a valid JavaScript RegExp (checked by the caller); this parser then refuses, by
 * throwing RegexUnsupported, what a linear-time engine cannot run: backreferences, lookaround, `\p{…}`,
 * `\cX`, and repetition counts above MAX_REPEAT. Semantics follow JavaScript's non-unicode mode (UTF-16 code
 * units; `{` that is not a quantifier is a literal).
 */

export class RegexUnsupported extends Error {
  override name = 'RegexUnsupported';
}

/** A character class: `negate` XOR (some part matches); a part is ranges (pairs lo, hi) or their complement. */
export interface CharSet {
  negate: boolean;
  parts: Array<{ ranges: number[]; negate: boolean }>;
}

export type RegexNode =
  | { t: 'set'; set: CharSet }
  | { t: 'seq'; items: RegexNode[] }
  | { t: 'alt'; options: RegexNode[] }
  | { t: 'repeat'; node: RegexNode; min: number; max: number }
  | { t: 'assert'; kind: 'bol' | 'eol' | 'word' | 'notword' };

/** Bounds program size: `a{1000}` is 1,000 instructions. */
export const MAX_REPEAT = 1000;

const DIGIT = [0x30, 0x39];
const WORD = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];
// ECMAScript WhiteSpace + LineTerminator
const SPACE = [9, 13, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f,
  0x205f, 0x205f, 0x3000, 0x3000, 0xfeff, 0xfeff];
export const LINE_TERMINATORS = [10, 10, 13, 13, 0x2028, 0x2029];

const one = (c: number): CharSet => ({ negate: false, parts: [{ ranges: [c, c], negate: false }] });
const CLASS_ESCAPES: Record<string, { ranges: number[]; negate: boolean }> = {
  d: { ranges: DIGIT, negate: false }, D: { ranges: DIGIT, negate: true },
  w: { ranges: WORD, negate: false }, W: { ranges: WORD, negate: true },
  s: { ranges: SPACE, negate: false }, S: { ranges: SPACE, negate: true },
};
const CONTROL: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13 };

export function parseRegex(source: string, dotAll: boolean): RegexNode {
  let i = 0;
  const peek = () => source[i];
  const fail = (what: string): never => {
    throw new RegexUnsupported(`${what} (at offset ${i}) is not supported`);
  };

  /** An escape after `\` (i points past it). Returns a code unit, or a class part for \d \w \s. */
  const escape = (inClass: boolean): number | { ranges: number[]; negate: boolean } => {
    const c = source[i++];
    if (c === undefined) return fail('a trailing backslash');
    if (CLASS_ESCAPES[c]) return CLASS_ESCAPES[c]!;
    if (CONTROL[c] !== undefined) return CONTROL[c]!;
    if (c === 'b' && inClass) return 8;
    if (c === '0' && !/[0-9]/.test(peek() ?? '')) return 0;
    if (c === 'x' || c === 'u') {
      const len = c === 'x' ? 2 : 4;
      const hex = source.slice(i, i + len);
      if (new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) {
        i += len;
        return parseInt(hex, 16);
      }
      return fail(`the escape \\${c} without ${len} hex digits`);
    }
    if (/[1-9]/.test(c) || c === 'k') return fail(`a backreference (\\${c})`);
    if (/[A-Za-z0-9]/.test(c)) return fail(`the escape \\${c}`);
    return c.charCodeAt(0);
  };

  const charClass = (): RegexNode => {
    const set: CharSet = { negate: false, parts: [] };
    if (peek() === '^') {
      set.negate = true;
      i += 1;
    }
    const ranges: number[] = [];
    const atom = () => {
      const c = source[i++];
      if (c === undefined) return fail('an unterminated character class');
      return c === '\\' ? escape(true) : c.charCodeAt(0);
    };
    while (peek() !== ']') {
      const lo = atom();
      if (peek() === '-' && source[i + 1] !== ']' && source[i + 1] !== undefined) {
        i += 1;
        const hi = atom();
        if (typeof lo === 'number' && typeof hi === 'number') {
          ranges.push(lo, hi);
          continue;
        }
        // JavaScript (non-unicode) reads `[\d-z]` as `\d`, `-`, `z`
        for (const end of [lo, 0x2d, hi]) {
          if (typeof end === 'number') ranges.push(end, end);
          else set.parts.push(end);
        }
        continue;
      }
      if (typeof lo === 'number') ranges.push(lo, lo);
      else set.parts.push(lo);
    }
    i += 1; // ]
    set.parts.push({ ranges, negate: false });
    return { t: 'set', set };
  };

  const atom = (): RegexNode | undefined => {
    const c = source[i++]!;
    switch (c) {
      case '.':
        // `.` is "not a line terminator", or anything at all with the `s` flag
        return { t: 'set', set: { negate: true, parts: dotAll ? [] : [{ ranges: LINE_TERMINATORS, negate: false }] } };
      case '^':
        return { t: 'assert', kind: 'bol' };
      case '$':
        return { t: 'assert', kind: 'eol' };
      case '[':
        return charClass();
      case '(': {
        if (peek() === '?') {
          const head = source.slice(i, i + 3);
          if (head.startsWith('?:')) i += 2;
          else if (head.startsWith('?<') && head !== '?<=' && head !== '?<!') i = source.indexOf('>', i) + 1;
          else fail('lookaround');
        }
        const inner = alternation();
        if (source[i++] !== ')') fail('an unbalanced parenthesis');
        return inner;
      }
      case '\\': {
        if (peek() === 'b' || peek() === 'B') return { t: 'assert', kind: source[i++] === 'b' ? 'word' : 'notword' };
        const e = escape(false);
        return { t: 'set', set: typeof e === 'number' ? one(e) : { negate: false, parts: [e] } };
      }
      default:
        return { t: 'set', set: one(c.charCodeAt(0)) };
    }
  };

  const quantifier = (): { min: number; max: number } | undefined => {
    const c = peek();
    let q: { min: number; max: number } | undefined;
    if (c === '*') q = { min: 0, max: Infinity };
    else if (c === '+') q = { min: 1, max: Infinity };
    else if (c === '?') q = { min: 0, max: 1 };
    if (q) i += 1;
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      const min = Number(m[1]);
      q = { min, max: m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]) };
      if (min > MAX_REPEAT || (q.max !== Infinity && q.max > MAX_REPEAT)) fail(`a repetition count above ${MAX_REPEAT}`);
    }
    if (q && peek() === '?') i += 1; // lazy: same language, and `re` only asks whether there is a match
    return q;
  };

  const sequence = (): RegexNode => {
    const items: RegexNode[] = [];
    while (i < source.length && peek() !== '|' && peek() !== ')') {
      const node = atom()!;
      const q = node.t === 'assert' ? undefined : quantifier();
      items.push(q ? { t: 'repeat', node, ...q } : node);
    }
    return { t: 'seq', items };
  };

  const alternation = (): RegexNode => {
    const options = [sequence()];
    while (peek() === '|') {
      i += 1;
      options.push(sequence());
    }
    return options.length === 1 ? options[0]! : { t: 'alt', options };
  };

  const tree = alternation();
  if (i < source.length) fail('an unbalanced parenthesis');
  return tree;
}
