import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Clock } from '../lib/clock';
import { writeFileAtomic } from '../lib/atomic-write';
import { ConfigError, DaemonError, errnoOf } from '../lib/errors';
import type { Logger } from '../logging/logger';
import { initialState, parseRegionState, pruneDelivered, type RegionState } from './region-state';

/** The part of node:fs/promises the store uses; tests pass a copy with one function replaced to inject failures. */
export type StateFs = Pick<typeof fsp, 'mkdir' | 'readFile' | 'open' | 'rename' | 'rm' | 'copyFile' | 'lstat'>;

export interface StateStoreOptions {
  dir: string;
  profile: string;
  clock: Clock;
  log: Logger;
  fs?: StateFs;
  /** --dry-run: read state as usual but never write: no legacy upgrade, no corrupt file moved aside. */
  readOnly?: boolean;
}

export type LoadSource = 'new' | 'file' | 'legacy' | 'corrupt';

export interface StateStore {
  /** `<dir>/.<profile>.<region>.cloudtrail.state`, the Ruby original's name. */
  pathFor(region: string): string;
  load(region: string, options: { initialLookbackMinutes: number }): Promise<{ state: RegionState; source: LoadSource }>;
  /** Atomic (temp file, fsync, rename), mode 0600, serialised per region. Writes `updatedAt` = clock.now(). */
  save(region: string, state: RegionState): Promise<void>;
  /** Appends one JSON line to `<dir>/.<profile>.<region>.undeliverable.jsonl`. Keep secrets out of `error`. */
  recordUndeliverable(region: string, entry: UndeliverableEntry): Promise<void>;
}

export interface UndeliverableEntry {
  id: string;
  name: string;
  time: number;
  error: string;
  at: number;
}

/** The state directory or a file in it could not be written. Message names the path, errno and what to do. */
export class StateWriteError extends DaemonError {
  override name = 'StateWriteError';
  constructor(
    readonly path: string,
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A state file exists but cannot be read (permissions, a directory in its place, I/O error). */
export class StateReadError extends DaemonError {
  override name = 'StateReadError';
  constructor(
    readonly path: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(`cannot read state file ${path} (${code}): check that it is a file readable by this user`, options);
  }
}


/**
 * The Ruby original's one line, in the server's local time. Ruby's Time#to_s also appends " +hhmm"; honour it
 * when present.
 */
const LEGACY_LINE = /^latest_event_time=(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?: ?([+-])(\d{2}):?(\d{2}))?$/;

export function createStateStore(options: StateStoreOptions): StateStore {
  const { dir, clock, log } = options;
  const fs = options.fs ?? fsp;
  const profile = checkNamePart('profile', options.profile);
  const chains = new Map<string, Promise<void>>();

  function pathFor(region: string): string {
    return path.join(dir, `.${profile}.${checkNamePart('region', region)}.cloudtrail.state`);
  }

  /** Runs `task` after every earlier task with the same key has settled, so two renames never race. */
  function serialise(key: string, task: () => Promise<void>): Promise<void> {
    const next = (chains.get(key) ?? Promise.resolve()).then(task);
    // The chain itself never rejects, so one failed save does not fail the saves queued behind it.
    const tail: Promise<void> = next.then(
      () => forget(),
      () => forget(),
    );
    const forget = () => {
      if (chains.get(key) === tail) chains.delete(key);
    };
    chains.set(key, tail);
    return next;
  }

  async function load(region: string, { initialLookbackMinutes }: { initialLookbackMinutes: number }) {
    const file = pathFor(region);
    const now = clock.now();
    const rlog = log.child({ region });
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') {
        return { state: clamp(initialState(now, initialLookbackMinutes), now, file, rlog), source: 'new' as const };
      }
      throw new StateReadError(file, errnoOf(error), { cause: error });
    }

    const legacyOffset = parseLegacy(text);
    if (legacyOffset !== undefined) {
      // Offset = the recorded second itself, not +1 s as the original did: the original's +1 s lost events that
      // shared that second. Re-reading it is safe because the poller's settle window dedupes by event ID.
      const state = clamp({ version: 1, offset: legacyOffset, delivered: {}, updatedAt: now }, now, file, rlog);
      if (options.readOnly) {
        rlog.info({ file }, 'read a legacy state file; not upgrading it (read-only run)');
        return { state, source: 'legacy' as const };
      }
      const backup = `${file}.legacy-${formatStamp(now)}`;
      await guardWrite(backup, () => fs.copyFile(file, backup, fsp.constants.COPYFILE_EXCL), ['EEXIST']);
      await save(region, state);
      rlog.info(
        { file, backup, offset: new Date(state.offset).toISOString() },
        'upgraded legacy state file; the original is kept as a backup',
      );
      return { state, source: 'legacy' as const };
    }

    const parsed = parseJson(text);
    if (typeof parsed !== 'string') return { state: clamp(parsed, now, file, rlog), source: 'file' as const };

    if (options.readOnly) {
      rlog.error({ file, reason: parsed }, 'state file is corrupt; reading from the initial lookback, file left as it is (read-only run)');
      return { state: clamp(initialState(now, initialLookbackMinutes), now, file, rlog), source: 'corrupt' as const };
    }
    const movedTo = await moveAside(file, now);
    rlog.error(
      { file, movedTo, reason: parsed },
      'state file is corrupt; moved it aside and restarting region from the initial lookback',
    );
    return { state: clamp(initialState(now, initialLookbackMinutes), now, file, rlog), source: 'corrupt' as const };
  }

  /** Renames a corrupt file to `<name>.corrupt-<stamp>`, never over an earlier one, never deleting it. */
  async function moveAside(file: string, now: number): Promise<string> {
    const base = `${file}.corrupt-${formatStamp(now)}`;
    for (let n = 0; ; n += 1) {
      const candidate = n === 0 ? base : `${base}-${n}`;
      if (await exists(candidate)) continue;
      await guardWrite(file, () => fs.rename(file, candidate));
      return candidate;
    }
  }

  async function exists(file: string): Promise<boolean> {
    try {
      await fs.lstat(file);
      return true;
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return false;
      throw new StateReadError(file, errnoOf(error), { cause: error });
    }
  }

  function save(region: string, state: RegionState): Promise<void> {
    const file = pathFor(region);
    const checked = parseRegionState(state);
    if (typeof checked === 'string') {
      return Promise.reject(new TypeError(`refusing to save an invalid state for ${region}: ${checked}`));
    }
    const json = serialiseState({ ...checked, updatedAt: clock.now() });
    return serialise(`state:${region}`, () => writeAtomically(file, json));
  }

  async function writeAtomically(file: string, content: string): Promise<void> {
    await ensureDir();
    await guardWrite(file, () => writeFileAtomic(file, content, { fs }));
  }

  async function ensureDir(): Promise<void> {
    // The mode applies only to directories created here; an existing one keeps its own.
    await guardWrite(dir, () => fs.mkdir(dir, { recursive: true, mode: 0o700 }));
  }

  function recordUndeliverable(region: string, entry: UndeliverableEntry): Promise<void> {
    const file = path.join(dir, `.${profile}.${checkNamePart('region', region)}.undeliverable.jsonl`);
    const line = `${JSON.stringify({ id: entry.id, name: entry.name, time: entry.time, error: entry.error, at: entry.at })}\n`;
    return serialise(`undeliverable:${region}`, async () => {
      await ensureDir();
      await guardWrite(file, async () => {
        const handle = await fs.open(file, 'a', 0o600);
        try {
          await handle.chmod(0o600);
          await handle.writeFile(line, 'utf8');
        } finally {
          await handle.close();
        }
      });
    });
  }

  /** Runs a write and turns its failure into a StateWriteError that says what to do. */
  async function guardWrite(target: string, write: () => Promise<unknown>, tolerate: string[] = []): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (error instanceof StateWriteError) throw error;
      const code = errnoOf(error);
      if (tolerate.includes(code)) return;
      throw new StateWriteError(target, code, `cannot write ${target} (${code}): ${adviceFor(code, dir)}`, {
        cause: error,
      });
    }
  }

  return { pathFor, load, save, recordUndeliverable };
}

/**
 * Moves offsets and scan ends out of the future (clock skew, a hand-edited file). An offset older than Event
 * history's 90 days is kept as it is: the poller's window starts inside the retention and reports the events
 * that aged out (poll-failures reportExpired), which it could not if the offset were quietly moved here.
 */
function clamp(state: RegionState, now: number, file: string, log: Logger): RegionState {
  let next = state;
  if (next.offset > now) {
    log.warn({ file, offset: new Date(next.offset).toISOString() }, 'state offset is in the future; clamped to now');
    next = { ...next, offset: now };
  }
  for (const key of ['lastScanEnd', 'lastFullScanEnd'] as const) {
    const end = next[key];
    if (end !== undefined && end > now) next = { ...next, [key]: now };
  }
  return pruneDelivered(next);
}

function parseLegacy(text: string): number | undefined {
  const match = LEGACY_LINE.exec(text.trim());
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  // Reject impossible dates (2017-02-30) instead of letting Date roll them over.
  const check = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) {
    return undefined;
  }
  const [sign, offsetHours, offsetMinutes] = [match[7], match[8], match[9]];
  if (sign !== undefined) {
    const offsetMs = (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
    return check.getTime() - (sign === '+' ? offsetMs : -offsetMs);
  }
  // The server's local time zone, as the Ruby original wrote it.
  return new Date(year, month - 1, day, hour, minute, second).getTime();
}

function parseJson(text: string): RegionState | string {
  if (text.trim() === '') return 'empty file';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  return parseRegionState(value);
}

/** Fixed key order with the long `delivered` map last, so a human can read the file. */
function serialiseState(state: RegionState): string {
  const ordered = {
    version: state.version,
    offset: state.offset,
    lastScanEnd: state.lastScanEnd,
    lastFullScanEnd: state.lastFullScanEnd,
    updatedAt: state.updatedAt,
    delivered: state.delivered,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** Profile and region become part of a file name: nothing that could leave the directory or hide a newline. */
function checkNamePart(what: 'profile' | 'region', value: string): string {
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

/** `YYYYMMDDTHHMMSSZ` in UTC. */
function formatStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}


function adviceFor(code: string, dir: string): string {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `free some disk space on the volume holding ${dir}`;
    case 'EROFS':
      return `${dir} is on a read-only file system; choose another --state-dir`;
    default:
      return `check that ${dir} exists and is writable by this user`;
  }
}
