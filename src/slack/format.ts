import { describeIdentity, HIDDEN_USER_NAME } from '../events/identity';
import type { TrailEvent } from '../events/types';
import { boldSpan, codeBlock, codeSpan, formatLink, isPlainToken, safeText, truncate, valueText } from './escape';
import { formatOtherMessage, formatOtherPlain } from './format-other';
import type { SlackAttachment, SlackMessage } from './types';

/**
 * One TrailEvent → one Slack message: the Ruby original's headline, colour and fields, with every event-derived
 * string escaped (API-FACTS C.3) and cut to a budget, so the worst event still fits Slack's limits (C.2).
 * The pieces (eventHeadline, eventAttachment) are exported so a digest can be
 * `{ text: 'N events', attachments: events.slice(0, 100).map((e) => eventAttachment(e)) }` (≤ 100 attachments).
 */

export interface FormatOptions {
  /**
   * The console's host name without the region (config key `consoleDomain`), e.g. `console.amazonaws-us-gov.com`;
   * default: the partition's, from the event's region (consoleDomainFor).
   */
  consoleDomain?: string;
}
type Field = NonNullable<SlackAttachment['fields']>[number];

/** Slack cuts text above 40,000 chars and recommends under 4,000 (C.2); a headline needs far less. */
export const MAX_TEXT = 1000;
/**
 * Budgets in code points of escaped text. Block Kit caps a field at 2,000 chars (C.2) and legacy fields are
 * undocumented, so stay far below; real values are much shorter (IDs 36, names ≤ 128). The sum keeps even an
 * all-emoji worst case (2 UTF-16 units per code point) under 16 KB of JSON.
 */
const MAX_NAME = 128;
const MAX_SHORT = 64;
const MAX_FIELD = 300;
const MAX_LONG_FIELD = 500;
const MAX_ID = 100;
/** Resources shown one field each; the rest are counted. Keeps the payload bounded (see format tests: < 16 KB). */
export const MAX_RESOURCES_SHOWN = 5;
/** Attachment colours: the original's danger/warning/good, plus purple for calls that failed. */
export const COLOURS = { failed: '#8e44ad', delete: 'danger', terminate: 'warning', other: 'good' } as const;

/**
 * Each partition's console host, by region prefix (API-FACTS L: GovCloud `console.amazonaws-us-gov.com`, China
 * `console.amazonaws.cn`; the commercial one for every other region).
 */
const PARTITION_CONSOLES: ReadonlyArray<readonly [prefix: string, domain: string]> = [
  ['us-gov-', 'console.amazonaws-us-gov.com'],
  ['cn-', 'console.amazonaws.cn'],
];
const COMMERCIAL_CONSOLE = 'console.aws.amazon.com';
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;
/** Real event IDs are 36-char GUIDs; anything much longer is not linked (it is still shown, cut). */
const MAX_LINKED_ID = 128;

/** A string, number or boolean from the untrusted record as text; anything else (objects, null) is absent. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function failureOf(event: TrailEvent): { code: string; message?: string } | undefined {
  const code = textOf(event.record?.errorCode);
  return code === undefined ? undefined : { code, message: textOf(event.record?.errorMessage) };
}

/** `2023-07-10T11:42:18Z`, or undefined when the time is unknown (0) or out of Date's range. */
function isoTimeOf(ms: number): string | undefined {
  if (!Number.isFinite(ms) || ms <= 0 || ms > 8.64e15) return undefined;
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

/** Slack's date token renders in each reader's own zone; the fallback after `|` is UTC. */
function slackDateOf(ms: number): string {
  const iso = isoTimeOf(ms);
  if (iso === undefined) return 'unknown';
  const fallback = `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${fallback}>`;
}

/** The console host for a region: the configured one, else its partition's (us-gov-…, cn-…, else commercial). */
export function consoleDomainFor(region: string, configured?: string): string {
  if (configured !== undefined) return configured;
  return PARTITION_CONSOLES.find(([prefix]) => region.startsWith(prefix))?.[1] ?? COMMERCIAL_CONSOLE;
}

/**
 * The region's Event history, `https://<region>.<domain>/cloudtrailv2/home?region=<region>#/events`, the form
 * today's console uses (API-FACTS L; whether GovCloud and China serve the same path is unconfirmed there), or
 * undefined for an invalid region or domain.
 */
export function consoleHistoryUrl(region: string, consoleDomain?: string): string | undefined {
  const domain = consoleDomainFor(region, consoleDomain);
  if (!REGION.test(region) || !HOST.test(domain)) return undefined;
  return `https://${region}.${domain}/cloudtrailv2/home?region=${region}#/events`;
}

/**
 * The console's page for this one event, `…/cloudtrailv2/home?region=<region>#/events/<EventId>` (API-FACTS L),
 * or undefined when the region or ID cannot be linked safely.
 */
export function consoleEventUrl(event: TrailEvent, consoleDomain?: string): string | undefined {
  const history = consoleHistoryUrl(event.region, consoleDomain);
  if (history === undefined || event.id === '' || event.id.length > MAX_LINKED_ID) return undefined;
  return `${history}/${encodeURIComponent(event.id)}`;
}

/** Delete → danger, Terminate → warning (as the original); a failed call changed nothing, so its colour wins. */
export function eventColour(event: TrailEvent): string {
  if (failureOf(event) !== undefined) return COLOURS.failed;
  if (event.name.includes('Delete')) return COLOURS.delete;
  if (event.name.includes('Terminate')) return COLOURS.terminate;
  return COLOURS.other;
}

/**
 * Our words in describeIdentity's `detail` (src/events/identity.ts), each followed by an event value, which is
 * set apart in a code span. A detail that starts with none of them is shown whole in a code span: the safe side.
 */
const DETAIL_LABELS = ['source identity ', 'identity store ', 'federated by ', 'via ', 'principal ', 'root, account ', 'account '];
const DETAIL_OUR_WORDS = new Set(['root, account unknown', `user name hidden by AWS (${HIDDEN_USER_NAME})`]);
function detailText(detail: string): string {
  if (DETAIL_OUR_WORDS.has(detail)) return safeText(detail, MAX_FIELD);
  const label = DETAIL_LABELS.find((l) => detail.startsWith(l) && detail.length > l.length);
  return label === undefined ? codeSpan(detail, MAX_FIELD) : `${label}${valueText(detail.slice(label.length), MAX_FIELD)}`;
}

/** The caller's name (always a code span: it is free text) and, in brackets, the detail. */
function userText(event: TrailEvent): string {
  const who = describeIdentity(event);
  const name = codeSpan(who.name, MAX_NAME);
  return who.detail === undefined ? name : `${name} (${detailText(who.detail)})`;
}

/**
 * `<name> by <who> (<type>) in <region>`, escaped, every event value set apart (valueText; the caller always in
 * a code span); the name bold in mrkdwn when it is a plain token.
 */
function describeCall(event: TrailEvent, bold: boolean): string {
  const who = describeIdentity(event);
  const name = bold && isPlainToken(event.name) ? boldSpan(event.name, MAX_NAME) : valueText(event.name, MAX_NAME);
  const region = valueText(event.region, MAX_SHORT);
  return `${name} by ${codeSpan(who.name, MAX_NAME)} (${valueText(who.type, MAX_SHORT)}) in ${region}`;
}

/** ``*CreateUser* by `alice` (IAMUser) in us-east-1``; on failure `:x: … failed: AccessDenied`. */
export function eventHeadline(event: TrailEvent): string {
  const failure = failureOf(event);
  const call = describeCall(event, true);
  return failure === undefined ? call : `:x: ${call} failed: ${valueText(failure.code, MAX_SHORT)}`;
}

/** The headline as plain text (no bold, still escaped and set apart), for `fallback` and the plain message. */
function plainHeadline(event: TrailEvent): string {
  const failure = failureOf(event);
  const call = describeCall(event, false);
  return failure === undefined ? call : `FAILED ${call}: ${valueText(failure.code, MAX_SHORT)}`;
}

function eventFields(event: TrailEvent): Field[] {
  const record = event.record ?? {};
  const who = describeIdentity(event);
  const fields: Field[] = [];
  const add = (title: string, value: unknown, max: number, short = true): void => {
    const text = textOf(value);
    if (text !== undefined) fields.push({ title, value: safeText(text, max), short });
  };
  add('Event Name', event.name, MAX_NAME);
  add('Event Source', event.source, MAX_NAME);
  add('AWS Region', event.region, MAX_SHORT);
  fields.push({ title: 'Event Time', value: slackDateOf(event.time), short: true });
  fields.push({ title: 'User', value: userText(event), short: true });
  add('Identity Type', who.type, MAX_SHORT);
  add('Source IP Address', record.sourceIPAddress, MAX_NAME);
  add('Account ID', textOf(record.recipientAccountId) ?? textOf(record.userIdentity?.accountId), MAX_SHORT);
  add('Event Type', record.eventType, MAX_SHORT);
  fields.push(...resourceFields(event));
  const agent = textOf(record.userAgent);
  if (agent !== undefined) fields.push({ title: 'User Agent', value: codeSpan(agent, MAX_FIELD), short: false });
  const failure = failureOf(event);
  if (failure !== undefined) {
    const message = failure.message === undefined ? '' : `: ${safeText(failure.message, MAX_FIELD)}`;
    fields.push({ title: 'Error', value: `${safeText(failure.code, MAX_SHORT)}${message}`, short: false });
  }
  const parameters = summariseParameters(record.requestParameters);
  if (parameters !== undefined) {
    fields.push({ title: 'Request Parameters', value: codeBlock(parameters, MAX_LONG_FIELD), short: false });
  }
  if (event.recordError !== undefined) add('Note', event.recordError, MAX_NAME, false);
  add('Event ID', event.id || '(none)', MAX_ID, false);
  return fields;
}

/** "Resource n of m" for the first few (type: name), then one "and N more" field. */
function resourceFields(event: TrailEvent): Field[] {
  const resources = Array.isArray(event.resources) ? event.resources : [];
  const fields: Field[] = resources.slice(0, MAX_RESOURCES_SHOWN).map((resource, index) => {
    const type = textOf(resource?.type);
    const name = textOf(resource?.name);
    const value = `${type === undefined ? 'unknown type' : valueText(type, MAX_SHORT)}: ${name === undefined ? '(no name)' : codeSpan(name, 200)}`;
    return { title: `Resource ${index + 1} of ${resources.length}`, value, short: false };
  });
  const hidden = resources.length - MAX_RESOURCES_SHOWN;
  if (hidden > 0) fields.push({ title: 'More Resources', value: `and ${hidden} more`, short: false });
  return fields;
}

/** Compact JSON of requestParameters (absent when null/missing); the caller caps it. Never throws. */
function summariseParameters(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  try {
    return JSON.stringify(value);
  } catch {
    return '(unserialisable)';
  }
}

/** The event's one legacy attachment (the only way to get a colour bar, C.2). */
export function eventAttachment(event: TrailEvent, options: FormatOptions = {}): SlackAttachment {
  const eventUrl = consoleEventUrl(event, options.consoleDomain);
  const historyUrl = consoleHistoryUrl(event.region, options.consoleDomain);
  const links = [
    eventUrl && formatLink(eventUrl, 'View this event in the CloudTrail console'),
    historyUrl && formatLink(historyUrl, `CloudTrail Event history (${event.region})`),
  ].filter((link): link is string => typeof link === 'string');
  const attachment: SlackAttachment = {
    color: eventColour(event),
    fallback: `${plainHeadline(event)} · Event ID: ${valueText(event.id, MAX_ID)}`,
    fields: eventFields(event),
    mrkdwn_in: ['text', 'fields'],
  };
  if (links.length > 0) attachment.text = links.join(' · ');
  if (isoTimeOf(event.time) !== undefined) attachment.ts = Math.floor(event.time / 1000);
  return attachment;
}

/** The rich message for one event. */
export function formatEventMessage(event: TrailEvent, options: FormatOptions = {}): SlackMessage {
  // Insights and nameless records are not API calls: they have their own messages (format-other.ts).
  const links = { eventUrl: consoleEventUrl(event, options.consoleDomain), historyUrl: consoleHistoryUrl(event.region, options.consoleDomain) };
  const other = formatOtherMessage(event, links);
  if (other !== undefined) return other;
  return {
    text: truncate(eventHeadline(event), MAX_TEXT), // the parts are budgeted to < 500; a backstop
    attachments: [eventAttachment(event, options)],
    unfurl_links: false,
    unfurl_media: false,
  };
}

/** The minimal message sent once when Slack answers `invalid_payload` to the rich one: escaped text only. */
export function formatPlainMessage(event: TrailEvent): SlackMessage {
  const other = formatOtherPlain(event);
  if (other !== undefined) return other;
  const when = isoTimeOf(event.time) ?? 'unknown time';
  return {
    text: `${plainHeadline(event)} at ${when} · Event ID: ${valueText(event.id, MAX_ID)}`,
    unfurl_links: false,
    unfurl_media: false,
  };
}
