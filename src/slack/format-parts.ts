import type { AccountNameSource } from './account-text';
import { formatLink } from './escape';
import type { SlackAttachment } from './types';

/**
 * Small pieces shared by the messages for records that are not API calls (format-insight.ts, format-unnamed.ts):
 * times, links and field lists. Every value that comes from an event is escaped by the caller (escape.ts).
 */

export type Field = NonNullable<SlackAttachment['fields']>[number];

/** The links a message carries: already built and validated by format.ts (consoleEventUrl, consoleHistoryUrl). */
export interface MessageLinks {
  eventUrl?: string;
  historyUrl?: string;
}

/**
 * The account a message names when its record names none (FormatOptions.account: the target's, else the daemon's
 * own) and the names of accounts (FormatOptions.accounts).
 */
export interface MessageAccount {
  account?: string;
  accounts?: AccountNameSource;
}

/** `2023-07-10T11:42:18Z`, or undefined when the time is unknown (0) or out of Date's range. */
export function isoTimeOf(ms: number): string | undefined {
  if (!Number.isFinite(ms) || ms <= 0 || ms > 8.64e15) return undefined;
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z');
}

/** Slack's date token (each reader's own zone) with a UTC fallback after `|`; 'unknown' without a time. */
export function slackDateOf(ms: number): string {
  const iso = isoTimeOf(ms);
  if (iso === undefined) return 'unknown';
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time_secs}|${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC>`;
}

/** The attachment text with the console links, or undefined when there are none. */
export function linksText(links: MessageLinks, region: string): string | undefined {
  const parts = [
    links.eventUrl && formatLink(links.eventUrl, 'View this event in the CloudTrail console'),
    links.historyUrl && formatLink(links.historyUrl, `CloudTrail Event history (${region})`),
  ].filter((part): part is string => typeof part === 'string' && part !== '');
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

/** A number as people read it: 3 significant digits (`0.0000982`, `14`, `657`, `1.23e+21`). */
export function readableNumber(n: number): string {
  return String(Number(n.toPrecision(3)));
}

/** Minutes as `1 minute`, `26 minutes`, `3.5 hours`, `7.1 days`. */
export function readableMinutes(minutes: number): string {
  if (minutes < 120) return `${readableNumber(minutes)} minute${minutes === 1 ? '' : 's'}`;
  if (minutes < 2 * 1440) return `${Number((minutes / 60).toFixed(1))} hours`;
  return `${Number((minutes / 1440).toFixed(1))} days`;
}
