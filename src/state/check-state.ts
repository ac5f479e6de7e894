/**
 * Sane bounds for every value of a state file, checked on the parsed JSON before its shape is read
 * (region-state.ts parseRegionState): a value out of bounds makes the file corrupt (moved aside, the region
 * restarts from the initial lookback) instead of crashing or stalling the region later, e.g. on
 * `new Date(1e300).toISOString()` (RangeError) or an offset an hour ahead that would skip what happened meanwhile.
 */

/**
 * CloudTrail launched on 2013-11-13 (https://aws.amazon.com/about-aws/whats-new/2013/11/13/announcing-aws-cloudtrail/):
 * no offset, scan end or write of ours can be older. An offset older than Event history's 90 days is fine: a
 * long downtime; the poller reports what aged out (events-expired) and goes on from the retention's start.
 */
export const EARLIEST_MS = Date.UTC(2013, 10, 13);
/** ECMAScript's Date range (±8.64e15 ms, ECMA-262 "Time Values and Time Range"). */
export const MAX_DATE_MS = 8.64e15;
/**
 * How far a clock may step back between two runs (an NTP correction) before an offset ahead of "now" can only
 * come from a damaged or edited file. Such an offset is not clamped to now: that would skip the events since the
 * real offset. Within this tolerance it moves back by the settle window; beyond it the file is corrupt.
 */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;
/** Event IDs are UUIDs (36 characters); anything far longer was not written by us. */
export const MAX_EVENT_ID_CHARS = 256;
/** Whatever each delivered entry carries (`t`, `to`, maybe more in a later format): bounded, each number a time. */
const MAX_ENTRY_FIELDS = 8;
/** The state format this code writes; it reads this one and version 1 (migrated, region-state.ts). */
export const STATE_VERSION = 2;
/**
 * A webhook name as the config spells it (`slack.webhooks` keys, route `to` lists): what a delivered entry's `to`
 * and a journal line's `to` may hold. One entry lists at most MAX_WEBHOOKS_PER_EVENT of them, so the config must
 * not route one event to more webhooks than that.
 */
export const WEBHOOK_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const MAX_WEBHOOKS_PER_EVENT = 16;

/**
 * Why the parsed state file `value` is out of bounds, or undefined when every value is sane. With `now` (loading)
 * the offset may not be more than FUTURE_TOLERANCE_MS ahead of it; without (saving, where the offset is planned
 * in AWS's time) only the fixed bounds apply. Field types are region-state.ts's to check; wrong types pass here.
 * A version newer than STATE_VERSION is refused first: its fields may mean something else.
 */
export function checkStateBounds(value: unknown, now?: number): string | undefined {
  if (!isObject(value)) return undefined;
  const { version, offset, updatedAt, lastScanEnd, lastFullScanEnd, delivered } = value;
  if (typeof version === 'number' && version > STATE_VERSION) {
    return `version ${version} was written by a newer cloudtrail-slack; this one reads versions 1 and ${STATE_VERSION} (a downgrade is refused)`;
  }
  const latest = now === undefined ? MAX_DATE_MS : now + FUTURE_TOLERANCE_MS;
  if (typeof offset === 'number' && !(offset >= EARLIEST_MS && offset <= latest)) {
    return `offset ${describeTime(offset)} is not between ${iso(EARLIEST_MS)} and ${now === undefined ? 'the end of time' : 'now'}`;
  }
  for (const [name, time] of [['updatedAt', updatedAt], ['lastScanEnd', lastScanEnd], ['lastFullScanEnd', lastFullScanEnd]] as const) {
    // A future scan end or write time is a clock that stepped back: the store drops or ignores it, not corrupt.
    if (typeof time === 'number' && !(time >= EARLIEST_MS && time <= MAX_DATE_MS)) {
      return `${name} ${describeTime(time)} is not a time since ${iso(EARLIEST_MS)}`;
    }
  }
  if (!isObject(delivered)) return undefined;
  for (const [id, entry] of Object.entries(delivered)) {
    if (!isStorableEventId(id)) {
      return `delivered has an event ID that is empty, longer than ${MAX_EVENT_ID_CHARS} characters or holds control characters`;
    }
    const problem = checkEntry(entry);
    if (problem !== undefined) return `delivered[${JSON.stringify(id)}]${problem.startsWith('.') ? '' : ' '}${problem}`;
  }
  return undefined;
}

/** A delivered entry: a time (version 1) or `{ t, to }` (version 2), each number a time, `to` webhook names. */
function checkEntry(entry: unknown): string | undefined {
  const times = typeof entry === 'number' ? [entry] : isObject(entry) ? Object.values(entry) : [];
  if (times.length > MAX_ENTRY_FIELDS) return `has more than ${MAX_ENTRY_FIELDS} fields`;
  // An event's own time can be anything CloudTrail says (even 1970), but it must be a time.
  const bad = times.find((t) => typeof t === 'number' && !isTime(t));
  if (bad !== undefined) return `holds ${describeTime(bad as number)}, not a time`;
  if (!isObject(entry) || !Array.isArray(entry['to'])) return undefined;
  const to: unknown[] = entry['to'];
  if (to.length === 0 || to.length > MAX_WEBHOOKS_PER_EVENT) return `.to lists ${to.length} webhooks, not 1 to ${MAX_WEBHOOKS_PER_EVENT}`;
  const odd = to.find((name) => !isWebhookName(name));
  if (odd !== undefined) return `.to holds ${describeValue(odd)}, not a webhook name`;
  if (new Set(to).size !== to.length) return '.to names a webhook twice';
  return undefined;
}

/** Whether `id` can be a key of `delivered` in a state file (and a journal line): 1–256 characters, no control characters. */
export function isStorableEventId(id: string): boolean {
  // eslint-disable-next-line no-control-regex
  return id.length > 0 && id.length <= MAX_EVENT_ID_CHARS && !/[\u0000-\u001f\u007f]/.test(id);
}

export function isWebhookName(name: unknown): name is string {
  return typeof name === 'string' && WEBHOOK_NAME.test(name);
}

/** A number inside ECMAScript's Date range: `new Date(t).toISOString()` cannot throw. */
export function isTime(t: unknown): t is number {
  return typeof t === 'number' && Math.abs(t) <= MAX_DATE_MS;
}

/** A file's value for a reason line: JSON, cut short (it may be anything, of any length). */
function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 70 ? `${text.slice(0, 70)}…` : text;
}

/** A number as an ISO time when it is one, else as the number itself (toISOString throws outside the range). */
export function describeTime(ms: number): string {
  return Math.abs(ms) <= MAX_DATE_MS ? iso(ms) : String(ms);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
