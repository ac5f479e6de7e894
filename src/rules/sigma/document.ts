import { RuleRefusal, SIGMA_LEVELS, quote, type SigmaLevel } from './types';

/**
 * The metadata of one rule document (API-FACTS H.2), checked before its detection is compiled.
 *
 * - Required: `title`, `logsource` (must be `product: aws`, `service: cloudtrail`; a `category` is refused, as
 *   no CloudTrail rule has one, H.8), `detection` with a `condition` (a string, or a list of strings that are
 *   OR-ed, spec §Condition).
 * - `level` is optional in the spec, which gives no default. A missing level is read as `medium`, the middle
 *   of the scale, so an unlabelled rule neither shouts nor hides; every SigmaHQ CloudTrail rule sets one (H.8).
 *   A level outside the five is refused (it drives routing).
 * - `id` is optional; compile.ts derives one from the file name when it is missing.
 * - Other keys (author, date, references, custom ones…) are allowed and ignored (H.2).
 * - Sigma 1 rule collections (`action: global|reset|repeat`), correlation and filter documents are refused.
 */

export interface RuleDocument {
  id: string | undefined;
  title: string;
  level: SigmaLevel;
  status?: string;
  description?: string;
  tags: string[];
  falsepositives: string[];
  /** The search identifiers, `condition` removed. */
  selections: Record<string, unknown>;
  conditions: string[];
}

const isMap = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function optionalString(doc: Record<string, unknown>, key: string): string | undefined {
  const value = doc[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new RuleRefusal(`"${key}" must be a string, not ${quote(value)}`);
  return value;
}

function stringList(doc: Record<string, unknown>, key: string): string[] {
  const value = doc[key];
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((v) => typeof v === 'string')) throw new RuleRefusal(`"${key}" must be a list of strings`);
  return list as string[];
}

/** Peeks at a document's id for error lines, before (or without) validating the rest. */
export function idOf(doc: unknown): string | null {
  return isMap(doc) && typeof doc.id === 'string' && doc.id !== '' ? doc.id : null;
}

export function readRuleDocument(doc: unknown): RuleDocument {
  if (!isMap(doc)) throw new RuleRefusal('a rule document must be a map of keys');
  if ('action' in doc) {
    throw new RuleRefusal(`Sigma 1 rule collections ("action: ${String(doc.action)}") are not supported; write one rule per document`);
  }
  if ('correlation' in doc) throw new RuleRefusal('Sigma correlation rules are not supported');
  if ('filter' in doc && !('detection' in doc)) throw new RuleRefusal('Sigma filter documents are not supported');
  const id = optionalString(doc, 'id');
  if (id === '') throw new RuleRefusal('"id" is empty');
  const title = optionalString(doc, 'title');
  if (!title || title.trim() === '') throw new RuleRefusal('"title" is missing');
  checkLogsource(doc.logsource);
  const level = optionalString(doc, 'level') ?? 'medium';
  if (!SIGMA_LEVELS.includes(level as SigmaLevel)) {
    throw new RuleRefusal(`level ${quote(level)} is not one of ${SIGMA_LEVELS.join(', ')}`);
  }
  const detection = doc.detection;
  if (detection === undefined || detection === null) throw new RuleRefusal('"detection" is missing');
  if (!isMap(detection)) throw new RuleRefusal('"detection" must be a map of search identifiers and a condition');
  const { condition, ...selections } = detection;
  if (condition === undefined || condition === null) throw new RuleRefusal('"detection.condition" is missing');
  const conditions = Array.isArray(condition) ? condition : [condition];
  if (conditions.length === 0 || !conditions.every((c) => typeof c === 'string')) {
    throw new RuleRefusal('"detection.condition" must be a string (or a list of strings)');
  }
  return {
    id,
    title,
    level: level as SigmaLevel,
    status: optionalString(doc, 'status'),
    description: optionalString(doc, 'description'),
    tags: stringList(doc, 'tags'),
    falsepositives: stringList(doc, 'falsepositives'),
    selections,
    conditions: conditions as string[],
  };
}

function checkLogsource(logsource: unknown): void {
  if (logsource === undefined || logsource === null) throw new RuleRefusal('"logsource" is missing');
  if (!isMap(logsource)) throw new RuleRefusal('"logsource" must be a map');
  const product = String(logsource.product ?? '').toLowerCase();
  const service = String(logsource.service ?? '').toLowerCase();
  const category = logsource.category;
  if (product !== 'aws' || service !== 'cloudtrail' || (category !== undefined && category !== null)) {
    const parts = (['product', 'service', 'category'] as const)
      .filter((k) => logsource[k] !== undefined && logsource[k] !== null)
      .map((k) => `${k} ${quote(logsource[k], 30)}`);
    throw new RuleRefusal(
      `the rule is for another log source (${parts.join(', ') || 'none given'}); only product: aws, service: cloudtrail is read`,
    );
  }
}
