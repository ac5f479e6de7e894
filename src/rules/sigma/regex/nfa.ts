import { canonicalize, canonicalizeString, literalRuns } from './literal';
import { LINE_TERMINATORS, parseRegex, type CharSet, type RegexNode } from './parse';

/**
 * Runs a Sigma `re` pattern as a Thompson NFA (a Pike VM without captures). `re` only asks whether the value
 * contains a match, so priorities, laziness and captures do not matter, and the cost is O(value length ×
 * program size) whatever the pattern: no backtracking.
 *
 * A value without the text every match must contain is rejected by one `includes`, and match attempts start
 * only where the pattern's leading text occurs (literal.ts).
 *
 * Why not the native RegExp: V8 backtracks, and the SigmaHQ CloudTrail rule's own `.+:assumed-role/aws:.+`
 * takes ~25 s on a 200 KB value with no `:` (measured on Node 20; quadratic), while nested quantifiers such as
 * `(a+)+b` are exponential. Rule files are trusted config, but the values are the attacker's.
 */

const CHAR = 0;
const SPLIT = 1;
const JMP = 2;
const ASSERT = 3;
const MATCH = 4;

/** Guards memory for huge counted repetitions such as `(a{1000}){1000}`. */
export const MAX_PROGRAM = 100_000;

interface Program {
  op: number[];
  x: number[];
  y: number[];
  sets: CharSet[];
  asserts: Array<'bol' | 'eol' | 'word' | 'notword'>;
}

function compile(root: RegexNode): Program {
  const p: Program = { op: [], x: [], y: [], sets: [], asserts: [] };
  const emit = (op: number, x = 0, y = 0): number => {
    if (p.op.length >= MAX_PROGRAM) throw new RangeError(`the pattern compiles to more than ${MAX_PROGRAM} steps`);
    p.op.push(op);
    p.x.push(x);
    p.y.push(y);
    return p.op.length - 1;
  };
  const gen = (node: RegexNode): void => {
    switch (node.t) {
      case 'set':
        p.sets.push(node.set);
        emit(CHAR, p.sets.length - 1);
        return;
      case 'assert':
        p.asserts.push(node.kind);
        emit(ASSERT, p.asserts.length - 1);
        return;
      case 'seq':
        node.items.forEach(gen);
        return;
      case 'alt': {
        const jumps: number[] = [];
        node.options.forEach((option, k) => {
          const last = k === node.options.length - 1;
          const split = last ? -1 : emit(SPLIT);
          if (split !== -1) p.x[split] = split + 1;
          gen(option);
          if (!last) {
            jumps.push(emit(JMP));
            p.y[split] = p.op.length;
          }
        });
        for (const j of jumps) p.x[j] = p.op.length;
        return;
      }
      case 'repeat': {
        for (let k = 0; k < node.min; k += 1) gen(node.node);
        if (node.max === Infinity) {
          const split = emit(SPLIT, 0, 0);
          p.x[split] = split + 1;
          gen(node.node);
          emit(JMP, split);
          p.y[split] = p.op.length;
        } else {
          const splits: number[] = [];
          for (let k = node.min; k < node.max; k += 1) {
            const split = emit(SPLIT);
            p.x[split] = split + 1;
            splits.push(split);
            gen(node.node);
          }
          for (const s of splits) p.y[s] = p.op.length;
        }
      }
    }
  };
  gen(root);
  emit(MATCH);
  return p;
}

function inRanges(ranges: number[], c: number): boolean {
  for (let k = 0; k < ranges.length; k += 2) if (c >= ranges[k]! && c <= ranges[k + 1]!) return true;
  return false;
}

/** Membership before the class's own `^` is applied (case folding must happen before negation). */
function inParts(set: CharSet, c: number): boolean {
  return set.parts.some((part) => inRanges(part.ranges, c) !== part.negate);
}

const isWord = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || c === 95 || (c >= 97 && c <= 122);
const isLineEnd = (c: number) => inRanges(LINE_TERMINATORS, c);

export interface LinearRegex {
  test(value: string): boolean;
  /** Instructions in the compiled program: a test costs O((value length + 1) × size). */
  size: number;
}

/** Counts closure steps; tests use it to check the bound above without timing anything. */
export interface StepMeter {
  steps: number;
}

/** Compiles `source` with flags from `i`, `m`, `s`; throws RegexUnsupported or RangeError when it cannot. */
export function compileLinearRegex(
  source: string,
  flags: { i: boolean; m: boolean; s: boolean },
  meter?: StepMeter,
): LinearRegex {
  const tree = parseRegex(source, flags.s);
  const p = compile(tree);
  const fold = (s: string) => (flags.i ? canonicalizeString(s) : s);
  const { prefix, longest } = literalRuns(tree);
  const [start, needle] = [fold(prefix), fold(longest)];
  const size = p.op.length;
  const mark = new Uint32Array(size);
  const stack: number[] = [];
  let gen = 0;
  /** With `i`: some member of the set folds like `c` (tried: c, its folded form, and that form's lower case). */
  const charMatches = (set: CharSet, c: number): boolean => {
    let hit = inParts(set, c);
    if (!hit && flags.i) {
      const k = canonicalize(c);
      const lower = String.fromCharCode(k).toLowerCase();
      const l = lower.length === 1 ? lower.charCodeAt(0) : k;
      hit = (k !== c && inParts(set, k)) || (l !== k && canonicalize(l) === k && inParts(set, l));
    }
    return hit !== set.negate;
  };
  // ASCII membership precomputed per set: the hot loop then reads one byte for most characters
  const ascii = p.sets.map((set) => Uint8Array.from({ length: 128 }, (_, c) => (charMatches(set, c) ? 1 : 0)));
  const accepts = (k: number, c: number) => (c < 128 ? ascii[k]![c] === 1 : charMatches(p.sets[k]!, c));
  const holds = (kind: string, value: string, pos: number): boolean => {
    const before = pos > 0 ? value.charCodeAt(pos - 1) : -1;
    const after = pos < value.length ? value.charCodeAt(pos) : -1;
    if (kind === 'bol') return pos === 0 || (flags.m && isLineEnd(before));
    if (kind === 'eol') return pos === value.length || (flags.m && isLineEnd(after));
    const boundary = isWord(before) !== isWord(after);
    return kind === 'word' ? boundary : !boundary;
  };
  /** Adds the epsilon closure of `pc` at `pos` to `list`; true when it reaches MATCH. */
  const add = (list: number[], start: number, value: string, pos: number): boolean => {
    stack.push(start);
    while (stack.length > 0) {
      const pc = stack.pop()!;
      if (meter) meter.steps += 1;
      if (mark[pc] === gen) continue;
      mark[pc] = gen;
      switch (p.op[pc]) {
        case CHAR:
          list.push(pc);
          break;
        case JMP:
          stack.push(p.x[pc]!);
          break;
        case SPLIT:
          stack.push(p.y[pc]!, p.x[pc]!);
          break;
        case ASSERT:
          if (holds(p.asserts[p.x[pc]!]!, value, pos)) stack.push(pc + 1);
          break;
        case MATCH:
          stack.length = 0;
          return true;
      }
    }
    return false;
  };
  return {
    size,
    test(value) {
      const hay = needle === '' ? value : fold(value);
      if (needle !== '' && !hay.includes(needle)) return false;
      let current: number[] = [];
      let next: number[] = [];
      if (gen > 0xfffffff0 - value.length) {
        mark.fill(0);
        gen = 0;
      }
      gen += 1;
      for (let pos = 0; ; pos += 1) {
        if (start === '') {
          if (add(current, 0, value, pos)) return true; // a match may start at any position
        } else {
          if (current.length === 0) {
            // nothing in flight: jump to where the pattern's leading text next occurs
            const at = hay.indexOf(start, pos);
            if (at === -1) return false;
            if (at !== pos) gen += 1;
            pos = at;
          }
          if (hay.startsWith(start, pos) && add(current, 0, value, pos)) return true;
        }
        if (pos === value.length) return false;
        gen += 1;
        next.length = 0;
        const c = value.charCodeAt(pos);
        for (const pc of current) {
          if (accepts(p.x[pc]!, c) && add(next, pc + 1, value, pos + 1)) return true;
        }
        [current, next] = [next, current];
      }
    },
  };
}
