import type { TrailEvent } from '../events/types';
import { compareItems } from '../pipeline/plan';
import type { QueueItem } from '../pipeline/types';

/**
 * The line-level pieces of a digest: which events share a line (repeats), and fitting lines into a budget.
 * Pure; every value read here is raw event data and is escaped by the caller.
 */

/** One line of a digest: one event, or a run of repeats of the same (actor, event name, first resource, error). */
export interface DigestLine {
  /** Oldest first; at least one. The line links to the first. */
  items: QueueItem[];
}

/** A string from the untrusted record as text; anything else is absent. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** The record's errorCode (absent on success: issue 8, "field facts"). */
export function errorCodeOf(event: TrailEvent): string | undefined {
  return textOf(event.record?.errorCode);
}

/** The first resource's name (LookupEvents' ResourceName, or the record's ARN), else its type. */
export function firstResourceOf(event: TrailEvent): string | undefined {
  const first = Array.isArray(event.resources) ? event.resources[0] : undefined;
  return textOf(first?.name) ?? textOf(first?.type);
}

/**
 * A resource as shown on a digest line: an ARN loses its `arn:partition:service:region:account:` prefix (the
 * digest's headline names the region and account), so a cut keeps the part that tells resources apart.
 */
export function shownResource(name: string): string {
  const match = /^arn:[^:]*:[^:]*:[^:]*:[^:]*:(.+)$/s.exec(name);
  return match?.[1] ?? name;
}

/**
 * Groups items into lines, oldest first. An item joins the open line of its key when it came less than
 * `repeatWindowMs` after that line's latest item (so a steady loop of repeats stays one line); 0 disables it.
 */
export function collapseRepeats(items: readonly QueueItem[], repeatWindowMs: number): DigestLine[] {
  const lines: DigestLine[] = [];
  const open = new Map<string, DigestLine>();
  for (const item of [...items].sort(compareItems)) {
    const key = JSON.stringify([item.actor, item.event.name, firstResourceOf(item.event) ?? null, errorCodeOf(item.event) ?? null]);
    const line = open.get(key);
    const latest = line?.items[line.items.length - 1];
    if (line !== undefined && latest !== undefined && item.event.time - latest.event.time < repeatWindowMs) {
      line.items.push(item);
    } else {
      const fresh = { items: [item] };
      lines.push(fresh);
      open.set(key, fresh);
    }
  }
  return lines;
}

/** The whole text, lines joined by '\n'. */
export interface FittedText {
  text: string;
  /** Which renderer was used (0 = the richest). */
  style: number;
  /** Events whose lines did not fit, counted in the closing "…and N more" line. */
  omitted: number;
}

/**
 * Renders lines with the richest renderer whose text fits `budget` (UTF-16 units, never fewer than Slack's
 * characters); if even the last does not fit, keeps the lines that fit and closes with `more(n)`.
 * `counts[i]` is the number of events line i carries.
 */
export function fitLines(renderers: ReadonlyArray<() => string[]>, counts: readonly number[], budget: number, more: (n: number) => string): FittedText {
  let lines: string[] = [];
  for (const [style, render] of renderers.entries()) {
    lines = render();
    const text = lines.join('\n');
    if (text.length <= budget) return { text, style, omitted: 0 };
  }
  const total = counts.reduce((sum, n) => sum + n, 0);
  const kept: string[] = [];
  let used = 0;
  let carried = 0;
  for (const [index, line] of lines.entries()) {
    // Room for this line, its newline, and the closing line for what would still be left.
    const closing = more(total - carried - (counts[index] ?? 0)).length + 1;
    if (used + line.length + 1 + closing > budget) break;
    kept.push(line);
    used += line.length + 1;
    carried += counts[index] ?? 0;
  }
  if (total > carried) kept.push(more(total - carried));
  return { text: kept.join('\n'), style: renderers.length - 1, omitted: total - carried };
}
