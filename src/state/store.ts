import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from '../lib/atomic-write';
import { formatStamp, setAside } from '../lib/set-aside';
import { checkStateBounds, isWebhookName } from './check-state';
import { appendJournalLine, cutJournal, readJournal } from './journal-file';
import { formatJournalLine, parseJournal, replayJournal, type CommitDelta } from './journal';
import type { JournalReplay, LoadOptions, LoadResult, LoadSource, StateStore, StateStoreOptions, UndeliverableEntry } from './store-types';
import { parseLegacy } from './legacy';
import { adviceFor, StateReadError, StateWriteError } from './state-errors';
import { checkNamePart, describeFileType, parseStateText, serialiseState, settleTimes } from './state-file';
import { errnoOf } from '../lib/errors';
import type { Logger } from '../logging/logger';
import { initialState, parseRegionState, type RegionState } from './region-state';

export { StateReadError, StateWriteError } from './state-errors';
export type { CommitDelta } from './journal';
export type * from './store-types';

export function createStateStore(options: StateStoreOptions): StateStore {
  const { dir, clock, log } = options;
  const fs = options.fs ?? fsp;
  const profile = checkNamePart('profile', options.profile);
  const chains = new Map<string, Promise<void>>();
  /** Journals appended to since they were last removed by this store: no mode or folder sync needed. */
  const openedJournals = new Set<string>();

  function pathFor(region: string): string {
    return path.join(dir, `.${profile}.${checkNamePart('region', region)}.cloudtrail.state`);
  }

  function journalPathFor(region: string): string {
    return `${pathFor(region)}.journal`;
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
    const snapshot = await loadSnapshot(file, now, initialLookbackMinutes, rlog);
    let journal: JournalReplay | undefined;
    // In the region's chain: a commit queued meanwhile must not append while a torn tail is being cut off.
    await serialise(`state:${region}`, async () => void (journal = await loadJournal(region, snapshot.state, now, rlog)));
    const state = settleTimes(snapshot.state, now, settleMinutes * 60_000, file, rlog);
    if (snapshot.source === 'legacy' && !options.readOnly) {
      const backup = `${file}.legacy-${formatStamp(now)}`;
      await guardWrite(backup, () => fs.copyFile(file, backup, fsp.constants.COPYFILE_EXCL), ['EEXIST']);
      await save(region, state);
      rlog.info(
        { file, backup, offset: new Date(state.offset).toISOString() },
        'upgraded legacy state file; the original is kept as a backup',
      );
    }
    const { source, corrupt } = snapshot;
    return { state, source, ...(corrupt && { corrupt }), ...(journal && { journal }) };
  }

  /** The state file as it is (not settled, no journal): new, read (version 1 migrated), legacy, or corrupt. */
  async function loadSnapshot(file: string, now: number, lookbackMinutes: number, rlog: Logger):
    Promise<{ state: RegionState; source: LoadSource; corrupt?: LoadResult['corrupt'] }> {
    let text: string;
    try {
      // stat first: reading a FIFO would block for ever, and a directory must say so, not look like a read error.
      const stat = await fs.stat(file);
      if (!stat.isFile()) throw new StateReadError(file, stat.isDirectory() ? 'EISDIR' : 'NOT_A_FILE', { kind: describeFileType(stat) });
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if (error instanceof StateReadError) throw error;
      if (errnoOf(error) === 'ENOENT') return { state: initialState(now, lookbackMinutes), source: 'new' };
      throw new StateReadError(file, errnoOf(error), { cause: error });
    }

    const legacyOffset = parseLegacy(text);
    const legacyProblem = legacyOffset === undefined ? undefined : checkStateBounds({ offset: legacyOffset }, now);
    if (legacyOffset !== undefined && legacyProblem === undefined) {
      // Offset = the recorded second itself, not +1 s as the original did: the original's +1 s lost events that
      // shared that second. Re-reading it is safe because the poller's settle window dedupes by event ID.
      if (options.readOnly) rlog.info({ file }, 'read a legacy state file; not upgrading it (read-only run)');
      return { state: { ...initialState(now, 0), offset: legacyOffset }, source: 'legacy' };
    }

    const parsed = legacyProblem ?? parseStateText(text, now);
    if (typeof parsed !== 'string') {
      if (parsed.version === 1) rlog.info({ file }, 'read a version 1 state file; it is written as version 2 from the next save');
      return { state: parsed.state, source: 'file' };
    }

    const fresh = initialState(now, lookbackMinutes);
    if (options.readOnly) {
      rlog.error({ file, reason: parsed }, 'state file is corrupt; reading from the initial lookback, file left as it is (read-only run)');
      return { state: fresh, source: 'corrupt', corrupt: { file, reason: parsed, movedTo: undefined } };
    }
    let movedTo = '';
    // Never over an earlier one, never deleting it: a human may want to look at it.
    await guardWrite(file, async () => (movedTo = await setAside(file, 'corrupt', now, fs)));
    rlog.error(
      { file, movedTo, reason: parsed },
      'state file is corrupt; moved it aside and restarting region from the initial lookback',
    );
    return { state: fresh, source: 'corrupt', corrupt: { file, reason: parsed, movedTo } };
  }

  /**
   * Replays the region's journal onto `state` (in place). Whatever the snapshot was (even new or corrupt): the
   * journal holds only what Slack accepted since the last save, and a first scan may crash before any save.
   */
  async function loadJournal(region: string, state: RegionState, now: number, rlog: Logger): Promise<JournalReplay | undefined> {
    const file = journalPathFor(region);
    const bytes = await readJournal(fs, file);
    if (bytes === undefined) return undefined;
    const parsed = parseJournal(bytes);
    const info: JournalReplay = { file, lines: parsed.lines, replayed: 0, dropped: parsed.dropped, torn: parsed.torn !== undefined };
    if (parsed.corrupt !== undefined) {
      const reason = parsed.corrupt;
      let movedTo: string | undefined;
      if (!options.readOnly) await guardWrite(file, async () => (movedTo = await setAside(file, 'corrupt', now, fs)));
      openedJournals.delete(file);
      rlog.warn(
        { file, reason, ...(movedTo !== undefined && { movedTo }) },
        options.readOnly
          ? 'state journal is corrupt; using the state file alone, journal left as it is (read-only run)'
          : 'state journal is corrupt; moved it aside and using the state file alone (events it recorded may be posted again)',
      );
      return { ...info, dropped: 0, corrupt: { reason, movedTo } };
    }
    info.replayed = replayJournal(state, parsed.deltas);
    if (parsed.dropped > 0) rlog.warn({ file, dropped: parsed.dropped }, 'state journal entries out of bounds were dropped');
    if (parsed.torn !== undefined) {
      rlog.warn({ file, bytes: bytes.length - parsed.torn.keepBytes }, 'state journal ends with an incomplete line (a crash while writing it?); ignoring that line');
      // Cut off, or the next append would follow it and make it a damaged middle line.
      const keep = parsed.torn.keepBytes;
      if (!options.readOnly) await guardWrite(file, () => cutJournal(fs, file, keep));
    }
    return info;
  }

  function save(region: string, state: RegionState): Promise<void> {
    const file = pathFor(region);
    const journal = journalPathFor(region);
    const checked = checkStateBounds(state) ?? parseRegionState(state);
    if (typeof checked === 'string') {
      return Promise.reject(new TypeError(`refusing to save an invalid state for ${region}: ${checked}`));
    }
    if (options.readOnly) return Promise.resolve();
    const json = serialiseState({ ...checked, updatedAt: clock.now() });
    return serialise(`state:${region}`, async () => {
      await writeAtomically(file, json);
      // Only after the snapshot is durable: a crash between the two replays the journal onto it (idempotent).
      openedJournals.delete(journal);
      await guardWrite(journal, () => fs.rm(journal, { force: true }));
    });
  }

  function commit(region: string, delta: CommitDelta): Promise<void> {
    const file = journalPathFor(region);
    if (!isWebhookName(delta.webhook)) {
      return Promise.reject(new TypeError(`refusing to commit for ${region}: webhook ${JSON.stringify(delta.webhook)} is not a webhook name`));
    }
    if (options.readOnly || delta.entries.length === 0) return Promise.resolve();
    const line = formatJournalLine(delta);
    return serialise(`state:${region}`, async () => {
      const fresh = !openedJournals.has(file);
      if (fresh) await ensureDir();
      await guardWrite(file, () => appendJournalLine(fs, file, line, fresh));
      openedJournals.add(file);
    });
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

  return { pathFor, journalPathFor, load, save, commit, recordUndeliverable };
}
