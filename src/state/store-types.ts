/**
 * The state store's interface (store.ts implements it): per region, a snapshot file written atomically and a
 * journal of the commits since, both in the state folder.
 */
import type * as fsp from 'node:fs/promises';
import type { Clock } from '../lib/clock';
import type { Logger } from '../logging/logger';
import type { CommitDelta } from './journal';
import type { RegionState } from './region-state';

/** The part of node:fs/promises the store uses; tests pass a copy with one function replaced to inject failures. */
export type StateFs = Pick<typeof fsp, 'mkdir' | 'readFile' | 'open' | 'rename' | 'rm' | 'copyFile' | 'lstat' | 'stat'>;

export interface StateStoreOptions {
  dir: string;
  profile: string;
  clock: Clock;
  log: Logger;
  fs?: StateFs;
  /**
   * --dry-run: read state (and replay the journal) as usual but never write: save and commit do nothing, no
   * legacy upgrade, no corrupt file moved aside, no torn journal line cut off.
   */
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
  /** Present when a journal existed: what its replay did. */
  journal?: JournalReplay;
}

export interface JournalReplay {
  file: string;
  /** Complete lines read. */
  lines: number;
  /** Entries recorded into the state (before pruning below the offset). */
  replayed: number;
  /** Entries dropped: ID or time out of bounds. */
  dropped: number;
  /** The last line was incomplete and ignored (cut off, unless read-only). */
  torn: boolean;
  /** A line before the last was damaged: nothing of the journal was used; it was moved aside (unless read-only). */
  corrupt?: { reason: string; movedTo: string | undefined };
}

export interface StateStore {
  /** `<dir>/.<profile>.<region>.cloudtrail.state`, the Ruby original's name. */
  pathFor(region: string): string;
  /** `<state file>.journal`: the commits since the last save, one JSON line per message (journal.ts). */
  journalPathFor(region: string): string;
  /**
   * Reads a region's state and checks every value (check-state.ts), then replays its journal onto it and prunes
   * entries below the offset. Missing → a new region. A version 1 file is read as version 2 (its IDs delivered to
   * LEGACY_WEBHOOK) and written as version 2 by the next save. Unparsable, out of bounds or a newer version →
   * moved aside as `….corrupt-<stamp>`, the region restarts from the initial lookback (the journal still
   * replayed). Journal: a torn last line is ignored (warn) and cut off; a damaged line before it → the journal is
   * moved aside (warn) and not used: its IDs may be posted again, never lost. Rejects with StateReadError when a
   * path is not a regular file or cannot be read, and StateWriteError when a corrupt or legacy file cannot be
   * moved or upgraded: that region cannot run until a human fixes it; others can.
   */
  load(region: string, options: LoadOptions): Promise<LoadResult>;
  /**
   * Writes the snapshot atomically (temp file, fsync, rename, mode 0600; `updatedAt` = clock.now()), then removes
   * the journal: `state` must hold every entry committed before this call (recordDelivered). The state is
   * serialised when save is called; a later change to it is not written. O(state): once per scan. Serialised
   * with commit per region. Rejects with TypeError for a state that would load as corrupt, StateWriteError when
   * the folder is not writable. A no-op when read-only.
   */
  save(region: string, state: RegionState): Promise<void>;
  /**
   * Appends one line for one accepted message to the region's journal: `{"to":webhook,"ids":[…],"t":[…]}`, with
   * O_APPEND, fdatasync'ed before it resolves, mode 0600. O(entries): the snapshot is not touched. Serialised with
   * save per region, in call order. Rejects with TypeError when `webhook` is not a webhook name (check-state.ts
   * WEBHOOK_NAME), StateWriteError when the file cannot be written (nothing half-written is left). IDs are stored
   * as deliveredKey()s. No entries, or read-only (--dry-run): nothing written.
   */
  commit(region: string, delta: CommitDelta): Promise<void>;
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
