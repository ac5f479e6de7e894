/**
 * A webhook payload as the previews see it: only the parts Slack draws for our messages, read defensively
 * (a payload from a file or an HTTP body may hold anything), with the colour already resolved to #rrggbb.
 */

export interface PreviewField {
  title: string;
  /** mrkdwn. */
  value: string;
  short: boolean;
}

export interface PreviewAttachment {
  /** #rrggbb; Slack's grey when the payload named no colour or an unusable one. */
  colour: string;
  pretext?: string;
  title?: string;
  titleLink?: string;
  /** mrkdwn. */
  text?: string;
  fields: PreviewField[];
  footer?: string;
  /** Seconds since the epoch (the attachment's `ts`). */
  ts?: number;
}

export interface PreviewMessage {
  /** mrkdwn. */
  text: string;
  attachments: PreviewAttachment[];
}

/** Slack's own colours for the named attachment colours, and its default grey. */
export const NAMED_COLOURS: Readonly<Record<string, string>> = {
  good: '#2eb67d',
  warning: '#ecb22e',
  danger: '#e01e5a',
};
export const DEFAULT_COLOUR = '#dddddd';

type Obj = Record<string, unknown>;

function objectOf(value: unknown): Obj | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** good / warning / danger / #rgb / #rrggbb (with or without '#') → #rrggbb; anything else → undefined. */
export function resolveColour(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const named = NAMED_COLOURS[value.trim().toLowerCase()];
  if (named !== undefined) return named;
  const hex = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value.trim())?.[1];
  if (hex === undefined) return undefined;
  const full = hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex;
  return `#${full.toLowerCase()}`;
}

function toField(value: unknown): PreviewField | undefined {
  const field = objectOf(value);
  if (field === undefined) return undefined;
  const title = stringOf(field.title) ?? '';
  const text = typeof field.value === 'string' || typeof field.value === 'number' ? String(field.value) : '';
  if (title === '' && text === '') return undefined;
  return { title, value: text, short: field.short === true };
}

function toAttachment(value: unknown): PreviewAttachment | undefined {
  const a = objectOf(value);
  if (a === undefined) return undefined;
  const fields = Array.isArray(a.fields) ? a.fields.map(toField).filter((f): f is PreviewField => f !== undefined) : [];
  const ts = typeof a.ts === 'number' && Number.isFinite(a.ts) ? a.ts : Number(a.ts);
  return {
    colour: resolveColour(a.color) ?? DEFAULT_COLOUR,
    pretext: stringOf(a.pretext),
    title: stringOf(a.title),
    titleLink: stringOf(a.title_link),
    text: stringOf(a.text),
    fields,
    footer: stringOf(a.footer),
    ts: Number.isFinite(ts) && ts > 0 ? ts : undefined,
  };
}

/** Reads a webhook payload (parsed JSON) into a PreviewMessage. Never throws. */
export function toPreviewMessage(payload: unknown): PreviewMessage {
  const body = objectOf(payload) ?? {};
  const attachments = Array.isArray(body.attachments)
    ? body.attachments.map(toAttachment).filter((a): a is PreviewAttachment => a !== undefined)
    : [];
  return { text: typeof body.text === 'string' ? body.text : '', attachments };
}

/** `ts` as `2023-07-10 11:42:18 UTC` (the previews have no reader's time zone to use). */
export function formatTs(ts: number): string {
  const date = new Date(ts * 1000);
  if (Number.isNaN(date.getTime())) return '';
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}
