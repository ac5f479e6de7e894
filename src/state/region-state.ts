/**
 * What the daemon remembers per (profile, region): the consumer offset into CloudTrail Event history and, per
 * event at or after it, the webhooks that accepted it (DESIGN.md, Principles 1 and 2, and "Next shape"). Pure:
 * no I/O, no clock reads. recordDelivered changes the state in place (O(1) per event: no copy of the map);
 * pruneDelivered returns a new state (O(entries), once per scan).
 */
import { createHash } from 'node:crypto';
import { isStorableEventId, STATE_VERSION } from './check-state';

/** One delivered event: `t` decides when it is pruned (window.ts dedupeTime), `to` lists the webhooks that took it. */
export interface DeliveredEntry {
  /** Bookkeeping time, ms: the event's time inside the window that returned it, else that window's end. */
  t: number;
  /** Webhook names (config `slack.webhooks` keys) whose Slack answered `ok`; 1 to 16, each once. */
  to: string[];
}

export interface RegionState {
  version: 2;
  /** Every event with time < offset has been delivered (or was before the first start). ms epoch. */
  offset: number;
  /** Events delivered at or after the offset, by event ID (deliveredKey). Bounded: pruned below the offset. */
  delivered: Record<string, DeliveredEntry>;
  /** End (ms) of the last completed scan of any kind; undefined before the first. */
  lastScanEnd?: number;
  /** End (ms) of the last completed full settle-window scan. */
  lastFullScanEnd?: number;
  updatedAt: number;
}

/** The webhook a version 1 file's IDs were delivered to: the only one there was (SLACK_WEBHOOK_URL). */
export const LEGACY_WEBHOOK = 'default';

const MINUTE_MS = 60_000;

/** State for a region seen for the first time: start `lookbackMinutes` before `now`, nothing delivered. */
export function initialState(now: number, lookbackMinutes: number): RegionState {
  return { version: STATE_VERSION, offset: now - lookbackMinutes * MINUTE_MS, delivered: {}, updatedAt: now };
}

/**
 * The key of event `id` in `delivered`: the ID itself, or for an ID a state file cannot hold (check-state.ts
 * isStorableEventId: empty, over 256 characters, control characters; CloudTrail's are UUIDs, but every value of
 * an answer is untrusted) `#` and its SHA-256, so such an event is still deduplicated and the file still saves.
 */
export function deliveredKey(id: string): string {
  return isStorableEventId(id) ? id : `#${createHash('sha256').update(id).digest('hex')}`;
}

/**
 * Records that `webhook` accepted event `id`, kept until the offset passes `t` (ms). Changes `state.delivered` in
 * place: adds `webhook` to the entry's `to` once, and `t` only grows (an event returned again by a later window is
 * kept as long as that window can be re-read). O(1): the entry is replaced, never changed, so a copy sharing it
 * (pruneDelivered's) is unaffected.
 */
export function recordDelivered(state: RegionState, id: string, webhook: string, t: number): void {
  const key = deliveredKey(id);
  const old = ownEntry(state.delivered, key);
  if (old === undefined) {
    setOwn(state.delivered, key, { t, to: [webhook] });
    return;
  }
  const known = old.to.includes(webhook);
  if (known && !(t > old.t)) return;
  setOwn(state.delivered, key, { t: t > old.t ? t : old.t, to: known ? old.to : [...old.to, webhook] });
}

/** The entry of event `id`, if any webhook accepted it. */
export function deliveredEntry(state: RegionState, id: string): DeliveredEntry | undefined {
  return ownEntry(state.delivered, deliveredKey(id));
}

/** Whether `webhook` accepted event `id`. */
export function isDeliveredTo(state: RegionState, id: string, webhook: string): boolean {
  return deliveredEntry(state, id)?.to.includes(webhook) ?? false;
}

/** Whether any webhook accepted event `id`. */
export function isDelivered(state: RegionState, id: string): boolean {
  return Object.hasOwn(state.delivered, deliveredKey(id));
}

/**
 * A new state without the entries whose `t` is below the offset (the offset alone covers them). The input is not
 * changed. O(entries): for once per scan (window.ts completeScan) and at load, never per event.
 */
export function pruneDelivered(state: RegionState): RegionState {
  const kept: Record<string, DeliveredEntry> = {};
  for (const key of Object.keys(state.delivered)) {
    const entry = state.delivered[key] as DeliveredEntry;
    if (entry.t >= state.offset) setOwn(kept, key, entry);
  }
  return { ...state, delivered: kept };
}

/**
 * Checks a parsed state file (after check-state.ts checkStateBounds) and reads it as version 2: a version 1
 * file's `delivered[id] = time` becomes `{ t: time, to: [LEGACY_WEBHOOK] }`. Returns a new state (unknown keys
 * dropped, nothing shared with `value`) or a short reason why it is unusable; the store treats a reason as a
 * corrupt file.
 */
export function parseRegionState(value: unknown): RegionState | string {
  if (!isPlainObject(value)) return 'not a JSON object';
  const version = value['version'];
  if (version !== 1 && version !== 2) return `unsupported version ${JSON.stringify(version) ?? 'undefined'}`;
  const offset = value['offset'];
  if (!isFiniteNumber(offset)) return 'offset is not a finite number';
  const updatedAt = value['updatedAt'];
  if (!isFiniteNumber(updatedAt)) return 'updatedAt is not a finite number';
  const delivered = value['delivered'];
  if (!isPlainObject(delivered)) return 'delivered is not an object';
  const entries: Record<string, DeliveredEntry> = {};
  for (const id of Object.keys(delivered)) {
    const entry = version === 1 ? migrateEntry(delivered[id]) : readEntry(delivered[id]);
    if (typeof entry === 'string') return `delivered[${JSON.stringify(id)}]${entry.startsWith('.') ? '' : ' '}${entry}`;
    setOwn(entries, id, entry);
  }
  const state: RegionState = { version: STATE_VERSION, offset, delivered: entries, updatedAt };
  for (const key of ['lastScanEnd', 'lastFullScanEnd'] as const) {
    const end = value[key];
    if (end === undefined) continue;
    if (!isFiniteNumber(end)) return `${key} is not a finite number`;
    state[key] = end;
  }
  return state;
}

function migrateEntry(time: unknown): DeliveredEntry | string {
  return isFiniteNumber(time) ? { t: time, to: [LEGACY_WEBHOOK] } : 'is not a finite number';
}

function readEntry(entry: unknown): DeliveredEntry | string {
  if (!isPlainObject(entry)) return 'is not an object';
  const { t, to } = entry;
  if (!isFiniteNumber(t)) return '.t is not a finite number';
  if (!Array.isArray(to) || to.length === 0 || !to.every((name) => typeof name === 'string')) return '.to is not a list of webhook names';
  return { t, to: [...(to as string[])] };
}

function ownEntry(delivered: Record<string, DeliveredEntry>, key: string): DeliveredEntry | undefined {
  return Object.hasOwn(delivered, key) ? delivered[key] : undefined;
}

/** `map[key] = value` as an own property even for "__proto__" (plain assignment would set the prototype). */
function setOwn(map: Record<string, DeliveredEntry>, key: string, value: DeliveredEntry): void {
  if (key === '__proto__') Object.defineProperty(map, key, { value, writable: true, enumerable: true, configurable: true });
  else map[key] = value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
