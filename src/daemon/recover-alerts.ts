import { alertKindInfo, isNotice, type Clearing } from '../alerts/alert-kinds';
import { alertKey } from '../alerts/alert-state';
import type { Alerter, AlertInput } from '../alerts/alerter';
import type { LookupClient } from '../cloudtrail/client';
import { parseTargetKey } from '../targets/target';

/** What a run reports as it works; each piece may show that an alert's condition is gone (alerts/alert-kinds.ts). */
export type Evidence =
  | { type: 'started' }
  | { type: 'lookup'; region: string }
  | { type: 'state-load'; region: string }
  | { type: 'state-save'; region: string }
  | { type: 'state-save-failed'; region: string }
  | { type: 'slack' }
  | { type: 'stable' }
  /** The trail monitor's calls answered; `found`: the trail alert kinds its check still finds. */
  | { type: 'trail-check'; found: readonly string[] }
  /** The stall alarm saw `region` behind by less than stallAlertMinutes (src/monitors/stall-alarm.ts). */
  | { type: 'caught-up'; region: string };

export interface AlertRecovery {
  /** Hand this alerter to everything else: the alerts it raises are watched for their clearing too. */
  readonly alerter: Alerter;
  /** Learns which alerts an earlier run left open (the cooldown file). Call once, before the first `observe`. */
  start(): Promise<void>;
  /** Sends the "recovered" email of every open alert this evidence clears. Never throws; the emails are `track`ed. */
  observe(evidence: Evidence): void;
  /** Whether an alert of (kind, region) is open: raised by this run, or left open by an earlier one. */
  isOpen(kind: string, region?: string): boolean;
}

/** pm2 resets its restart backoff after 30 s of uptime; a run twice that long is no longer part of a crash loop. */
export const STABLE_AFTER_MS = 60_000;

interface OpenAlert {
  kind: string;
  region: string | undefined;
}

/**
 * The one place where alerts end. Every kind that can be open when a process exits (alerts/alert-kinds.ts lists
 * them and what clears each) is closed by the first run, this one or a later one, that sees its evidence. Open
 * alerts are known from the cooldown file at start and from the alerts raised since, so each evidence costs a
 * lookup in a small map, and the alerter is asked only about alerts that are open.
 */
export function createAlertRecovery(
  inner: Alerter,
  /**
   * `regions`: the target keys polled (the single account's: its regions), or a function giving them once known
   * (discovery). `accounts`: with many accounts, the IDs watched, paused ones included (an account alert's key).
   */
  options: { regions: readonly string[] | (() => readonly string[]); accounts?: () => readonly string[]; track: (work: Promise<void>) => void },
): AlertRecovery {
  const open = new Map<string, OpenAlert>();
  const polledNow = () => new Set(typeof options.regions === 'function' ? options.regions() : options.regions);
  /** Regions whose LookupEvents answered in this run; regions whose latest state write failed. */
  const answered = new Set<string>();
  const failingSaves = new Set<string>();

  const recover = (alert: OpenAlert, note: string) => {
    open.delete(alertKey(alert.kind, alert.region));
    options.track(inner.recovered(alert.kind, alert.region, note));
  };

  /** Closes the open alerts cleared by `clearing`: a process-wide one always, a regional one when `region` is its region or unset. */
  const clear = (clearing: Clearing, region?: string, unless: readonly string[] = []) => {
    for (const alert of [...open.values()]) {
      const info = alertKindInfo(alert.kind);
      if (info.clearedBy !== clearing || unless.includes(alert.kind)) continue;
      if (alert.region !== undefined && region !== undefined && alert.region !== region) continue;
      recover(alert, info.note);
    }
  };

  const alerter: Alerter = {
    alert(input: AlertInput) {
      if (!isNotice(input.kind)) open.set(alertKey(input.kind, input.region), { kind: input.kind, region: input.region });
      return inner.alert(input);
    },
    recovered(kind, region, note) {
      open.delete(alertKey(kind, region));
      return inner.recovered(kind, region, note);
    },
    openAlerts: () => inner.openAlerts(),
  };

  return {
    alerter,
    async start() {
      for (const alert of await inner.openAlerts()) open.set(alertKey(alert.kind, alert.region), alert);
    },
    isOpen: (kind, region) => open.has(alertKey(kind, region)),
    observe(evidence) {
      switch (evidence.type) {
        case 'started':
          clear('started');
          // A region (or an account) taken out of the configuration is no longer failing anywhere this daemon looks.
          const polled = polledNow();
          for (const id of options.accounts?.() ?? []) polled.add(id);
          for (const alert of [...open.values()]) {
            if (alert.region !== undefined && !polled.has(alert.region)) recover(alert, 'the region is no longer polled');
          }
          return;
        case 'lookup': {
          answered.add(evidence.region);
          clear('lookup', evidence.region);
          // An account's alert is keyed by its ID: any of its regions answering ends it (and, unkeyed, the fatal one).
          const account = parseTargetKey(evidence.region).account;
          if (account !== undefined) clear('account-lookup', account);
          return;
        }
        case 'state-load':
          return clear('state-load', evidence.region);
        case 'state-save':
          failingSaves.delete(evidence.region);
          if (answered.has(evidence.region)) clear('region-poll', evidence.region);
          if (failingSaves.size === 0) clear('state-save', evidence.region);
          return;
        case 'state-save-failed':
          failingSaves.add(evidence.region);
          return;
        case 'slack':
          return clear('slack');
        case 'stable':
          return clear('stable');
        case 'trail-check':
          return clear('trail-check', undefined, evidence.found);
        case 'caught-up':
          return clear('caught-up', evidence.region);
      }
    },
  };
}

/** The client as the poller sees it, reporting each page LookupEvents answered (credentials and access work). */
export function observeLookups(client: LookupClient, answered: () => void): LookupClient {
  return {
    lookupEvents: async (input, signal) => {
      const page = await client.lookupEvents(input, signal);
      answered();
      return page;
    },
    serverClockOffsetMs: () => client.serverClockOffsetMs?.() ?? 0,
  };
}
