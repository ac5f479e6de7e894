/**
 * Shapes shared by the Sigma rule engine (src/rules/sigma/). The engine is pure: no I/O except in loader.ts,
 * which takes its file-system functions as parameters.
 */

/** Sigma's `level` values (API-FACTS H.2), least to most severe. */
export type SigmaLevel = 'informational' | 'low' | 'medium' | 'high' | 'critical';

export const SIGMA_LEVELS: readonly SigmaLevel[] = ['informational', 'low', 'medium', 'high', 'critical'];

/** One rule, compiled once; `matches` is pure and never throws for any record. */
export interface CompiledRule {
  /** The rule's `id`, or one derived from the file name when it has none (see document.ts). */
  id: string;
  title: string;
  level: SigmaLevel;
  status?: string;
  description?: string;
  tags: string[];
  falsepositives: string[];
  /** The file the rule came from, as given to the loader (or to compileRuleText). */
  file: string;
  /** True when the raw CloudTrail record (one element of a log file's `Records`) satisfies the condition. */
  matches(record: unknown): boolean;
}

/** One refused rule (or unreadable file): `error` is one line naming the feature; `file` is not repeated in it. */
export interface RuleLoadError {
  file: string;
  /** The rule's `id` when the document got far enough to have one. */
  id: string | null;
  error: string;
}

export interface RuleLoadResult {
  rules: CompiledRule[];
  errors: RuleLoadError[];
}

/** Thrown while compiling one rule document; caught per document and turned into a RuleLoadError. */
export class RuleRefusal extends Error {
  override name = 'RuleRefusal';
}

/** A value from a rule file, quoted and cut for an error line (rule files are trusted, but keep lines short). */
export function quote(value: unknown, max = 60): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}

/** The one-line form of a load error, e.g. for `rules lint`: `rules/x.yml: detection.sel: unknown modifier "foo"`. */
export function formatRuleLoadError(error: RuleLoadError): string {
  return `${error.file}: ${error.error}`;
}
