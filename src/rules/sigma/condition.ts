import { intersectPins, unionPins, type Pins, type Selection } from './detection';
import { RuleRefusal, quote } from './types';

/**
 * The `condition` grammar (API-FACTS H.6): `and`, `or`, `not`, parentheses, `1 of X*`, `any of X*`,
 * `all of X*`, `1 of them`, `all of them`. Binding, loosest first: `or` < `and` < `not` < `x of` < `( )`.
 *
 * - Operators are lowercase words, as in pySigma; `AND` is refused with a line saying so.
 * - `them` means every identifier not starting with `_`; a pattern (`*` = any run) also skips `_`-prefixed
 *   identifiers unless the pattern itself starts with `_`.
 * - Refused at load: a pipe aggregation (`| count() > 5`, replaced by Sigma correlations), an unknown
 *   identifier, a pattern matching no identifier (its meaning is UNCONFIRMED, H.6), a count other than 1/any/all.
 */

export interface CompiledCondition {
  test(record: unknown): boolean;
  pins: Pins;
}

type Token = { kind: 'word'; text: string } | { kind: '(' | ')' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:([()])|([A-Za-z0-9_*-]+)|(\S))/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text)) !== null) {
    if (m[1]) tokens.push({ kind: m[1] as '(' | ')' });
    else if (m[2]) tokens.push({ kind: 'word', text: m[2] });
    else if (m[3] === '|') {
      throw new RuleRefusal(
        `pipe aggregation ${quote(text.slice(text.indexOf('|')))} is not supported (Sigma 2 replaced it with correlations)`,
      );
    } else if (m[3]) throw new RuleRefusal(`unexpected ${quote(m[3])}`);
  }
  return tokens;
}

const OPERATORS = new Set(['and', 'or', 'not', 'of', 'them']);

export function compileCondition(text: string, selections: Map<string, Selection>): CompiledCondition {
  const tokens = tokenize(text);
  if (tokens.length === 0) throw new RuleRefusal('the condition is empty');
  let i = 0;
  const peekWord = (): string | undefined => {
    const t = tokens[i];
    return t?.kind === 'word' ? t.text : undefined;
  };

  const or = (): CompiledCondition => {
    const parts = [and()];
    while (peekWord() === 'or') {
      i += 1;
      parts.push(and());
    }
    return parts.length === 1 ? parts[0]! : anyOf(parts);
  };
  const and = (): CompiledCondition => {
    const parts = [not()];
    while (peekWord() === 'and') {
      i += 1;
      parts.push(not());
    }
    return parts.length === 1 ? parts[0]! : allOf(parts);
  };
  const not = (): CompiledCondition => {
    if (peekWord() !== 'not') return primary();
    i += 1;
    const inner = not();
    return { test: (record) => !inner.test(record), pins: {} };
  };
  const primary = (): CompiledCondition => {
    const t = tokens[i++];
    if (t === undefined) throw new RuleRefusal('the condition ends too early');
    if (t.kind === '(') {
      const inner = or();
      if (tokens[i++]?.kind !== ')') throw new RuleRefusal('an unclosed parenthesis');
      return inner;
    }
    if (t.kind !== 'word') throw new RuleRefusal('an unexpected ")"');
    if (peekWord() === 'of') {
      i += 1;
      const target = tokens[i++];
      if (target?.kind !== 'word') throw new RuleRefusal(`"${t.text} of" needs a pattern or "them"`);
      return quantified(t.text, target.text);
    }
    if (OPERATORS.has(t.text)) throw new RuleRefusal(`"${t.text}" where a search identifier was expected`);
    const selection = selections.get(t.text);
    if (!selection && OPERATORS.has(t.text.toLowerCase())) throw lowercase(t.text);
    if (!selection) throw new RuleRefusal(`unknown search identifier ${quote(t.text)}`);
    return selection;
  };
  const quantified = (count: string, pattern: string): CompiledCondition => {
    if (count !== '1' && count !== 'any' && count !== 'all') {
      throw new RuleRefusal(`"${count} of" is not supported (only "1 of", "any of" and "all of")`);
    }
    const names = matchIdentifiers(pattern, [...selections.keys()]);
    if (names.length === 0) throw new RuleRefusal(`"${count} of ${pattern}" matches no search identifier`);
    const parts = names.map((name) => selections.get(name)!);
    return count === 'all' ? allOf(parts) : anyOf(parts);
  };

  const result = or();
  if (i < tokens.length) {
    const t = tokens[i]!;
    if (t.kind === 'word' && OPERATORS.has(t.text.toLowerCase())) throw lowercase(t.text);
    throw new RuleRefusal(`unexpected ${quote(t.kind === 'word' ? t.text : t.kind)} after a complete expression`);
  }
  return result;
}

function lowercase(word: string): RuleRefusal {
  return new RuleRefusal(`${quote(word)} is not an operator: operators are lowercase ("${word.toLowerCase()}")`);
}

function matchIdentifiers(pattern: string, names: string[]): string[] {
  if (pattern === 'them') return names.filter((n) => !n.startsWith('_'));
  const re = new RegExp(`^${pattern.split('*').join('.*')}$`); // pattern chars are [A-Za-z0-9_*-] (tokenize)
  return names.filter((n) => re.test(n) && (pattern.startsWith('_') || !n.startsWith('_')));
}

function anyOf(parts: CompiledCondition[]): CompiledCondition {
  return { test: (record) => parts.some((p) => p.test(record)), pins: unionPins(parts.map((p) => p.pins)) };
}

function allOf(parts: CompiledCondition[]): CompiledCondition {
  return { test: (record) => parts.every((p) => p.test(record)), pins: parts.map((p) => p.pins).reduce(intersectPins) };
}
