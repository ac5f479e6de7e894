import { makeVisible, visiblePieces } from './visible';

/**
 * Making hostile event data inert in Slack mrkdwn, and cutting it to size without breaking it.
 *
 * Slack asks for exactly three characters to be escaped: & < > (API-FACTS C.3). Without that a user agent of
 * `<!channel>` pings the whole channel and `<https://evil|click>` becomes a disguised link. Beyond that:
 * - what a reader may see of a character (controls become a space, bidi controls and other invisible characters
 *   are shown as `[U+202E]`, lone surrogates become U+FFFD) is decided in one place, visible.ts; every function
 *   here goes through it.
 * - inside a code span a backtick would close the span, so it becomes U+02CB (ˋ, MODIFIER LETTER GRAVE ACCENT),
 *   which looks alike and cannot close it.
 * - inside a *bold* span an asterisk would end it, so it becomes U+2217 (∗).
 * Lengths are counted in code points, so a cut never splits a surrogate pair (an emoji stays whole or goes), a
 * `[U+202E]` marker, an entity, or an emoji sequence held together by a joiner.
 */

const ENTITIES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const ELLIPSIS = '…';
/** The tail of a cut that stopped inside one of our three entities. */
const PARTIAL_ENTITY = /&(?:a|am|amp|l|lt|g|gt)?$/;

/** Escapes exactly &, < and > (Slack's rule); nothing else is HTML-encoded. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/[&<>]/g, (c) => ENTITIES[c] ?? c);
}

/**
 * The name older callers use for visible.ts's makeVisible: controls become a space ('\n' kept with
 * `keepNewlines`), invisible and bidi characters are shown as `[U+XXXX]`, lone surrogates become U+FFFD.
 */
export const neutraliseControls = makeVisible;

/**
 * Cuts `s` to at most `max` code points, the last being '…' when it was cut. Never splits a surrogate pair and
 * never ends inside `&amp;`, `&lt;` or `&gt;` (it backs off to before the `&`), so it is safe on escaped text.
 */
export function truncate(s: string, max: number): string {
  if (max <= 0) return '';
  if (s.length <= max) return s; // UTF-16 length ≥ code points: nothing to cut
  const points: string[] = [];
  for (const ch of s) {
    points.push(ch);
    if (points.length > max) break;
  }
  if (points.length <= max) return s;
  return points.slice(0, max - 1).join('').replace(PARTIAL_ENTITY, '') + ELLIPSIS;
}

/** Code points in one piece (an entity, a `[U+XXXX]` marker, or a code point with what is glued to it). */
function widthOf(piece: string): number {
  return piece.length === 1 ? 1 : Array.from(piece).length;
}

/**
 * Makes raw event text visible (visible.ts), escapes it and fits it into `max` code points of output, never
 * cutting inside an entity or a marker. Only a bounded prefix of the input is read, so a 100 KB value costs no
 * more than a short one.
 */
export function safeText(raw: string, max: number): string {
  if (max <= 0) return '';
  // Each input code point yields ≥ 1 output code point, so only the first max + 1 (≤ 2 UTF-16 units each)
  // matter; a prefix that long always overflows, so slicing can only ever affect text that gets cut anyway.
  const bounded = raw.length > 2 * max + 2 ? raw.slice(0, 2 * max + 2) : raw;
  const pieces: string[] = [];
  let total = 0;
  for (const visible of visiblePieces(bounded)) {
    const piece = ENTITIES[visible] ?? visible;
    pieces.push(piece);
    total += widthOf(piece);
    if (total > max) break;
  }
  if (total <= max) return pieces.join('');
  let out = '';
  let count = 0;
  for (const piece of pieces) {
    const len = widthOf(piece);
    if (count + len > max - 1) break;
    out += piece;
    count += len;
  }
  return out + ELLIPSIS;
}

/** Raw text as an inline code span: a backtick inside becomes ˋ so the span cannot be closed early. */
export function codeSpan(raw: string, max: number): string {
  return `\`${safeText(raw.replace(/`/g, '\u02cb'), Math.max(1, max - 2))}\``;
}

/**
 * A plain token (`AccessDenied`, `us-east-1`, `IAMUser`, `AWS::S3::Bucket`, a GUID): letters, digits and
 * `. _ : / -`, no space or bracket, so it cannot read as part of a sentence around it.
 */
export function isPlainToken(raw: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/.test(raw);
}

/**
 * An event value inside our own words: plain when it is a plain token, else a code span, so a user named
 * `root (Root) in us-east-1` cannot pass for our "(Root) in us-east-1". For every formatter's sentences.
 */
export function valueText(raw: string, max: number): string {
  // Nothing cannot pass for words, and an empty span would show as two backticks.
  return raw === '' || isPlainToken(raw) ? safeText(raw, max) : codeSpan(raw, max);
}

/** Raw text as a ``` block (same backtick rule); used for request parameters. */
export function codeBlock(raw: string, max: number): string {
  return `\`\`\`${safeText(raw.replace(/`/g, '\u02cb'), Math.max(1, max - 6))}\`\`\``;
}

/** Raw text in *bold*: an asterisk inside becomes ∗ so the span cannot be closed early. */
export function boldSpan(raw: string, max: number): string {
  return `*${safeText(raw.replace(/\*/g, '\u2217'), Math.max(1, max - 2))}*`;
}

/**
 * A `<url|text>` link. `url` must be one we built from validated parts (no `<`, `>`, `|` or spaces); `text` is
 * escaped and any `|` in it becomes ¦, since how Slack escapes a pipe in link text is undocumented (C.3).
 */
export function formatLink(url: string, text: string): string {
  if (/[\s<>|]/.test(url)) return safeText(text, 200);
  return `<${url.replace(/&/g, '&amp;')}|${safeText(text.replace(/\|/g, '\u00a6'), 200)}>`;
}
