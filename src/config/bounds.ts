import { EVENT_HISTORY_RETENTION_MS } from '../cloudtrail/retention';
import { MAX_SHARDS } from '../targets/shard';

/**
 * The range of a duration or rate setting, checked once at load (flags, config file keys, environment), with the
 * reason shown next to it. Every duration ends up in a timer or a time window, so each has an upper bound the
 * runtime can honour (and a lower one that makes sense).
 */
export interface Bound {
  min: number;
  max: number;
  /** 'seconds', 'minutes', 'requests per second', … */
  unit: string;
  why: string;
  /** Whole numbers only (a count). */
  integer?: boolean;
}

const DAY_SECONDS = 24 * 60 * 60;
// CloudTrail Event history keeps 90 days (API-FACTS A.3): looking back further finds nothing.
const RETENTION_MINUTES = EVENT_HISTORY_RETENTION_MS / 60_000;

/**
 * Every bounded setting. Sources: LookupEvents' 2 requests/s per account and region (API-FACTS A.4), Slack's 1
 * message/s per webhook (API-FACTS C.1), the 90 days of Event history (A.3); every upper bound of a wait is far
 * below one Node timer's 2^31 − 1 ms (src/lib/timers.ts). The other ends are judgement, and the reason says why.
 */
export const BOUNDS = {
  pollIntervalSeconds: {
    min: 1,
    max: DAY_SECONDS,
    unit: 'seconds',
    why: 'at least the 1 s LookupEvents pace; at most a day, so every region is read daily',
  },
  settleMinutes: {
    min: 1,
    max: 24 * 60,
    unit: 'minutes',
    why: 'how late an event may show up, 15 or more recommended; a day at most, far inside the 90 days of Event history',
  },
  initialLookbackMinutes: { min: 0, max: RETENTION_MINUTES, unit: 'minutes', why: 'Event history keeps 90 days' },
  settleScanIntervalSeconds: {
    min: 1,
    max: DAY_SECONDS,
    unit: 'seconds',
    why: 'late events wait up to this long; a day at most',
  },
  lookupRequestsPerSecond: {
    min: 0.01,
    max: 2,
    unit: 'requests per second',
    why: 'AWS allows 2 LookupEvents requests per second per region; below 0.01 a busy region cannot keep up',
  },
  slackMessagesPerSecond: {
    min: 0.01,
    max: 1,
    unit: 'messages per second',
    why: 'Slack allows about 1 message per second per webhook; below 0.01 a busy account cannot keep up',
  },
  shutdownTimeoutSeconds: {
    min: 0.1,
    max: 600,
    unit: 'seconds',
    why: 'a graceful stop needs well under a minute; keep pm2 kill_timeout or systemd TimeoutStopSec above it',
  },
  alertAfterMinutes: { min: 1, max: 24 * 60, unit: 'minutes', why: 'a problem unreported for over a day is no alert' },
  alertCooldownMinutes: {
    min: 1,
    max: 7 * 24 * 60,
    unit: 'minutes',
    why: 'a problem that stays open is mailed again at least weekly',
  },
  // Issue 8 item 6 (pipeline.md DigestOptions): a digest of one event is no digest; a digest carries at most 50
  // events (API-FACTS O), so a threshold above 1000 would never be reached by one webhook's queue in practice.
  'digest.minEvents': {
    min: 2,
    max: 1000,
    unit: 'events',
    why: 'a digest needs at least 2 events; above 1000 digests would never start',
    integer: true,
  },
  'digest.repeatWindowMinutes': {
    min: 0,
    max: 24 * 60,
    unit: 'minutes',
    why: '0 collapses no repeats; a day at most, like the settle window',
  },
  // Issue 9 item 6: one check costs 1 + 2 × (number of trails) requests against the 10 requests/s of CloudTrail's
  // Get/Describe calls (API-FACTS A.4), so even every minute is cheap; a day at most, so a stopped trail is
  // noticed the same day.
  'trailMonitor.intervalMinutes': {
    min: 1,
    max: 24 * 60,
    unit: 'minutes',
    why: 'how late a stopped or deleted trail may be noticed; a day at most',
  },
  // Issue 9 item 5 (src/monitors/stall-alarm.ts). load.ts also requires more than settleMinutes + the poll interval:
  // a healthy region is that far behind at most, so a lower threshold would ring on a healthy daemon.
  stallAlertMinutes: {
    min: 5,
    max: 7 * 24 * 60,
    unit: 'minutes',
    why: 'the alarm checks every minute; a region behind for over a week has long needed a human',
  },
  // One small GET to a dead man's switch (src/monitors/heartbeat.ts); the stop signal cuts it short in any case.
  'heartbeat.timeoutSeconds': {
    min: 1,
    max: 120,
    unit: 'seconds',
    why: 'a ping service answers within seconds; at most two minutes, so a hung ping never delays the next for long',
  },
} as const satisfies Record<string, Bound>;

export type BoundedSetting = keyof typeof BOUNDS;

/**
 * Config `shards.count` and CLOUDTRAIL_SLACK_SHARD_COUNT (issue 10 item 5): a count, not a duration, so not in
 * BOUNDS (whose settings all land in Config under their own key). Rendezvous hashing costs one sha256 per shard
 * per target (src/targets/shard.ts MAX_SHARDS; API-FACTS N.3 suits up to about 100 shards).
 */
export const SHARD_COUNT: Bound = {
  min: 1,
  max: MAX_SHARDS,
  unit: 'shards',
  why: 'one instance watches up to a few thousand targets; each shard costs a hash per target',
  integer: true,
};

/** "a number of seconds from 1 to 86400 (why)": the expectation a message shows. */
export function describeBound(bound: Bound): string {
  return `a ${bound.integer ? 'whole ' : ''}number of ${bound.unit} from ${bound.min} to ${bound.max} (${bound.why})`;
}

/** A finite number inside the bound (both ends included), and a whole one when the bound says so. */
export function isWithin(bound: Bound, value: unknown): value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < bound.min || value > bound.max) return false;
  return bound.integer !== true || Number.isInteger(value);
}
