import { basename } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { compileCondition, type CompiledCondition } from './condition';
import { compileSelection, unionPins, type Pins, type Selection } from './detection';
import { idOf, readRuleDocument } from './document';
import { RuleRefusal, type CompiledRule, type RuleLoadResult } from './types';

/**
 * One rule file's text → compiled rules and one-line refusals. Pure (no I/O).
 *
 * - YAML through `yaml` (API-FACTS I): YAML 1.2 core schema (dates stay strings, `yes`/`no` stay strings),
 *   duplicate keys are errors, at most 100 alias expansions (the package default, against alias bombs), and
 *   any warning (an unknown tag such as `!!js/function`) refuses the document.
 * - Several documents (`---`) are independent rules; a refusal in one does not affect the others, and empty
 *   documents are skipped. No SigmaHQ rule file has several documents (H.8).
 * - A rule without `id` gets the file name without `.yml`/`.yaml` (`aws_root_login.yml` → `aws_root_login`),
 *   with `#2`, `#3`… for later documents of the same file: stable across runs and machines.
 * - A second rule with an id already used in the same file is refused.
 */

/** What the index needs: the eventName/eventSource values a rule is limited to (see rule-index.ts). */
export const rulePins = new WeakMap<CompiledRule, Pins>();

/** The first line of a `yaml` message ("… at line 4, column 1:"), without the code snippet under it. */
function oneLine(message: string): string {
  return (message.split('\n')[0] ?? '').replace(/:\s*$/, '');
}

/**
 * Compiles every rule document in `text` (the contents of `file`, used for derived ids and error lines).
 * Never throws for bad input: each refused document is one entry in `errors`, the others are in `rules`, in
 * file order.
 */
export function compileRuleText(text: string, file: string): RuleLoadResult {
  const result: RuleLoadResult = { rules: [], errors: [] };
  const docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const seen = new Set<string>();
  let nonEmpty = 0;
  list.forEach((doc, k) => {
    const where = list.length > 1 ? `document ${k + 1}: ` : '';
    let value: unknown;
    try {
      if (doc.errors.length > 0) throw new RuleRefusal(`YAML error: ${oneLine(doc.errors[0]!.message)}`);
      if (doc.warnings.length > 0) throw new RuleRefusal(`YAML warning: ${oneLine(doc.warnings[0]!.message)}`);
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      const message = error instanceof RuleRefusal ? error.message : `YAML error: ${oneLine(String((error as Error).message))}`;
      result.errors.push({ file, id: null, error: `${where}${message}` });
      nonEmpty += 1;
      return;
    }
    if (value === null || value === undefined) return; // an empty document, e.g. after a trailing `---`
    nonEmpty += 1;
    try {
      const rule = compileDocument(value, file, k);
      if (seen.has(rule.id)) throw new RuleRefusal(`duplicate id "${rule.id}" (already used earlier in this file)`);
      seen.add(rule.id);
      result.rules.push(rule);
    } catch (error) {
      if (!(error instanceof RuleRefusal)) throw error;
      result.errors.push({ file, id: idOf(value), error: `${where}${error.message}` });
    }
  });
  if (nonEmpty === 0) result.errors.push({ file, id: null, error: 'the file holds no rule' });
  return result;
}

function derivedId(file: string, index: number): string {
  const stem = basename(file).replace(/\.ya?ml$/i, '');
  return index === 0 ? stem : `${stem}#${index + 1}`;
}

function compileDocument(value: unknown, file: string, index: number): CompiledRule {
  const doc = readRuleDocument(value);
  const selections = new Map<string, Selection>();
  for (const [name, selection] of Object.entries(doc.selections)) selections.set(name, compileSelection(name, selection));
  let conditions: CompiledCondition[];
  try {
    conditions = doc.conditions.map((text) => compileCondition(text, selections));
  } catch (error) {
    if (error instanceof RuleRefusal) throw new RuleRefusal(`detection.condition: ${error.message}`);
    throw error;
  }
  const test =
    conditions.length === 1 ? conditions[0]!.test : (record: unknown) => conditions.some((c) => c.test(record));
  const rule: CompiledRule = {
    id: doc.id ?? derivedId(file, index),
    title: doc.title,
    level: doc.level,
    ...(doc.status !== undefined && { status: doc.status }),
    ...(doc.description !== undefined && { description: doc.description }),
    tags: doc.tags,
    falsepositives: doc.falsepositives,
    file,
    matches(record) {
      // Records are JSON objects; anything else (null, an array, a string) matches no rule.
      if (record === null || typeof record !== 'object' || Array.isArray(record)) return false;
      try {
        return test(record);
      } catch {
        return false; // matching is total by construction; this only keeps one odd event from stopping a poller
      }
    },
  };
  rulePins.set(rule, unionPins(conditions.map((c) => c.pins)));
  return rule;
}
