import { accountText } from './account-text';
import { describeIdentity } from '../events/identity';
import type { TrailEvent } from '../events/types';
import { isObject, textOf } from '../events/untrusted';
import { codeSpan, safeText, truncate } from './escape';
import { isoTimeOf, linksText, slackDateOf, type Field, type MessageAccount, type MessageLinks } from './format-parts';
import type { SlackMessage } from './types';

/**
 * The message for an event that nothing names (no EventName, no eventName, not an Insight): never the placeholder
 * `*UnknownEvent* by unknown (Unknown)`, but what the record does say: its eventType and eventCategory, the
 * source, the caller when the record names one, the account, which fields the record has, and why the record
 * could not be read when it could not. Escaped and cut like every message (escape.ts).
 */

const MAX_TEXT = 1000;
const MAX_NAME = 128;
const MAX_SHORT = 64;
const MAX_ID = 100;
/** Top-level keys listed; a record has about 20. */
const MAX_KEYS = 30;
const GREY = '#9e9e9e';

/** What describes a nameless event: its type, category and source, each when the record has it. */
export interface UnnamedParts {
  eventType?: string;
  eventCategory?: string;
  source?: string;
}

export function unnamedParts(event: TrailEvent): UnnamedParts {
  const parts: UnnamedParts = {};
  const type = textOf(event.record?.eventType);
  const category = textOf(event.record?.eventCategory);
  if (type !== undefined) parts.eventType = type;
  if (category !== undefined) parts.eventCategory = category;
  if (event.source !== '' && event.source !== 'unknown') parts.source = event.source;
  return parts;
}

/** `CloudTrail event without an event name: `AwsServiceEvent` (Management) from `ec2.amazonaws.com` in eu-west-1`. */
function headline(event: TrailEvent, rich: boolean): string {
  const span = (raw: string, max: number) => (rich ? codeSpan(raw, max) : safeText(raw, max));
  const parts = unnamedParts(event);
  const kind = parts.eventType === undefined ? '' : span(parts.eventType, MAX_SHORT);
  const category = parts.eventCategory === undefined ? '' : `${kind === '' ? '' : ' '}(${safeText(parts.eventCategory, MAX_SHORT)})`;
  const from = parts.source === undefined ? '' : `${kind + category === '' ? '' : ' '}from ${span(parts.source, MAX_NAME)}`;
  const what = `${kind}${category}${from}`;
  const title = rich ? '*CloudTrail event without an event name*' : 'CloudTrail event without an event name';
  return `${title}${what === '' ? '' : `: ${what}`} in ${safeText(event.region, MAX_SHORT)}`;
}

function fields(event: TrailEvent, named: MessageAccount): Field[] {
  const out: Field[] = [];
  const add = (title: string, value: string | undefined, short = true) => {
    if (value !== undefined && value !== '') out.push({ title, value, short });
  };
  const parts = unnamedParts(event);
  const record = event.record;
  add('Event Type', parts.eventType === undefined ? undefined : safeText(parts.eventType, MAX_SHORT));
  add('Event Category', parts.eventCategory === undefined ? undefined : safeText(parts.eventCategory, MAX_SHORT));
  add('Event Source', parts.source === undefined ? undefined : safeText(parts.source, MAX_NAME));
  add('AWS Region', safeText(event.region, MAX_SHORT));
  add('Event Time', slackDateOf(event.time));
  if (record !== undefined && isObject(record.userIdentity)) {
    const who = describeIdentity(event);
    add('User', `${codeSpan(who.name, MAX_NAME)} (${safeText(who.type, MAX_SHORT)})`);
  }
  const account = textOf(record?.recipientAccountId) ?? named.account;
  add('Account ID', account === undefined ? undefined : accountText(account, named.accounts));
  if (record !== undefined) {
    const keys = Object.keys(record);
    const shown = keys.slice(0, MAX_KEYS).map((key) => codeSpan(key, MAX_SHORT)).join(' ');
    add('Fields in the Record', `${shown}${keys.length > MAX_KEYS ? ` and ${keys.length - MAX_KEYS} more` : ''}`, false);
  }
  add('Note', event.recordError === undefined ? undefined : safeText(event.recordError, MAX_NAME), false);
  add('Event ID', safeText(event.id, MAX_ID), false);
  return out;
}

function plainText(event: TrailEvent): string {
  const when = isoTimeOf(event.time);
  return truncate(`${headline(event, false)}${when === undefined ? '' : ` at ${when}`} · Event ID: ${safeText(event.id, MAX_ID)}`, MAX_TEXT);
}

/** The rich message for an event without a name, or undefined when the event has one. */
export function formatUnnamedMessage(event: TrailEvent, links: MessageLinks = {}, named: MessageAccount = {}): SlackMessage | undefined {
  if (event.name !== '') return undefined;
  const attachment: NonNullable<SlackMessage['attachments']>[number] = {
    color: GREY,
    fallback: plainText(event),
    fields: fields(event, named),
    mrkdwn_in: ['text', 'fields'],
  };
  const text = linksText(links, event.region);
  if (text !== undefined) attachment.text = text;
  if (isoTimeOf(event.time) !== undefined) attachment.ts = Math.floor(event.time / 1000);
  return { text: truncate(headline(event, true), MAX_TEXT), attachments: [attachment], unfurl_links: false, unfurl_media: false };
}

/** The plain message for an event without a name, or undefined when the event has one. */
export function formatUnnamedPlain(event: TrailEvent): SlackMessage | undefined {
  return event.name === '' ? { text: plainText(event), unfurl_links: false, unfurl_media: false } : undefined;
}
