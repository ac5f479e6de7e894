/**
 * The one place that decides how event text may look to a person: every path that shows event data (the Slack
 * formatter through safeText, the HTML and terminal previews, alert emails, replay's stderr) goes through
 * `visiblePieces` / `makeVisible`.
 *
 * - Control characters (C0, DEL, C1) and the line/paragraph separators U+2028/U+2029 become a space, so a
 *   newline in a user agent cannot forge a line of its own (with `keepNewlines`, '\n' stays).
 * - Lone UTF-16 surrogates become U+FFFD, so the JSON sent to Slack is always well-formed UTF-8.
 * - Invisible characters are shown as their code point, e.g. `[U+202E]`: every character of Unicode's Cf
 *   (format) category and every Default_Ignorable_Code_Point. That covers the bidi controls (U+061C, U+200E,
 *   U+200F, U+202A–U+202E, U+2066–U+2069), which would reorder what the reader sees ("Trojan Source",
 *   CVE-2021-42574), the zero-width characters (U+200B–U+200D, U+2060–U+2064, U+FEFF), the soft hyphen, the tag
 *   characters (U+E0000–U+E007F, invisible "ASCII smuggling"), Hangul fillers and variation selectors: with them
 *   two different names would look the same.
 *
 * Kept, because they only change how a visible emoji or ideograph is drawn (Unicode UTS #51 and UTS #37):
 * - U+200D ZERO WIDTH JOINER between two pictographs, as in 👩🏽‍💻 (the first may carry a skin tone or U+FE0F);
 * - U+FE0E/U+FE0F (text/emoji presentation) right after a non-ASCII emoji, or after 0–9 # * that a keycap
 *   U+20E3 follows (1️⃣);
 * - U+FE00–U+FE0D and U+E0100–U+E01EF right after an ideograph (ideographic variation sequences, 葛󠄀);
 * - the tag sequences of the three subdivision flags Unicode recommends (England, Scotland, Wales) after 🏴.
 * One selector per base at most: a second in a row is shown, which stops data hidden in runs of selectors.
 * Shown although legitimate elsewhere: U+200C ZERO WIDTH NON-JOINER (Persian and Indic spelling), Mongolian
 * free variation selectors. AWS names rarely use them; a visible `[U+200C]` is the safe side.
 */

export interface VisibleOptions {
  /** Keep '\n' as it is (text shown line by line, such as the terminal preview or an email); default false. */
  keepNewlines?: boolean;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /^[\u0000-\u001f\u007f-\u009f\u2028\u2029]$/;
const INVISIBLE = /^[\p{Cf}\p{Default_Ignorable_Code_Point}]$/u;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const PICTOGRAPH = /^\p{Extended_Pictographic}$/u;
const EMOJI = /^\p{Emoji}$/u;
const KEYCAP_BASE = /^[#*0-9]$/;
const IDEOGRAPH = /^\p{Ideographic}$/u;
const SKIN_TONE = /^\p{Emoji_Modifier}$/u;
const ZWJ = '\u200d';
const KEYCAP = '\u20e3';
const PRESENTATION_SELECTORS = new Set(['\ufe0e', '\ufe0f']);
const BLACK_FLAG = '\u{1f3f4}';
const CANCEL_TAG = '\u{e007f}';
/** RGI emoji tag sequences: 🏴 + the tag letters + CANCEL TAG (UTS #51, emoji-sequences.txt). */
const SUBDIVISION_FLAGS = ['gbeng', 'gbsct', 'gbwls'].map((code) =>
  [...code].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('') + CANCEL_TAG,
);

/** `[U+202E]`: the code point in the form the Unicode standard writes it. */
export function codePointLabel(ch: string): string {
  return `[U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}]`;
}

function isVariationSelector(cp: number): boolean {
  return (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);
}

/** A selector that only picks the look of the character right before it (see the rules above). */
function isKeptSelector(points: readonly string[], i: number): boolean {
  const ch = points[i] as string;
  const base = points[i - 1];
  if (base === undefined || !isVariationSelector(ch.codePointAt(0) ?? 0)) return false;
  if (PRESENTATION_SELECTORS.has(ch)) {
    if (KEYCAP_BASE.test(base)) return points[i + 1] === KEYCAP;
    return EMOJI.test(base);
  }
  return IDEOGRAPH.test(base);
}

/** A ZWJ that joins two pictographs (skipping the first one's skin tone or presentation selector). */
function isKeptJoiner(points: readonly string[], i: number): boolean {
  if (points[i] !== ZWJ || !PICTOGRAPH.test(points[i + 1] ?? '')) return false;
  let j = i - 1;
  while (j >= 0 && (SKIN_TONE.test(points[j] ?? '') || points[j] === '\ufe0f')) j -= 1;
  return PICTOGRAPH.test(points[j] ?? '');
}

/** The length (in code points) of a recommended flag tag sequence starting at i, else 0. */
function flagTagsAt(points: readonly string[], i: number): number {
  if (points[i - 1] !== BLACK_FLAG) return 0;
  const found = SUBDIVISION_FLAGS.find((tags) => points.slice(i, i + [...tags].length).join('') === tags);
  return found === undefined ? 0 : [...found].length;
}

/**
 * The text as pieces: one per code point, except that a shown invisible character is one `[U+XXXX]` piece and a
 * kept joiner, selector or flag tag sequence is glued to the piece before it, so a cut between pieces never
 * leaves one of them raw. Never throws.
 */
export function visiblePieces(s: string, options: VisibleOptions = {}): string[] {
  const points = Array.from(s.replace(LONE_SURROGATE, '\ufffd'));
  const out: string[] = [];
  const glue = (text: string) => {
    if (out.length === 0) out.push(text);
    else out[out.length - 1] += text;
  };
  for (let i = 0; i < points.length; i += 1) {
    const ch = points[i] as string;
    if (CONTROL.test(ch)) {
      out.push(ch === '\n' && options.keepNewlines === true ? '\n' : ' ');
    } else if (!INVISIBLE.test(ch)) {
      out.push(ch);
    } else if (isKeptJoiner(points, i)) {
      glue(ch + (points[i + 1] as string));
      i += 1;
    } else if (isKeptSelector(points, i)) {
      glue(ch);
    } else {
      const flag = flagTagsAt(points, i);
      if (flag > 0) {
        glue(points.slice(i, i + flag).join(''));
        i += flag - 1;
      } else {
        out.push(codePointLabel(ch));
      }
    }
  }
  return out;
}

/** `visiblePieces` joined: the text with every control made a space and every invisible character shown. */
export function makeVisible(s: string, options: VisibleOptions = {}): string {
  return visiblePieces(s, options).join('');
}
