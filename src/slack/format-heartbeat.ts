import type { BoardTotals, TargetView } from '../observability/status-board';
import type { EventOutcome, LookupOutcome, SlackOutcome } from '../observability/telemetry';
import { describeAccount } from '../targets/target';
import { safeText } from './escape';
import { isoTimeOf, readableMinutes } from './format-parts';
import type { SlackMessage } from './types';

/**
 * The daily heartbeat message (issue 9 item 5, `heartbeat.slackDaily`): one short Slack message that says the
 * daemon is running, with the counts of the period since the previous one. Clearly marked as a heartbeat so nobody
 * takes it for an event. Region names come from the configuration, the profile from a flag; escaped anyway.
 */

export interface HeartbeatReport {
  /** Epoch ms: the start of the period the counts cover (the previous heartbeat, or this process's start). */
  since: number;
  /** Whether `since` is this process's start (no heartbeat sent by it yet). */
  sinceStart: boolean;
  now: number;
  /** The board's totals now minus at `since` (differenceOf). */
  counts: BoardTotals;
  regions: readonly TargetView[];
  profile?: string;
  /**
   * Per account, when the daemon watches several (issue 10): its targets' states and the events of the period.
   * One account (or none given): no per-account lines, the message reads as before accounts.
   */
  accounts?: readonly AccountCounts[];
}

/** One account's share of a heartbeat period (accountCountsOf). */
export interface AccountCounts {
  /** The account ID; undefined for the daemon's own before STS said. */
  id: string | undefined;
  /** Untrusted text (config or organisation listing): escaped here. */
  name?: string;
  targets: number;
  failing: number;
  /** Events read and posted in the period (per-target counts now minus at the period's start). */
  read: number;
  posted: number;
}

/** Accounts listed one per line; more are summed up in one line (Slack's text stays short, API-FACTS C.2). */
export const MAX_ACCOUNT_LINES = 50;

/** A quiet grey that no event level uses (slack/level-colours.ts): a heartbeat must not look like an event. */
export const HEARTBEAT_COLOUR = '#a0a0a0';

/** Slack's own limit on a field value is far above this; a few hundred names still fit (API-FACTS C.2). */
const MAX_REGION_TEXT = 1500;

export function formatHeartbeatMessage(report: HeartbeatReport): SlackMessage {
  const { counts } = report;
  const e = counts.events;
  const states = groupRegions(report.regions);
  const healthy = states.failing.length === 0 ? 'every region is read' : `${states.failing.length} region(s) failing`;
  const profile = report.profile === undefined ? '' : ` (profile ${safeText(report.profile, 64)})`;
  const text = `:heartbeat: Heartbeat, cloudtrail-slack${profile}: running, ${healthy}.`;
  const minutes = Math.max(0, Math.round((report.now - report.since) / 60_000));
  const period = `${report.sinceStart ? 'Since the daemon started' : 'Since the previous heartbeat'}, ${isoTimeOf(report.since) ?? 'unknown'} (${readableMinutes(minutes)})`;
  const lines = [
    `*Events:* ${e.read} read, ${e.posted} posted, ${e.digested} in digests, ${e.muted} muted, ${e.undeliverable} undeliverable`,
    `*LookupEvents requests:* ${sum(counts.lookups)} (${counts.lookups.throttled} throttled, ${counts.lookups.denied} denied, ${counts.lookups.error} failed)`,
    `*Slack messages:* ${counts.slack.ok} accepted, ${counts.slack.rate_limited} rate-limited (429), ${counts.slack.refused + counts.slack.error} failed`,
    `*Alerts:* ${counts.alerts}`,
    `*Regions:* ${regionLine(states)}`,
    ...accountLines(report.accounts ?? []),
  ];
  return {
    text,
    attachments: [
      {
        color: HEARTBEAT_COLOUR,
        fallback: `${text} ${period}.`,
        title: 'Daily heartbeat (not an event)',
        text: `${period}\n${lines.join('\n')}`,
        mrkdwn_in: ['text'],
        ts: Math.floor(report.now / 1000),
      },
    ],
    unfurl_links: false,
    unfurl_media: false,
  };
}

/** `after − before`, key by key (the board's totals only grow within one process). */
export function differenceOf(after: BoardTotals, before: BoardTotals): BoardTotals {
  const minus = <K extends string>(a: Record<K, number>, b: Record<K, number>) =>
    Object.fromEntries(Object.entries<number>(a).map(([k, v]) => [k, v - (b[k as K] ?? 0)])) as Record<K, number>;
  return {
    lookups: minus<LookupOutcome>(after.lookups, before.lookups),
    events: minus<EventOutcome>(after.events, before.events),
    slack: minus<SlackOutcome>(after.slack, before.slack),
    alerts: after.alerts - before.alerts,
  };
}

type Groups = Record<'ok' | 'catching_up' | 'failing' | 'disabled', string[]>;

/** `eu-west-1` for the daemon's own account (as before accounts), `eu-west-1 of prod (222233334444)` for another. */
function targetName(view: TargetView): string {
  return view.account === undefined ? view.region : `${view.region} of ${describeAccount(view.account, view.accountName)}`;
}

function groupRegions(regions: readonly TargetView[]): Groups {
  const groups: Groups = { ok: [], catching_up: [], failing: [], disabled: [] };
  for (const r of regions) groups[r.state].push(targetName(r));
  return groups;
}

/**
 * Per-account counts of `views` over a period: `baseline` holds each target's counts at the period's start (a
 * target started since counts from 0). Ordered by failing targets (most first), then by name and ID.
 */
export function accountCountsOf(views: readonly TargetView[], baseline: ReadonlyMap<string, { read: number; posted: number }>): AccountCounts[] {
  const byAccount = new Map<string, AccountCounts>();
  for (const view of views) {
    const id = view.accountId;
    const key = id ?? '';
    const entry = byAccount.get(key) ?? { id, ...(view.accountName === undefined ? {} : { name: view.accountName }), targets: 0, failing: 0, read: 0, posted: 0 };
    const before = baseline.get(view.key);
    entry.targets += 1;
    if (view.state === 'failing') entry.failing += 1;
    entry.read += view.counts.read - (before?.read ?? 0);
    entry.posted += view.counts.posted - (before?.posted ?? 0);
    byAccount.set(key, entry);
  }
  const label = (a: AccountCounts) => `${a.name ?? ''}\u0000${a.id ?? ''}`;
  return [...byAccount.values()].sort((a, b) => b.failing - a.failing || label(a).localeCompare(label(b)));
}

/** One line per account when there are several; nothing for one. */
function accountLines(accounts: readonly AccountCounts[]): string[] {
  if (accounts.length < 2) return [];
  const line = (a: AccountCounts) => {
    const who = a.id === undefined ? 'own account (ID not known yet)' : describeAccount(a.id, a.name);
    const failing = a.failing === 0 ? '' : `, ${a.failing} failing`;
    return `• ${safeText(who, 100)}: ${a.targets} region(s)${failing}; ${a.read} events read, ${a.posted} posted`;
  };
  const shown = accounts.slice(0, MAX_ACCOUNT_LINES).map(line);
  const rest = accounts.slice(MAX_ACCOUNT_LINES);
  if (rest.length > 0) {
    const sum = (pick: (a: AccountCounts) => number) => rest.reduce((n, a) => n + pick(a), 0);
    shown.push(`• …and ${rest.length} more accounts: ${sum((a) => a.failing)} region(s) failing; ${sum((a) => a.read)} events read, ${sum((a) => a.posted)} posted`);
  }
  return [`*Accounts:* ${accounts.length}`, ...shown];
}

function regionLine(g: Groups): string {
  const named = (list: string[]) => (list.length === 0 ? '' : ` (${list.join(', ')})`);
  const parts = [`${g.ok.length} ok`];
  if (g.catching_up.length > 0) parts.push(`${g.catching_up.length} catching up${named(g.catching_up)}`);
  parts.push(`${g.failing.length} failing${named(g.failing)}`);
  if (g.disabled.length > 0) parts.push(`${g.disabled.length} disabled${named(g.disabled)}`);
  return safeText(parts.join(', '), MAX_REGION_TEXT);
}

function sum(record: Record<string, number>): number {
  return Object.values(record).reduce((a, b) => a + b, 0);
}
