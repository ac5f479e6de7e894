import { parseMrkdwn, type Span } from './mrkdwn';
import { makeVisible } from '../slack/visible';
import { formatTs, NAMED_COLOURS, toPreviewMessage, type PreviewAttachment, type PreviewField } from './payload';

/**
 * A Slack payload → readable terminal text: the bold headline, then the attachment behind a colour bar, short
 * fields two to a row, links as `text (url)`, date tokens as their fallback. Pure.
 *
 * With `color`, ANSI SGR codes: green/yellow/red for good/warning/danger, 24-bit colour for any other hex.
 * Without it (stdout not a TTY, or NO_COLOR: https://no-color.org) the output is plain text, and a `code` span
 * keeps its backticks: that is how the formatter sets event values apart from its own words. Either way every
 * piece of text goes through makeVisible (src/slack/visible.ts): an escape sequence hidden in event data can
 * neither restyle nor rewrite the terminal, and a bidi or invisible character is shown as `[U+202E]`.
 */

export interface TerminalOptions {
  color: boolean;
  /** Wrap lines at this many columns (terminal width); default 100. */
  width?: number;
  /** A dim line after the message (the demo marks events that arrived late). */
  note?: string;
}

interface Segment {
  text: string;
  /** SGR parameters, e.g. '1' for bold; only used with colour. */
  sgr?: string;
}
type Line = Segment[];

const NAMED_SGR: Readonly<Record<string, string>> = {
  [NAMED_COLOURS.good ?? '']: '32',
  [NAMED_COLOURS.warning ?? '']: '33',
  [NAMED_COLOURS.danger ?? '']: '31',
};
// Every control character from the payload (ESC included) except newline becomes a space.
const KEEP_NEWLINES = { keepNewlines: true } as const;
const MIN_WIDTH = 40;
const INDENT = '  ';

/** Colour only on a terminal, and never when NO_COLOR is set to anything but '' (https://no-color.org). */
export function shouldUseColour(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  return stream.isTTY === true && (env.NO_COLOR ?? '') === '';
}

function barSgr(colour: string): string {
  const named = NAMED_SGR[colour];
  if (named !== undefined) return named;
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
  return `38;2;${r};${g};${b}`;
}

function spanSegments(span: Span, color: boolean): Segment[] {
  const styles = [span.bold && '1', span.italic && '3', span.strike && '9', (span.code || span.pre) && '36', span.mention && '33']
    .filter((s): s is string => typeof s === 'string');
  const visible = makeVisible(span.text, KEEP_NEWLINES);
  // Without colour, the backticks are all that sets a value apart from the words around it.
  const text = span.code === true && !color ? `\`${visible}\`` : visible;
  const main: Segment = { text, sgr: span.href !== undefined ? [...styles, '4'].join(';') : styles.join(';') || undefined };
  // A link shows where it goes; the text alone could claim anything.
  return span.href !== undefined && span.href !== span.text ? [main, { text: ` (${makeVisible(span.href, KEEP_NEWLINES)})`, sgr: '2' }] : [main];
}

/** mrkdwn → lines of styled segments (a newline in the text starts a new line). */
function mrkdwnLines(mrkdwn: string, color: boolean, base: Segment[] = [], extraSgr?: string): Line[] {
  const lines: Line[] = [[...base]];
  for (const segment of parseMrkdwn(mrkdwn).flatMap((span) => spanSegments(span, color))) {
    const sgr = [...new Set([extraSgr, segment.sgr].join(';').split(';'))].filter(Boolean).join(';') || undefined;
    segment.text.split('\n').forEach((piece, i) => {
      if (i > 0) lines.push([]);
      if (piece !== '') lines[lines.length - 1]?.push({ text: piece, sgr });
    });
  }
  return lines;
}

function visibleLength(line: Line): number {
  return line.reduce((sum, s) => sum + [...s.text].length, 0);
}

/**
 * Word-wraps a line to `width` code points; continuation lines start with INDENT. A word longer than a whole
 * line (a URL, an ARN, compact JSON) is cut where the line ends.
 */
function wrap(line: Line, width: number): Line[] {
  const out: Line[] = [[]];
  let used = 0;
  const newLine = () => {
    const last = out[out.length - 1]?.at(-1);
    if (last) last.text = last.text.trimEnd();
    out.push([{ text: INDENT }]);
    used = INDENT.length;
  };
  for (const segment of line) {
    for (const piece of segment.text.split(/(\s+)/).filter((p) => p !== '')) {
      let rest = [...piece];
      const blank = piece.trim() === '';
      if (used + rest.length > width) {
        if (blank) {
          newLine();
          continue;
        }
        if (used > INDENT.length && rest.length <= width - INDENT.length) newLine();
      }
      while (rest.length > 0) {
        if (used >= width) newLine();
        const take = rest.slice(0, width - used);
        out[out.length - 1]?.push({ text: take.join(''), sgr: segment.sgr });
        used += take.length;
        rest = rest.slice(take.length);
      }
    }
  }
  return out;
}

function fieldLine(field: PreviewField, color: boolean): Line[] {
  return mrkdwnLines(field.value, color, [{ text: makeVisible(field.title, KEEP_NEWLINES), sgr: '1' }, { text: ': ' }]);
}

/** Short fields side by side when both fit in half the width, as Slack lays them out in two columns. */
function fieldLines(fields: readonly PreviewField[], width: number, color: boolean): Line[] {
  const column = Math.floor(width / 2);
  const lines: Line[] = [];
  for (let i = 0; i < fields.length; i += 1) {
    const field = fields[i] as PreviewField;
    const next = fields[i + 1];
    const left = fieldLine(field, color);
    const right = next === undefined ? undefined : fieldLine(next, color);
    const [l, r] = [left[0] ?? [], right?.[0] ?? []];
    const fits = left.length === 1 && right?.length === 1 && visibleLength(l) < column && visibleLength(r) <= width - column;
    if (field.short && next?.short && fits) {
      lines.push([...l, { text: ' '.repeat(column - visibleLength(l)) }, ...r]);
      i += 1;
    } else {
      lines.push(...left);
    }
  }
  return lines;
}

function attachmentLines(a: PreviewAttachment, width: number, color: boolean): Line[] {
  const lines: Line[] = [];
  if (a.title !== undefined) {
    lines.push([{ text: makeVisible(a.title, KEEP_NEWLINES), sgr: '1' }, ...(a.titleLink ? [{ text: ` (${makeVisible(a.titleLink, KEEP_NEWLINES)})`, sgr: '2' }] : [])]);
  }
  if (a.text !== undefined) lines.push(...mrkdwnLines(a.text, color));
  lines.push(...fieldLines(a.fields, width, color));
  const footer = [a.footer, a.ts === undefined ? undefined : formatTs(a.ts)].filter((p): p is string => !!p);
  if (footer.length > 0) lines.push([{ text: makeVisible(footer.join(' | '), KEEP_NEWLINES), sgr: '2' }]);
  return lines;
}

function paint(line: Line, color: boolean): string {
  return line.map((s) => (color && s.sgr ? `\u001b[${s.sgr}m${s.text}\u001b[0m` : s.text)).join('');
}

/** One payload as terminal text, ending with a newline. */
export function renderTerminalMessage(payload: unknown, options: TerminalOptions): string {
  const width = Math.max(MIN_WIDTH, options.width ?? 100);
  const message = toPreviewMessage(payload);
  const out: string[] = [];
  for (const line of mrkdwnLines(message.text, options.color, [], '1')) out.push(...wrap(line, width).map((l) => paint(l, options.color)));
  for (const attachment of message.attachments) {
    if (attachment.pretext !== undefined) out.push(...mrkdwnLines(attachment.pretext, options.color).map((l) => paint(l, options.color)));
    const bar = options.color ? `\u001b[${barSgr(attachment.colour)}m\u258c\u001b[0m ` : '| ';
    for (const line of attachmentLines(attachment, width - 2, options.color)) {
      out.push(...wrap(line, width - 2).map((l) => bar + paint(l, options.color)));
    }
  }
  if (options.note !== undefined) out.push(paint([{ text: makeVisible(options.note, KEEP_NEWLINES), sgr: '2' }], options.color));
  return `${out.join('\n')}\n`;
}
