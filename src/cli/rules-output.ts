import { isAbsolute, relative } from 'node:path';
import { visiblePieces } from '../slack/visible';

/**
 * How `cloudtrail-slack rules lint` and `rules test` print. Event data is attacker-controlled and rule files may
 * come from anywhere, so nothing reaches the terminal raw:
 * - the table goes through visible.ts (controls become a space, invisible and bidi characters show as
 *   `[U+202E]`), cut to a column's width in visible pieces;
 * - JSON lines keep every value exact but write control, invisible and bidi characters as `\uXXXX` escapes,
 *   which JSON.stringify leaves raw (it escapes only U+0000–U+001F): a JSON reader sees the same strings, a
 *   terminal shows no escape sequence and reorders nothing.
 */

// Everything JSON.stringify leaves raw that a terminal would act on or hide: DEL and C1 controls, U+2028/U+2029,
// format characters (bidi, zero-width, tags) and the other default-ignorable code points.
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;

/** One JSON line (with '\n'): JSON.stringify, then every character a terminal would act on as `\uXXXX`. */
export function jsonLine(value: unknown): string {
  const text = JSON.stringify(value).replace(UNSAFE_IN_JSON, (ch) =>
    Array.from({ length: ch.length }, (_, i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
  return `${text}\n`;
}

/** `text` as the terminal may show it, at most `max` visible pieces (the last one '…' when cut). */
export function visibleCell(text: string, max: number): string {
  const pieces = visiblePieces(text);
  return pieces.length <= max ? pieces.join('') : `${pieces.slice(0, max - 1).join('')}…`;
}

/** The width of a visible cell, in pieces (close enough for a table of mostly ASCII). */
function widthOf(cell: string): number {
  return Array.from(cell).length;
}

/**
 * Rows as aligned columns, two spaces apart, the header first. Cells are made visible and cut to their
 * column's `max`; the last column is not padded.
 */
export function formatTable(columns: ReadonlyArray<{ title: string; max: number }>, rows: ReadonlyArray<readonly string[]>): string {
  const cells = [columns.map((c) => c.title), ...rows.map((row) => columns.map((c, i) => visibleCell(row[i] ?? '', c.max)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => widthOf(row[i] ?? ''))));
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - widthOf(cell))))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** A path as the user would type it: relative to `cwd` when inside it, else absolute. */
export function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}
