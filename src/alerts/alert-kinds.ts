/**
 * Every alert kind the daemon sends, and for each the evidence that its condition is gone. The "recovered" email
 * of a kind goes out when a run (this one, or any later one: the cooldown file remembers open alerts across
 * restarts) first sees that evidence; src/daemon/recover-alerts.ts watches for it.
 */

/** The evidence that clears a condition. */
export type Clearing =
  /** A run (not --dry-run) got past config loading, the pid file and the state-folder probe. */
  | 'started'
  /** LookupEvents answered a request: in any region for a process-wide alert, in its region for a regional one. */
  | 'lookup'
  /** The alert's region answered LookupEvents and then saved its progress: one whole poll went through. */
  | 'region-poll'
  /** A state file was read: any region's for a process-wide alert, its region's for a regional one. */
  | 'state-load'
  /** A state file was written, and no region's latest write has failed. */
  | 'state-save'
  /** Slack accepted a message. */
  | 'slack'
  /** The run has lasted a minute (longer than a crash loop's restarts), or a --once pass succeeded. */
  | 'stable'
  /** The trail monitor's calls answered and its check no longer found this defect (src/monitors/trail-monitor.ts). */
  | 'trail-check'
  /** The alert's region is behind now by less than stallAlertMinutes again (src/monitors/stall-alarm.ts). */
  | 'caught-up'
  /** LookupEvents answered in one of the alert's account's regions (its key is the account ID; issue 10). */
  | 'account-lookup';

export interface AlertKindInfo {
  /** undefined: a notice about something that happened (an event lost, a file set aside); nothing to recover. */
  clearedBy: Clearing | undefined;
  /** Quoted in the "recovered" email: what was seen. */
  note: string;
}

const KINDS: Record<string, AlertKindInfo> = {
  config: { clearedBy: 'started', note: 'the daemon started with a valid configuration' },
  credentials: { clearedBy: 'lookup', note: 'AWS accepts the credentials again' },
  'access-denied': { clearedBy: 'lookup', note: 'LookupEvents is allowed again' },
  fatal: { clearedBy: 'stable', note: 'the daemon has run for a minute (or a whole --once pass) without a fatal error' },
  'slack-refused': { clearedBy: 'slack', note: 'Slack accepts messages again' },
  'slack-failing': { clearedBy: 'slack', note: 'Slack accepts messages again' },
  'region-failing': { clearedBy: 'region-poll', note: 'LookupEvents answers again and the region saved its progress' },
  throttled: { clearedBy: 'region-poll', note: 'LookupEvents answers again and the region saved its progress' },
  'state-unwritable': { clearedBy: 'state-save', note: 'state files are written again' },
  'state-unreadable': { clearedBy: 'state-load', note: 'the state file is read again' },
  stalled: { clearedBy: 'caught-up', note: 'the region has caught up: it is behind by less than stallAlertMinutes again' },
  // Many accounts (issue 10 item 3): keyed by the account ID; the account was paused, or none was usable at start.
  'account-unusable': { clearedBy: 'account-lookup', note: 'the account can be used again: LookupEvents answers in its regions' },
  // Organisation discovery refused at start (issue 10 item 4): the next start that lists the accounts ends it.
  'organizations-denied': { clearedBy: 'started', note: 'the organisation\'s accounts can be listed again' },
  'organizations-not-in-use': { clearedBy: 'started', note: 'the organisation\'s accounts can be listed again' },
  undeliverable: { clearedBy: undefined, note: '' },
  'events-expired': { clearedBy: undefined, note: '' },
  'state-corrupt': { clearedBy: undefined, note: '' },
  // The trail monitor (issue 9 item 6): process-wide (no region), one per defect, for the account as a whole.
  'trail-missing': { clearedBy: 'trail-check', note: 'a multi-region CloudTrail trail exists again' },
  'trail-not-logging': { clearedBy: 'trail-check', note: 'the CloudTrail trail is logging again' },
  'trail-coverage': { clearedBy: 'trail-check', note: 'a CloudTrail trail records global service events again' },
  'trail-selectors': { clearedBy: 'trail-check', note: 'a CloudTrail trail records write management events again' },
  'trail-monitor-denied': {
    clearedBy: 'trail-check',
    note: 'DescribeTrails, GetTrailStatus and GetEventSelectors are allowed again',
  },
};

/** A kind this version does not know (a newer version's, in a shared cooldown file) ends like a crash. */
const UNKNOWN: AlertKindInfo = { clearedBy: 'stable', note: 'the daemon has run for a minute without this alert' };

/** Every known kind, for documentation and tests. */
export const ALERT_KIND_NAMES: readonly string[] = Object.keys(KINDS);

export function alertKindInfo(kind: string): AlertKindInfo {
  return Object.hasOwn(KINDS, kind) ? (KINDS[kind] as AlertKindInfo) : UNKNOWN;
}

/** A notice is emailed (within the cooldown) but never stays open: no "recovered" email follows it. */
export function isNotice(kind: string): boolean {
  return alertKindInfo(kind).clearedBy === undefined;
}
