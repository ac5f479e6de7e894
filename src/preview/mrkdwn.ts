/**
 * Slack mrkdwn → a flat list of styled spans, for the terminal and HTML previews. Pure; never throws.
 *
 * Input is treated as hostile: it is what we post to Slack, but replay and the demo's sink read it back from
 * files and HTTP bodies. Every span's text is decoded (Slack's &amp; &lt; &gt; become & < >), so each renderer
 * escapes for its own medium and nothing here is trusted markup.
 * Covered: `<!date^…|fallback>`, `<url|text>`, mentions (`<!here>`, `<@U1>`, `<#C1|name>`, `<!subteam^…>`),
 * ``` blocks, `code`, *bold*, _italic_, ~strike~ and the emoji codes our formatters write (:x:, the level markers
 * :rotating_light: and :warning:, the Insight's :chart_with_upwards_trend: and :white_check_mark:).
 */

export interface Span {
  text: string;
  bold?: boolean;
  italic?: boolean;
  strike?: boolean;
  code?: boolean;
  /** A ``` block: shown on its own lines. */
  pre?: boolean;
  /** A link; only http(s) and mailto URLs are kept (a `javascript:` URL stays plain text). */
  href?: string;
  /** A date token; `text` is its fallback, `epoch` the seconds it encodes. */
  epoch?: number;
  mention?: boolean;
}

const ENTITIES: Readonly<Record<string, string>> = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };
const EMOJI: Readonly<Record<string, string>> = {
  ':x:': '\u274c',
  ':warning:': '\u26a0\ufe0f',
  ':rotating_light:': '\u{1f6a8}',
  ':white_check_mark:': '\u2705',
  ':chart_with_upwards_trend:': '\u{1f4c8}',
};
const SAFE_URL = /^(https?:\/\/|mailto:)[^\s<>"'`]+$/i;
/**
 * *x*, _x_, ~x~: the marker must not touch a word character outside, and the content not start/end with space.
 * The content is bounded (our longest field is 500 characters) so a hostile `*a*a*a…` line stays linear.
 */
const EMPHASIS = /(?<![\p{L}\p{N}])([*_~])(?=\S)([^\n]{0,1000}?\S)\1(?![\p{L}\p{N}])/gu;
const STYLE_OF: Readonly<Record<string, keyof Span>> = { '*': 'bold', _: 'italic', '~': 'strike' };

/** &amp; &lt; &gt; → & < > (only Slack's three: &quot; and friends stay as written, as Slack shows them). */
export function decodeEntities(s: string): string {
  return s.replace(/&(amp|lt|gt);/g, (entity) => ENTITIES[entity] ?? entity);
}

/** An http(s) or mailto URL with no character that could break out of an attribute, else undefined. */
export function safeUrl(raw: string): string | undefined {
  const url = decodeEntities(raw).trim();
  return SAFE_URL.test(url) ? url : undefined;
}

/** Parses one mrkdwn string into spans (adjacent plain text may be split; renderers do not care). */
export function parseMrkdwn(input: string): Span[] {
  const spans: Span[] = [];
  // ``` blocks first: nothing inside them is markup.
  const parts = input.split(/```([\s\S]*?)```/);
  parts.forEach((part, i) => {
    if (i % 2 === 1) spans.push({ text: decodeEntities(part), pre: true });
    else parseInline(part, spans);
  });
  return spans.filter((span) => span.text !== '');
}

/** `code` spans, then <…> tokens, then emphasis, in that order of precedence. */
function parseInline(text: string, out: Span[]): void {
  text.split(/`([^`\n]*)`/).forEach((part, i) => {
    if (i % 2 === 1) out.push({ text: decodeEntities(part), code: true });
    else parseTokens(part, out);
  });
}

function parseTokens(text: string, out: Span[]): void {
  let last = 0;
  for (const match of text.matchAll(/<([^<>]*)>/g)) {
    parseEmphasis(text.slice(last, match.index), out);
    out.push(tokenSpan(match[1] ?? ''));
    last = match.index + match[0].length;
  }
  parseEmphasis(text.slice(last), out);
}

/** One `<…>` control sequence (API-FACTS C.3) → a span. */
function tokenSpan(body: string): Span {
  const bar = body.indexOf('|');
  const target = bar === -1 ? body : body.slice(0, bar);
  const label = bar === -1 ? undefined : decodeEntities(body.slice(bar + 1));
  if (target.startsWith('!date^')) {
    const epoch = Number(target.split('^')[1]);
    return { text: label ?? target, ...(Number.isFinite(epoch) ? { epoch } : {}) };
  }
  if (target.startsWith('!subteam^')) return { text: label ?? '@group', mention: true };
  if (target.startsWith('!')) return { text: `@${label ?? target.slice(1)}`, mention: true };
  if (target.startsWith('@')) return { text: label ? `@${label.replace(/^@/, '')}` : target, mention: true };
  if (target.startsWith('#')) return { text: `#${label ?? target.slice(1)}`, mention: true };
  const href = safeUrl(target);
  const text = label ?? decodeEntities(target);
  return href === undefined ? { text } : { text, href };
}

function parseEmphasis(text: string, out: Span[]): void {
  let last = 0;
  for (const match of text.matchAll(EMPHASIS)) {
    out.push(...plain(text.slice(last, match.index)));
    const style = STYLE_OF[match[1] ?? ''] ?? 'bold';
    out.push(...plain(match[2] ?? '').map((span) => ({ ...span, [style]: true })));
    last = match.index + match[0].length;
  }
  out.push(...plain(text.slice(last)));
}

function plain(text: string): Span[] {
  const decoded = decodeEntities(text).replace(/:[a-z_]+:/g, (code) => EMOJI[code] ?? code);
  return decoded === '' ? [] : [{ text: decoded }];
}

/** The spans' text without styling: for lengths, tests and plain output. */
export function spansToText(spans: readonly Span[]): string {
  return spans.map((span) => span.text).join('');
}
