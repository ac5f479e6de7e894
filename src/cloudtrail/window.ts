/**
 * Window and offset maths: which time range the next LookupEvents scan of a region reads, and how the region's
 * offset moves once a scan is delivered. Pure: plain data and `now` in, plain data out.
 *
 * The model (DESIGN.md principles 1–2): CloudTrail is the queue and `offset` is the consumer offset. Every event
 * with time < offset has been delivered. Events become visible late and out of order, by up to the settle window
 * (AWS: "typically … about 5 minutes … not guaranteed"; up to 15 is commonly seen), so:
 *
 * - a FULL scan reads [offset, now] and afterwards sets offset = now − settle: whatever is older than that was
 *   visible at scan time and has now been delivered. IDs delivered at or after the offset are kept in the state
 *   to skip them when the next scan re-reads them.
 * - a QUICK scan reads only [lastScanEnd − quickOverlap, now]: new events reach Slack within one poll interval
 *   at the cost of one request on a quiet account, without re-reading the whole settle window every poll. Full
 *   scans run every `settleScanInterval`, so an event arriving later than the quick overlap is still delivered at
 *   most one settle-scan interval later.
 * - CATCH-UP after downtime reads the backlog in chunks of `maxWindow` (oldest chunk first), so memory stays
 *   bounded and the offset advances chunk by chunk.
 */
import { pruneDelivered, type RegionState } from '../state/region-state';
import { EVENT_HISTORY_RETENTION_MS } from './retention';

export interface WindowOptions {
  settleMs: number;
  settleScanIntervalMs: number;
  /** How far back a quick scan re-reads before the previous scan's end. */
  quickOverlapMs: number;
  /** Largest window one scan reads while catching up. */
  maxWindowMs: number;
}

export interface ScanPlan {
  kind: 'full' | 'quick' | 'catch-up';
  /** Inclusive bounds, ms since the epoch. */
  start: number;
  end: number;
}

/** Margin inside the retention so a StartTime is never rejected as too old by the time the request lands. */
const RETENTION_MARGIN_MS = 60 * 1000;

export const DEFAULT_QUICK_OVERLAP_MS = 5 * 60 * 1000;
export const DEFAULT_MAX_WINDOW_MS = 60 * 60 * 1000;

/** Decides the next scan. `forceFull` (used by --once) never plans a quick scan. */
export function planScan(state: RegionState, now: number, options: WindowOptions, forceFull = false): ScanPlan {
  const oldest = wholeSecond(now - EVENT_HISTORY_RETENTION_MS + RETENTION_MARGIN_MS + 999);
  // Whole seconds: CloudTrail times have 1-second granularity, and a start rounded down can only re-read events
  // (deduped), never skip one if the service were to truncate a fractional StartTime.
  const offset = wholeSecond(Math.min(Math.max(state.offset, oldest), now));
  if (now - options.settleMs - offset > options.maxWindowMs) {
    return { kind: 'catch-up', start: offset, end: offset + options.maxWindowMs };
  }
  // Scan ends in the future mean the clock stepped back: treat them as now, or a quick start would pass its end.
  const lastScanEnd = state.lastScanEnd === undefined ? undefined : Math.min(state.lastScanEnd, now);
  const lastFullScanEnd = state.lastFullScanEnd === undefined ? undefined : Math.min(state.lastFullScanEnd, now);
  const fullDue =
    forceFull ||
    lastFullScanEnd === undefined ||
    lastScanEnd === undefined ||
    now - lastFullScanEnd >= options.settleScanIntervalMs;
  if (fullDue) return { kind: 'full', start: offset, end: now };
  const start = wholeSecond(Math.max(offset, lastScanEnd - options.quickOverlapMs));
  return { kind: 'quick', start, end: now };
}

/** Where a plan starts later than the state's offset: the events between are past the 90-day retention. */
export function expiredBefore(state: RegionState, plan: ScanPlan): number | undefined {
  return plan.kind !== 'quick' && plan.start > state.offset + 1000 ? plan.start : undefined;
}

function wholeSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

/**
 * The state after a scan was delivered (or skipped on purpose). Only full and catch-up scans move the offset; the
 * offset never moves backwards, never past `end − settle` of a scan, and never past `oldestPending` (ms): the
 * dedupeTime of the oldest event of the scan still held (for a digest) or unsent, so a restart re-reads it.
 * Returns a new state with the entries below the new offset pruned (O(entries), once per scan); `state` is not
 * changed.
 */
export function completeScan(
  state: RegionState,
  plan: ScanPlan,
  options: WindowOptions,
  now: number,
  oldestPending?: number,
): RegionState {
  const next: RegionState = { ...state, lastScanEnd: plan.end, updatedAt: now };
  if (plan.kind === 'quick') return next;
  if (plan.kind === 'full') next.lastFullScanEnd = plan.end;
  const settled = plan.kind === 'catch-up' ? plan.end : plan.end - options.settleMs;
  const limit = Math.min(settled, plan.end, oldestPending ?? Number.POSITIVE_INFINITY);
  // A NaN from a caller's bug keeps the offset where it was: re-reading is safe, skipping is not.
  next.offset = Number.isNaN(limit) ? state.offset : Math.max(state.offset, wholeSecond(limit));
  return pruneDelivered(next);
}

/**
 * The time under which a delivered event's ID is kept in the state (RegionState.delivered), so that pruning
 * (IDs below the offset go) never drops an ID that a later scan could still return. An event's own time is
 * used when it lies inside the window that returned it: a later scan returns it only if its window holds that
 * time, and no scan starts before the offset. An event whose time is outside that window (1970, 0 for unknown,
 * the far future: the service's answer is odd, not its index) may be returned by any scan overlapping this
 * window, so its ID is kept with the window's end, which the offset passes only once no scan reads it again.
 */
export function dedupeTime(eventTime: number, window: { start: number; end: number }): number {
  return eventTime >= window.start && eventTime <= window.end ? eventTime : window.end;
}

/** A catch-up chunk this sparse lets the next one be 4× longer; this dense halves it. */
const SPARSE_CHUNK_EVENTS = 500;
const DENSE_CHUNK_EVENTS = 5_000;
const MAX_CATCH_UP_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The next catch-up chunk's length after one that held `events`: quiet stretches of a long backlog are crossed in
 * a few requests (a month of nothing in ~10, not 720), busy ones in small chunks so memory stays bounded. Never
 * below `baseMs / 4` nor above a week.
 */
export function nextCatchUpWindow(currentMs: number, events: number, baseMs: number): number {
  if (events < SPARSE_CHUNK_EVENTS) return Math.min(currentMs * 4, MAX_CATCH_UP_WINDOW_MS);
  if (events > DENSE_CHUNK_EVENTS) return Math.max(currentMs / 2, baseMs / 4);
  return currentMs;
}

/** Whether the region has read everything up to (about) now: false while a catch-up is under way. */
export function isCaughtUp(plan: ScanPlan): boolean {
  return plan.kind !== 'catch-up';
}
