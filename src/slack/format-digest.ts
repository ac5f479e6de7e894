import { describeIdentity } from '../events/identity';
import type { TrailEvent } from '../events/types';
import { maxLevel } from '../rules/decision';
import { compareItems } from '../pipeline/plan';
import type { QueueItem } from '../pipeline/types';
import { parseTargetKey } from '../targets/target';
import { accountText, MAX_ACCOUNT_ID, type AccountNameSource } from './account-text';
import { collapseRepeats, errorCodeOf, firstResourceOf, fitLines, shownResource, textOf, type DigestLine } from './digest-lines';
import { boldSpan, codeSpan, formatLink, safeText, truncate } from './escape';
import { COLOURS, consoleEventUrl, MAX_TEXT } from './format';
import { levelColour } from './level-colours';
import type { SlackMessage } from './types';

/**
 * Many events of one actor in one region as ONE Slack message (issue 8 item 6): a top-level `text` for the
 * notification (mobile shows only that, API-FACTS O.1) and one attachment whose colour bar is the highest level
 * (O.2) and whose text names every event: one line per event or per run of repeats, each with its time, event
 * name, first resource, `×count`, a deep link (API-FACTS L) and the error code of a failed call.
 *
 * Size: the attachment text stays within DIGEST_TEXT_BUDGET. Lines are drawn rich first; when 50 of them would
 * not fit (long names, hostile values) they are drawn compact, then minimal (time, name, event ID, no link);
 * only if even that fails are the last lines replaced by "…and N more events". Every event-derived string goes
 * through safeText/codeSpan/boldSpan/formatLink; the only raw text is the route's mention (trusted config).
 */

export interface DigestFormatOptions {
  /** Console host without the region, e.g. `console.amazonaws-us-gov.com`; default `console.aws.amazon.com`. */
  consoleDomain?: string;
  /** Repeats of (actor, event name, first resource, error) closer than this share a line; 0 never collapses. */
  repeatWindowMs: number;
  /** The daemon's account (FormatOptions.account): named when neither the record nor the item's target names one. */
  account?: string;
  /** The names of accounts (FormatOptions.accounts): "name (id)" when known. */
  accounts?: AccountNameSource;
}

/** What names the accounts of a digest: the daemon's own account and the names (DigestFormatOptions). */
export type DigestAccounts = Pick<DigestFormatOptions, 'account' | 'accounts'>;

/**
 * Attachment text budget in UTF-16 units. Slack documents no limit for a legacy attachment's text; its nearest
 * documented ones are 12,000 characters for a `markdown` block and about 13k cumulative for blocks (C.2, O.1).
 */
export const DIGEST_TEXT_BUDGET = 11_000;
/** The plain digest is all top-level text: Slack recommends keeping that under 4,000 characters (C.2). */
export const PLAIN_DIGEST_BUDGET = 3_900;
/** Longer links are not drawn (a real one is ~120 characters; a hostile 128-character ID encodes to ~1,150). */
const MAX_LINK_URL = 200;
/** Shown event IDs: a real one is a 36-character GUID. */
const MAX_ID_SHOWN = 40;

interface LineStyle {
  /** `full`: date token with date and time; `time`: time-only token; `plain`: UTC time as text. */
  time: 'full' | 'time' | 'plain';
  link: boolean;
  name: number;
  resource: number;
  error: number;
  /** Show when a run of repeats ended. */
  range: boolean;
}

const STYLES: readonly LineStyle[] = [
  { time: 'full', link: true, name: 64, resource: 80, error: 40, range: true },
  { time: 'time', link: true, name: 32, resource: 32, error: 24, range: false },
  { time: 'plain', link: false, name: 24, resource: 0, error: 16, range: false },
];

/** Year 9999's last millisecond: later years print as `+010000-…`, which the slices below would garble. */
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** `2023-07-10T11:42:18Z`, or undefined when the time is unknown (0) or past year 9999. */
function isoOf(ms: number): string | undefined {
  if (!Number.isFinite(ms) || ms <= 0 || ms > MAX_TIME) return undefined;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A Slack date token (rendered in the reader's zone) with a UTC fallback, or the UTC time as text. */
function timeOf(ms: number, style: LineStyle['time']): string {
  const iso = isoOf(ms);
  if (iso === undefined) return 'unknown time';
  const epoch = Math.floor(ms / 1000);
  const clock = iso.slice(11, 19);
  if (style === 'plain') return `${clock}Z`;
  if (style === 'time') return `<!date^${epoch}^{time_secs}|${clock} UTC>`;
  return `<!date^${epoch}^{date_short_pretty} {time_secs}|${iso.slice(0, 10)} ${clock} UTC>`;
}

/**
 * `accountOfLine`: the account to name at the end of each line, when the digest mixes accounts (undefined: the
 * summary names the one account).
 */
function renderLine(line: DigestLine, style: LineStyle, consoleDomain: string | undefined, accountOfLine?: (item: QueueItem) => string): string {
  const [first] = line.items;
  const last = line.items[line.items.length - 1];
  if (first === undefined || last === undefined) return '';
  const event = first.event;
  const url = style.link ? eventUrlOf(event, consoleDomain) : undefined;
  const linked = url !== undefined && url.length <= MAX_LINK_URL;
  const parts = [timeOf(event.time, style.time)];
  // A backtick in the name would pair with a code span's later on the line and swallow the text between.
  const name = event.name.replace(/`/g, '\u02cb');
  if (linked) parts.push(linkOf(url, name, style.name));
  else parts.push(style.link ? boldSpan(name, style.name) : safeText(name, style.name));
  const resource = firstResourceOf(event);
  if (resource !== undefined && style.resource > 0) parts.push(codeSpan(shownResource(resource), style.resource));
  if (!linked) parts.push(codeSpan(event.id || '(no event ID)', MAX_ID_SHOWN));
  if (line.items.length > 1) {
    parts.push(`×${line.items.length}`);
    if (style.range) parts.push(`(until ${timeOf(last.event.time, 'time')})`);
  }
  const error = errorCodeOf(event);
  if (error !== undefined) parts.push(`:x: ${codeSpan(error, style.error)}`);
  if (accountOfLine !== undefined) parts.push(`· ${accountOfLine(first)}`);
  return parts.join(' ');
}

/** The console link, or undefined when it cannot be built (encodeURIComponent throws on a lone surrogate). */
function eventUrlOf(event: TrailEvent, consoleDomain: string | undefined): string | undefined {
  try {
    return consoleEventUrl(event, consoleDomain);
  } catch {
    return undefined;
  }
}

/**
 * `<url|name>` with the name cut to `max` escaped code points (a `|` cannot end the link text). Not wrapped in
 * `*…*`: a link is already set apart, and the previews do not parse emphasis around a link.
 */
function linkOf(url: string, name: string, max: number): string {
  const shown = safeText(name.replace(/\|/g, '\u00a6'), max);
  // formatLink escapes its text itself: hand it the cut text unescaped, so the cut happens once, here.
  return formatLink(url, shown.replace(/&(lt|gt|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&' })[e] ?? ''));
}

/**
 * The account of an item's call: the record's recipientAccountId, else the caller's, else the account of the
 * target it was read from (`<account-id>/<region>`), else the daemon's own (`fallback`).
 */
function accountOf(item: QueueItem, fallback: string | undefined): string | undefined {
  const record = item.event.record;
  return textOf(record?.recipientAccountId) ?? textOf(record?.userIdentity?.accountId) ?? parseTargetKey(item.target).account ?? fallback;
}

/** The distinct accounts of `items` (accountOf), in first-seen order. */
function accountsOf(items: readonly QueueItem[], fallback: string | undefined): string[] {
  return distinct(items.map((i) => accountOf(i, fallback)));
}

function distinct<T>(values: Iterable<T | undefined>): T[] {
  return [...new Set([...values].filter((v): v is T => v !== undefined))];
}

/** Trusted mentions from the routes (config), each once, in order; never anything from an event. */
function mentionsOf(items: readonly QueueItem[]): string {
  return distinct(items.map((i) => (i.mention?.trim() ? i.mention.trim() : undefined))).join(' ');
}

/**
 * `12 changes (2 failed) by Deployer/terraform (AssumedRole) in eu-west-1 (account prod (111122223333))`, escaped;
 * `(3 accounts)` when they mix accounts (each line then names its own).
 */
function summaryOf(items: readonly QueueItem[], named: DigestAccounts): string {
  const failed = items.filter((i) => errorCodeOf(i.event) !== undefined).length;
  const n = items.length;
  const what =
    failed === n ? `${n} failed call${n === 1 ? '' : 's'}` : `${n} change${n === 1 ? '' : 's'}${failed > 0 ? ` (${failed} failed)` : ''}`;
  const actors = distinct(items.map((i) => i.actor));
  const first = items[0]?.event;
  const who = first === undefined ? undefined : describeIdentity(first);
  const by =
    actors.length === 1 && who !== undefined
      ? `${safeText(who.name, 128)} (${safeText(who.type, 64)})`
      : `${actors.length} principals`;
  const regions = distinct(items.map((i) => i.event.region));
  const where = regions.length === 1 ? safeText(regions[0] ?? '', 64) : `${regions.length} regions`;
  const accounts = accountsOf(items, named.account);
  const account =
    accounts.length === 1 ? ` (account ${accountText(accounts[0] ?? '', named.accounts)})` : accounts.length > 1 ? ` (${accounts.length} accounts)` : '';
  return truncate(`${what} by ${by} in ${where}${account}`, MAX_TEXT);
}

const moreEvents = (n: number): string => `…and ${n} more event${n === 1 ? '' : 's'}`;

/** Failed calls only: the failed-call purple; else the colour of the highest level. */
function colourOf(items: readonly QueueItem[]): string {
  if (items.length > 0 && items.every((i) => errorCodeOf(i.event) !== undefined)) return COLOURS.failed;
  return levelColour(maxLevel(items.map((i) => i.decision.level)));
}

/** The digest message for the items of one planNext() digest (any count works; the planner gives ≤ 50). */
export function formatDigestMessage(items: readonly QueueItem[], options: DigestFormatOptions): SlackMessage {
  const summary = summaryOf(items, options);
  const mentions = mentionsOf(items);
  const lines = collapseRepeats(items, options.repeatWindowMs);
  const counts = lines.map((line) => line.items.length);
  const mixed = accountsOf(items, options.account).length > 1;
  // Mixed accounts: rich lines name theirs ("name (id)"), the compact and minimal ones the ID alone.
  const lineAccount = (style: LineStyle) =>
    !mixed ? undefined : (item: QueueItem) => {
      const id = accountOf(item, options.account) ?? 'unknown account';
      return style.time === 'full' ? accountText(id, options.accounts) : safeText(id, MAX_ACCOUNT_ID);
    };
  const renderers = STYLES.map((style) => () => lines.map((line) => renderLine(line, style, options.consoleDomain, lineAccount(style))));
  const body = fitLines(renderers, counts, DIGEST_TEXT_BUDGET, moreEvents);
  const latest = items.reduce((max, i) => Math.max(max, i.event.time), 0);
  return {
    text: mentions === '' ? summary : `${mentions} ${summary}`,
    attachments: [
      {
        color: colourOf(items),
        fallback: summary,
        text: body.text,
        mrkdwn_in: ['text'],
        ...(isoOf(latest) === undefined ? {} : { ts: Math.floor(latest / 1000) }),
      },
    ],
    unfurl_links: false,
    unfurl_media: false,
  };
}

/** Plain lines, richest first: the last (event IDs only) always fits 50 events in PLAIN_DIGEST_BUDGET. */
const PLAIN_STYLES: ReadonlyArray<(event: TrailEvent) => string> = [
  (e) => [isoOf(e.time) ?? 'unknown time', safeText(e.name, 40), safeText(shownResource(firstResourceOf(e) ?? '-'), 40), `ID ${safeText(e.id, MAX_ID_SHOWN)}`].join(' '),
  (e) => [timeOf(e.time, 'plain'), safeText(e.name, 24), `ID ${safeText(e.id, MAX_ID_SHOWN)}`].join(' '),
  (e) => safeText(e.id, MAX_ID_SHOWN),
];

/**
 * Text only, one line per event (no repeats folded): sent once when Slack refuses the rich digest. Mixed accounts:
 * each line ends with its account's ID.
 */
export function formatPlainDigest(items: readonly QueueItem[], named: DigestAccounts = {}): SlackMessage {
  const mentions = mentionsOf(items);
  const head = `${mentions === '' ? '' : `${mentions} `}${summaryOf(items, named)}:`;
  const sorted = [...items].sort(compareItems);
  const mixed = accountsOf(items, named.account).length > 1;
  const withAccount = (item: QueueItem, line: string) =>
    mixed ? `${line} · ${safeText(accountOf(item, named.account) ?? 'unknown account', MAX_ACCOUNT_ID)}` : line;
  const renderers = PLAIN_STYLES.map((render) => () => sorted.map((item) => withAccount(item, render(item.event))));
  const body = fitLines(renderers, sorted.map(() => 1), PLAIN_DIGEST_BUDGET - head.length - 1, moreEvents);
  return { text: `${head}\n${body.text}`, unfurl_links: false, unfurl_media: false };
}
