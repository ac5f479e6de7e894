/**
 * What the daemon remembers per (profile, region): the consumer offset into CloudTrail Event history and the
 * IDs already delivered at or after it (DESIGN.md, Principles 1 and 2). Pure data and pure helpers: no I/O,
 * no clock reads, and every helper returns a new object.
 */
export interface RegionState {
  version: 1;
  /** Every event with time < offset has been delivered (or was before the first start). ms epoch. */
  offset: number;
  /** Events delivered with time >= offset: id → event time (ms). Bounded: pruned below offset. */
  delivered: Record<string, number>;
  /** End (ms) of the last completed scan of any kind; undefined before the first. */
  lastScanEnd?: number;
  /** End (ms) of the last completed full settle-window scan. */
  lastFullScanEnd?: number;
  updatedAt: number;
}

const MINUTE_MS = 60_000;

/** State for a region seen for the first time: start `lookbackMinutes` before `now`, nothing delivered. */
export function initialState(now: number, lookbackMinutes: number): RegionState {
  return { version: 1, offset: now - lookbackMinutes * MINUTE_MS, delivered: {}, updatedAt: now };
}

/** Records that Slack accepted event `id` (event time `time`, ms). */
export function markDelivered(state: RegionState, id: string, time: number): RegionState {
  // A computed key defines an own property even for "__proto__", so an odd ID cannot touch the prototype.
  return { ...state, delivered: { ...state.delivered, [id]: time } };
}

export function isDelivered(state: RegionState, id: string): boolean {
  return Object.hasOwn(state.delivered, id);
}

/** Drops the IDs of events older than the offset: the offset alone already covers them. */
export function pruneDelivered(state: RegionState): RegionState {
  const kept = Object.entries(state.delivered).filter(([, time]) => time >= state.offset);
  return { ...state, delivered: Object.fromEntries(kept) };
}

/**
 * Checks a parsed state file. Returns the state (unknown keys dropped) or a short reason why it is unusable;
 * the store treats any reason as a corrupt file.
 */
export function parseRegionState(value: unknown): RegionState | string {
  if (!isPlainObject(value)) return 'not a JSON object';
  if (value['version'] !== 1) return `unsupported version ${JSON.stringify(value['version']) ?? 'undefined'}`;
  const offset = value['offset'];
  if (!isFiniteNumber(offset)) return 'offset is not a finite number';
  const updatedAt = value['updatedAt'];
  if (!isFiniteNumber(updatedAt)) return 'updatedAt is not a finite number';
  const delivered = value['delivered'];
  if (!isPlainObject(delivered)) return 'delivered is not an object';
  for (const [id, time] of Object.entries(delivered)) {
    if (!isFiniteNumber(time)) return `delivered[${JSON.stringify(id)}] is not a finite number`;
  }
  const state: RegionState = { version: 1, offset, delivered: { ...delivered } as Record<string, number>, updatedAt };
  for (const key of ['lastScanEnd', 'lastFullScanEnd'] as const) {
    const end = value[key];
    if (end === undefined) continue;
    if (!isFiniteNumber(end)) return `${key} is not a finite number`;
    state[key] = end;
  }
  return state;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
