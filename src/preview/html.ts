import { parseMrkdwn, safeUrl, type Span } from './mrkdwn';
import { formatTs, toPreviewMessage, type PreviewAttachment, type PreviewField } from './payload';
import { PAGE_STYLE } from './html-style';
import { makeVisible } from '../slack/visible';

/**
 * Slack payloads → one self-contained HTML page that looks like the channel would: the colour bar, the bold
 * headline, short fields two to a row, links, and each date token's fallback text. Pure.
 *
 * Event data is hostile: every piece of text is decoded from mrkdwn, made visible (src/slack/visible.ts: a bidi
 * or invisible character shows as `[U+202E]`, a control character as a space) and then HTML-escaped
 * (& < > " '); URLs are kept only when http(s)/mailto, colours only when they resolve to #rrggbb. As a second line of defence the page
 * carries a Content-Security-Policy that allows no script, no request and no external asset at all.
 * Markers for tests and tools: data-message, data-attachment, data-colour-bar, data-field (data-short).
 */

export interface HtmlPageOptions {
  title?: string;
  /** Shown under the title (e.g. "written 2026-11-26 14:31:00 UTC by cloudtrail-slack replay"). */
  subtitle?: string;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for element content and quoted attribute values alike. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** Text a reader sees: made visible (newlines kept: the page shows them with pre-wrap), then escaped. */
function textHtml(s: string): string {
  return escapeHtml(makeVisible(s, { keepNewlines: true }));
}

function renderSpan(span: Span): string {
  let html = textHtml(span.text);
  if (span.pre) return `<pre>${html}</pre>`;
  if (span.code) html = `<code>${html}</code>`;
  if (span.bold) html = `<strong>${html}</strong>`;
  if (span.italic) html = `<em>${html}</em>`;
  if (span.strike) html = `<s>${html}</s>`;
  if (span.mention) html = `<span class="mention">${html}</span>`;
  if (span.epoch !== undefined) {
    const when = new Date(span.epoch * 1000);
    const iso = Number.isNaN(when.getTime()) ? '' : ` datetime="${escapeHtml(when.toISOString())}"`;
    html = `<time${iso}>${html}</time>`;
  }
  if (span.href !== undefined) html = `<a href="${escapeHtml(span.href)}" rel="noopener noreferrer">${html}</a>`;
  return html;
}

/** mrkdwn → inline HTML. */
export function renderMrkdwnHtml(mrkdwn: string): string {
  return parseMrkdwn(mrkdwn).map(renderSpan).join('');
}

function renderField(field: PreviewField): string {
  const size = field.short ? 'short' : 'long';
  return (
    `<div class="field ${size}" data-field data-short="${field.short}">` +
    `<div class="field-title">${textHtml(field.title)}</div>` +
    `<div class="field-value">${renderMrkdwnHtml(field.value)}</div></div>`
  );
}

function renderAttachment(a: PreviewAttachment): string {
  const parts: string[] = [];
  if (a.title !== undefined) {
    const title = textHtml(a.title);
    const href = a.titleLink === undefined ? undefined : safeUrl(a.titleLink);
    parts.push(`<div class="title">${href ? `<a href="${escapeHtml(href)}" rel="noopener noreferrer">${title}</a>` : title}</div>`);
  }
  if (a.text !== undefined) parts.push(`<div class="att-text">${renderMrkdwnHtml(a.text)}</div>`);
  if (a.fields.length > 0) parts.push(`<div class="fields">${a.fields.map(renderField).join('')}</div>`);
  const footer = [a.footer === undefined ? '' : textHtml(a.footer), a.ts === undefined ? '' : escapeHtml(formatTs(a.ts))];
  if (footer.some((part) => part !== '')) parts.push(`<div class="footer">${footer.filter((p) => p !== '').join(' | ')}</div>`);
  const pretext = a.pretext === undefined ? '' : `<div class="pretext">${renderMrkdwnHtml(a.pretext)}</div>`;
  // The colour is a validated #rrggbb (payload.ts), so it is safe inside the style attribute.
  return (
    `${pretext}<div class="attachment" data-attachment data-colour="${a.colour}">` +
    `<div class="bar" data-colour-bar style="background-color:${a.colour}"></div>` +
    `<div class="att-body">${parts.join('')}</div></div>`
  );
}

/** One payload as a Slack-like message block. */
export function renderMessageHtml(payload: unknown, index = 0): string {
  const message = toPreviewMessage(payload);
  return (
    `<article class="message" data-message="${index + 1}">` +
    `<div class="avatar" aria-hidden="true">CT</div><div class="content">` +
    `<div class="meta"><span class="app">cloudtrail-slack</span><span class="badge">APP</span></div>` +
    `<div class="text">${renderMrkdwnHtml(message.text)}</div>` +
    `${message.attachments.map(renderAttachment).join('')}</div></article>`
  );
}

/** A run of messages under a heading (replay: one group per webhook when messages go to several). */
export interface MessageGroup {
  /** Shown as a heading above the group's messages; made visible and escaped like any text. */
  heading: string;
  payloads: readonly unknown[];
}

/** The whole page: no script, no external asset, nothing fetched. */
export function renderHtmlPage(payloads: readonly unknown[], options: HtmlPageOptions = {}): string {
  return renderHtmlGroups([{ heading: '', payloads }], options);
}

/**
 * The page for messages in groups, each under its heading (a group with an empty heading gets none); messages are
 * numbered across the groups (data-message), and a heading carries `data-group`.
 */
export function renderHtmlGroups(groups: readonly MessageGroup[], options: HtmlPageOptions = {}): string {
  const total = groups.reduce((sum, group) => sum + group.payloads.length, 0);
  const title = options.title ?? 'cloudtrail-slack: message preview';
  const count = `${total} message${total === 1 ? '' : 's'}`;
  const subtitle = options.subtitle === undefined ? count : `${count} · ${options.subtitle}`;
  const body: string[] = [];
  let index = 0;
  for (const group of groups) {
    if (group.heading !== '') body.push(`<h2 class="group" data-group>${textHtml(group.heading)}</h2>`);
    for (const payload of group.payloads) body.push(renderMessageHtml(payload, index++));
  }
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${textHtml(title)}</title>`,
    `<style>${PAGE_STYLE}</style></head>`,
    `<body><header><h1>${textHtml(title)}</h1><p>${textHtml(subtitle)}</p></header>`,
    `<main data-count="${total}">`,
    ...body,
    '</main></body></html>',
    '',
  ].join('\n');
}
