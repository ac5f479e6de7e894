import type { BoardTotals, TargetView } from '../observability/status-board';
import type { EventOutcome, LookupOutcome, SlackOutcome } from '../observability/telemetry';
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
}

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

function groupRegions(regions: readonly TargetView[]): Groups {
  const groups: Groups = { ok: [], catching_up: [], failing: [], disabled: [] };
  for (const r of regions) groups[r.state].push(r.region);
  return groups;
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
