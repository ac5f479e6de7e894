import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { Clock } from '../lib/clock';
import { writeFileAtomic } from '../lib/atomic-write';
import { formatStamp, setAside } from '../lib/set-aside';
import { checkStateBounds } from './check-state';
import { parseLegacy } from './legacy';
import { adviceFor, StateReadError, StateWriteError } from './state-errors';
import { ConfigError, errnoOf } from '../lib/errors';
import type { Logger } from '../logging/logger';
import { initialState, parseRegionState, pruneDelivered, type RegionState } from './region-state';

export { StateReadError, StateWriteError } from './state-errors';

/** The part of node:fs/promises the store uses; tests pass a copy with one function replaced to inject failures. */
export type StateFs = Pick<typeof fsp, 'mkdir' | 'readFile' | 'open' | 'rename' | 'rm' | 'copyFile' | 'lstat' | 'stat'>;

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

export interface LoadOptions {
  initialLookbackMinutes: number;
  /** An offset slightly ahead of now (a clock stepped back) resumes this far before now. Default 15. */
  settleMinutes?: number;
}

export interface LoadResult {
  state: RegionState;
  source: LoadSource;
  /** source 'corrupt': why, the file, and where it was moved (not in a read-only run). */
  corrupt?: { file: string; reason: string; movedTo: string | undefined };
}

export interface StateStore {
  /** `<dir>/.<profile>.<region>.cloudtrail.state`, the Ruby original's name. */
  pathFor(region: string): string;
  /**
   * Reads a region's state and checks every value (check-state.ts). Missing → a new region. Unparsable or out of
   * bounds → moved aside as `….corrupt-<stamp>`, the region restarts from the initial lookback. Rejects with
   * StateReadError when the path is not a regular file or cannot be read, and StateWriteError when a corrupt or
   * legacy file cannot be moved or upgraded: that region cannot run until a human fixes it; others can.
   */
  load(region: string, options: LoadOptions): Promise<LoadResult>;
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

  async function load(region: string, { initialLookbackMinutes, settleMinutes = 15 }: LoadOptions): Promise<LoadResult> {
    const file = pathFor(region);
    const now = clock.now();
    const rlog = log.child({ region });
    const settle = (state: RegionState) => settleTimes(state, now, settleMinutes * 60_000, file, rlog);
    let text: string;
    try {
      // stat first: reading a FIFO would block for ever, and a directory must say so, not look like a read error.
      const stat = await fs.stat(file);
      if (!stat.isFile()) throw new StateReadError(file, stat.isDirectory() ? 'EISDIR' : 'NOT_A_FILE', { kind: describeFileType(stat) });
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if (error instanceof StateReadError) throw error;
      if (errnoOf(error) === 'ENOENT') {
        return { state: settle(initialState(now, initialLookbackMinutes)), source: 'new' as const };
      }
      throw new StateReadError(file, errnoOf(error), { cause: error });
    }

    const legacyOffset = parseLegacy(text);
    const legacyProblem = legacyOffset === undefined ? undefined : checkStateBounds({ offset: legacyOffset }, now);
    if (legacyOffset !== undefined && legacyProblem === undefined) {
      // Offset = the recorded second itself, not +1 s as the original did: the original's +1 s lost events that
      // shared that second. Re-reading it is safe because the poller's settle window dedupes by event ID.
      const state = settle({ version: 1, offset: legacyOffset, delivered: {}, updatedAt: now });
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

    const parsed = legacyProblem ?? parseJson(text, now);
    if (typeof parsed !== 'string') return { state: settle(parsed), source: 'file' as const };

    const fresh = settle(initialState(now, initialLookbackMinutes));
    if (options.readOnly) {
      rlog.error({ file, reason: parsed }, 'state file is corrupt; reading from the initial lookback, file left as it is (read-only run)');
      return { state: fresh, source: 'corrupt' as const, corrupt: { file, reason: parsed, movedTo: undefined } };
    }
    let movedTo = '';
    // Never over an earlier one, never deleting it: a human may want to look at it.
    await guardWrite(file, async () => (movedTo = await setAside(file, 'corrupt', now, fs)));
    rlog.error(
      { file, movedTo, reason: parsed },
      'state file is corrupt; moved it aside and restarting region from the initial lookback',
    );
    return { state: fresh, source: 'corrupt' as const, corrupt: { file, reason: parsed, movedTo } };
  }

  function save(region: string, state: RegionState): Promise<void> {
    const file = pathFor(region);
    const checked = checkStateBounds(state) ?? parseRegionState(state);
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
 * Takes the future out of a state (a clock that stepped back since it was written): an offset ahead of now (at
 * most FUTURE_TOLERANCE_MS, or the file would be corrupt) resumes one settle window before now, never at now,
 * which would skip what happened since the real offset; a scan end ahead of now is forgotten, so the next scan is
 * a full one. An offset older than Event history's 90 days is kept: the poller's window starts inside the
 * retention and reports the events that aged out (poll-failures reportExpired).
 */
function settleTimes(state: RegionState, now: number, settleMs: number, file: string, log: Logger): RegionState {
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

function parseJson(text: string, now: number): RegionState | string {
  if (text.trim() === '') return 'empty file';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  return checkStateBounds(value, now) ?? parseRegionState(value);
}

function describeFileType(stat: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  return stat.isSocket() ? 'a socket' : 'a device';
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
