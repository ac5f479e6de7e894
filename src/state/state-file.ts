/**
 * The state file's text: reading it (JSON, bounds, version 1 or 2), writing it (version 2, one delivered entry
 * per line), and what loading does to times a stepped-back clock left in the future. Pure but for logging.
 */
import type { Logger } from '../logging/logger';
import { ConfigError } from '../lib/errors';
import { checkStateBounds } from './check-state';
import { parseRegionState, pruneDelivered, type RegionState } from './region-state';

/** A parsed state file, and the version it was written in (1 is migrated to 2 by parseRegionState). */
export function parseStateText(text: string, now: number): { state: RegionState; version: number } | string {
  if (text.trim() === '') return 'empty file';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  const state = checkStateBounds(value, now) ?? parseRegionState(value);
  if (typeof state === 'string') return state;
  return { state, version: (value as { version: number }).version };
}

/**
 * Version 2 JSON: the header fields first, then `delivered` with one entry per line (`"<id>": {"t":…,"to":[…]}`),
 * so a human can read and grep the file and its size grows by about one line per event.
 */
export function serialiseState(state: RegionState): string {
  const head = JSON.stringify(
    {
      version: state.version,
      offset: state.offset,
      lastScanEnd: state.lastScanEnd,
      lastFullScanEnd: state.lastFullScanEnd,
      updatedAt: state.updatedAt,
    },
    null,
    2,
  ).slice(0, -2); // without the closing "\n}"
  const lines = Object.keys(state.delivered).map((id) => {
    const entry = state.delivered[id]!;
    return `    ${JSON.stringify(id)}: ${JSON.stringify({ t: entry.t, to: entry.to })}`;
  });
  const delivered = lines.length === 0 ? '{}' : `{\n${lines.join(',\n')}\n  }`;
  return `${head},\n  "delivered": ${delivered}\n}\n`;
}

/**
 * Takes the future out of a state (a clock that stepped back since it was written): an offset ahead of now (at
 * most FUTURE_TOLERANCE_MS, or the file would be corrupt) resumes one settle window before now, never at now,
 * which would skip what happened since the real offset; a scan end ahead of now is forgotten, so the next scan is
 * a full one. An offset older than Event history's 90 days is kept: the poller's window starts inside the
 * retention and reports the events that aged out (poll-failures reportExpired). Entries below the offset go.
 */
export function settleTimes(state: RegionState, now: number, settleMs: number, file: string, log: Logger): RegionState {
  let next = state;
  if (next.offset > now) {
    const offset = now - settleMs;
    log.warn({ file, offset: new Date(next.offset).toISOString(), resumeAt: new Date(offset).toISOString() },
      'state offset is ahead of the clock (did it step back?); resuming one settle window before now');
    next = { ...next, offset };
  }
  for (const key of ['lastScanEnd', 'lastFullScanEnd'] as const) {
    const end = next[key];
    if (end !== undefined && end > now) {
      next = { ...next };
      delete next[key];
    }
  }
  return pruneDelivered(next);
}

export function describeFileType(stat: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  return stat.isSocket() ? 'a socket' : 'a device';
}

/** Profile and region become part of a file name: nothing that could leave the directory or hide a newline. */
export function checkNamePart(what: 'profile' | 'region', value: string): string {
  // eslint-disable-next-line no-control-regex
  const bad = /[/\\\u0000-\u001f\u007f]/.exec(value)?.[0] ?? (value.includes('..') ? '..' : undefined);
  if (value === '' || bad !== undefined) {
    const found = value === '' ? 'it is empty' : `it contains ${JSON.stringify(bad)}`;
    throw new ConfigError(
      `${what} ${JSON.stringify(value)} cannot be used in a state file name (${found}); ` +
        `use a ${what} name without "/", "\\", ".." or control characters`,
    );
  }
  return value;
}
