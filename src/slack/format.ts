import { describeIdentity } from '../events/identity';
import type { TrailEvent } from '../events/types';
import { isLevel, type Decision, type Level, type RuleHit } from '../rules/decision';
import { consoleEventUrl, consoleHistoryUrl } from './console-links';
import { boldSpan, codeSpan, formatLink, isPlainToken, safeText, truncate, valueText } from './escape';
import { accountText, type AccountNameSource } from './account-text';
import { accountOf, failureOf, shortResource, targetOf, type Target } from './event-facts';
import { contextLine, eventFields, MAX_RULES_SHOWN, MAX_TARGET, rulesField } from './event-fields';
import { formatOtherMessage, formatOtherPlain } from './format-other';
import { isoTimeOf } from './format-parts';
import { levelColour } from './level-colours';
import { FAILED_MARKER, LEVEL_MARKERS, levelWord } from './severity';
import type { SlackAttachment, SlackMessage } from './types';

export { consoleDomainFor, consoleEventUrl, consoleHistoryUrl } from './console-links';
export { MAX_RESOURCES_SHOWN, MAX_RULES_SHOWN } from './event-fields';

/**
 * One TrailEvent → one Slack message that shows what matters (issue 8 item 5):
 * - top-level `text`, all a phone's notification shows (API-FACTS O.1): `[mention] [marker] [:x:] headline`, the
 *   headline saying who did what to which resource, where, in which account, and whether it failed:
 *   ``:warning: *StopLogging* on `my-trail` by `alice` (IAMUser) in us-east-1 · account 111122223333``;
 * - one attachment (the only source of a colour bar, C.2) coloured by the decision's level (LEVEL_COLOURS, the map
 *   digests use too) or purple for a failed call, holding one context line (time, source IP, MFA, service), the
 *   console link, and only the fields that carry information (event-fields.ts).
 * Every event-derived string is escaped and set apart (escape.ts, API-FACTS C.3) and cut to a budget, so the worst
 * event stays far inside Slack's limits (C.2). The mention is the only raw text, and it comes from config.
 */

export interface FormatOptions {
  /**
   * The console's host name without the region (config key `consoleDomain`), e.g. `console.amazonaws-us-gov.com`;
   * default: the partition's, from the event's region (consoleDomainFor).
   */
  consoleDomain?: string;
  /**
   * What the rules decided (src/rules/decision.ts): `level` picks the colour and marker, `matched` the rule titles
   * shown. Absent: an informational event that matched no rule (how messages looked before rules).
   */
  decision?: Decision;
  /**
   * A Slack mention from the route's config (trusted), e.g. `<!subteam^S123>` or `<@U123>`: inserted as it is at
   * the start of the top-level `text`, the only place a mention notifies reliably (API-FACTS O.4), and nowhere
   * else (not in `fallback`, not in the attachment). Blank: no mention. It is not cut, so `text` is at most
   * MAX_TEXT plus the mention's length. Nothing from an event is ever a mention: event text is always escaped.
   */
  mention?: string;
  /**
   * The account whose Event history the event was read from: the target's account (issue 10), else the daemon's
   * identity (src/aws/identity.ts). Named when the record names no account of its own (recipientAccountId, else
   * the caller's). A 12-digit ID from the config, the organisation listing or STS.
   */
  account?: string;
  /** The names of accounts (the AccountDirectory): an account is named "name (id)" when known; default: IDs. */
  accounts?: AccountNameSource;
}

/** Slack cuts text above 40,000 chars and recommends under 4,000 (C.2); a headline needs far less. */
export const MAX_TEXT = 1000;
const MAX_NAME = 128;
const MAX_SHORT = 64;
const MAX_ID = 100;
const MAX_TITLE = 100;
/** A failed call changed nothing: it keeps its own purple whatever its level (level-colours.ts). */
export const COLOURS = { failed: '#8e44ad' } as const;

interface Severity {
  level: Level;
  matched: readonly RuleHit[];
}

function severityOf(options: FormatOptions): Severity {
  const decision = options.decision;
  const level = decision !== undefined && isLevel(decision.level) ? decision.level : 'informational';
  return { level, matched: Array.isArray(decision?.matched) ? decision.matched : [] };
}

function mentionOf(options: FormatOptions): string {
  return typeof options.mention === 'string' ? options.mention.trim() : '';
}

function withMention(text: string, options: FormatOptions): string {
  const mention = mentionOf(options);
  return mention === '' ? text : `${mention} ${text}`;
}

/** The level's colour, or purple for a failed call (its own look, whatever a rule said). */
export function eventColour(event: TrailEvent, level: Level = 'informational'): string {
  return failureOf(event) !== undefined ? COLOURS.failed : levelColour(level);
}

/**
 * `<name> on <resource> by <who> (<type>) in <region> · account <id> · failed: <code>`: every event value set
 * apart (valueText; the caller and resource always in code spans), the name bold in mrkdwn when a plain token.
 */
function describeCall(event: TrailEvent, target: Target | undefined, rich: boolean, options: FormatOptions): string {
  const who = describeIdentity(event);
  const name = rich && isPlainToken(event.name) ? boldSpan(event.name, MAX_NAME) : valueText(event.name, MAX_NAME);
  const on = target === undefined ? '' : ` on ${codeSpan(shortResource(target.name), MAX_TARGET)}${target.more > 0 ? ` and ${target.more} more` : ''}`;
  const account = accountOf(event) ?? options.account;
  const failure = failureOf(event);
  return (
    `${name}${on} by ${codeSpan(who.name, MAX_NAME)} (${valueText(who.type, MAX_SHORT)}) in ${valueText(event.region, MAX_SHORT)}` +
    `${account === undefined ? '' : ` · account ${accountText(account, options.accounts)}`}` +
    `${failure === undefined ? '' : ` · failed: ${valueText(failure.code, MAX_SHORT)}`}`
  );
}

/** ``:warning: :x: *ConsoleLogin* by `root` (Root) in us-east-1 · account 111122223333 · failed: …``, without mention. */
export function eventHeadline(event: TrailEvent, options: FormatOptions = {}): string {
  const { level } = severityOf(options);
  const markers = [LEVEL_MARKERS[level], failureOf(event) === undefined ? undefined : FAILED_MARKER].filter((m) => m !== undefined);
  return truncate([...markers, describeCall(event, targetOf(event), true, options)].join(' '), MAX_TEXT);
}

/** `HIGH: StopLogging on …`: the headline as text (still escaped and set apart); the level word when a rule matched. */
function plainHeadline(event: TrailEvent, level: Level, options: FormatOptions): string {
  const call = describeCall(event, targetOf(event), false, options);
  return level === 'informational' ? call : `${levelWord(level)}: ${call}`;
}

/** The console link to the event, or to the region's Event history when the event cannot be linked. */
function linkLine(event: TrailEvent, consoleDomain: string | undefined): string | undefined {
  const eventUrl = consoleEventUrl(event, consoleDomain);
  if (eventUrl !== undefined) return formatLink(eventUrl, 'View this event in the CloudTrail console');
  const historyUrl = consoleHistoryUrl(event.region, consoleDomain);
  return historyUrl === undefined ? undefined : formatLink(historyUrl, `CloudTrail Event history (${event.region})`);
}

/** The event's one legacy attachment: colour bar, context line, console link and the informative fields. */
export function eventAttachment(event: TrailEvent, options: FormatOptions = {}): SlackAttachment {
  const { level, matched } = severityOf(options);
  const link = linkLine(event, options.consoleDomain);
  return {
    color: eventColour(event, level),
    fallback: `${truncate(plainHeadline(event, level, options), MAX_TEXT)} · Event ID: ${valueText(event.id, MAX_ID)}`,
    text: link === undefined ? contextLine(event) : `${contextLine(event)}\n${link}`,
    fields: eventFields(event, matched, targetOf(event)),
    mrkdwn_in: ['text', 'fields'],
  };
}

/**
 * Insights and nameless records keep their own messages (format-other.ts); they take the options too: the mention,
 * the level's marker, colour and rule titles when a rule matched them.
 */
function decorateOther(message: SlackMessage, options: FormatOptions): SlackMessage {
  const { level, matched } = severityOf(options);
  const marker = LEVEL_MARKERS[level];
  const text = withMention(marker === undefined ? message.text : `${marker} ${message.text}`, options);
  const [first, ...rest] = message.attachments ?? [];
  if (first === undefined || matched.length === 0) return { ...message, text };
  const fields = [...rulesField(matched), ...(first.fields ?? [])];
  return { ...message, text, attachments: [{ ...first, color: levelColour(level), fields }, ...rest] };
}

/** The rich message for one event; `options` as FormatOptions documents. */
export function formatEventMessage(event: TrailEvent, options: FormatOptions = {}): SlackMessage {
  const links = { eventUrl: consoleEventUrl(event, options.consoleDomain), historyUrl: consoleHistoryUrl(event.region, options.consoleDomain) };
  const other = formatOtherMessage(event, links, { account: options.account, accounts: options.accounts });
  if (other !== undefined) return decorateOther(other, options);
  return {
    text: withMention(eventHeadline(event, options), options),
    attachments: [eventAttachment(event, options)],
    unfurl_links: false,
    unfurl_media: false,
  };
}

/**
 * The minimal message sent once when Slack answers `invalid_payload` to the rich one: escaped text only, with the
 * mention, the level word (`HIGH: …`) and the matched rules' titles.
 */
export function formatPlainMessage(event: TrailEvent, options: FormatOptions = {}): SlackMessage {
  const { level, matched } = severityOf(options);
  const other = formatOtherPlain(event);
  if (other !== undefined) {
    const text = level === 'informational' ? other.text : `${levelWord(level)}: ${other.text}`;
    return { ...other, text: withMention(text, options) };
  }
  const when = isoTimeOf(event.time) ?? 'unknown time';
  const titles = matched.slice(0, MAX_RULES_SHOWN).map((hit) => safeText(String(hit.title), MAX_TITLE));
  const more = matched.length > MAX_RULES_SHOWN ? ` and ${matched.length - MAX_RULES_SHOWN} more` : '';
  const rules = titles.length === 0 ? '' : ` · rules: ${titles.join('; ')}${more}`;
  const text = `${truncate(plainHeadline(event, level, options), MAX_TEXT)} at ${when}${rules} · Event ID: ${valueText(event.id, MAX_ID)}`;
  return { text: withMention(text, options), unfurl_links: false, unfurl_media: false };
}
