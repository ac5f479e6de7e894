/**
 * The journal file beside a region's state file (`<state file>.journal`, journal.ts has the format): append one
 * line durably, read it, cut a torn tail off. The store (store.ts) serialises these with the snapshot's writes.
 */
import type * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { errnoOf } from '../lib/errors';
import { syncDir } from '../lib/atomic-write';
import { describeFileType } from './state-file';
import { StateReadError } from './state-errors';

export type JournalFs = Pick<typeof fsp, 'open' | 'stat' | 'readFile'>;

/**
 * Appends `line` with O_APPEND and fdatasync before resolving: once it resolves, a crash (kill -9, power loss)
 * keeps it. Mode 0600. A write or sync that fails is cut back to the old length (best effort), so a later append
 * never follows half a line. `fresh` (the first append since the file may not have existed): also sets the mode
 * whatever the umask did, and fsyncs the folder so the new file's name is durable too.
 */
export async function appendJournalLine(fs: JournalFs, file: string, line: string, fresh: boolean): Promise<void> {
  const handle = await fs.open(file, 'a', 0o600);
  try {
    if (fresh) await handle.chmod(0o600);
    const { size } = await handle.stat();
    try {
      await handle.writeFile(line, 'utf8');
      await handle.datasync();
    } catch (error) {
      await handle.truncate(size).catch(() => undefined);
      throw error;
    }
  } finally {
    await handle.close();
  }
  if (fresh) await syncDir(fs, path.dirname(file));
}

/**
 * The journal's bytes, or undefined when there is none. Rejects with StateReadError when the path is not a regular
 * file (reading a FIFO would block) or cannot be read.
 */
export async function readJournal(fs: JournalFs, file: string): Promise<Buffer | undefined> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) throw new StateReadError(file, stat.isDirectory() ? 'EISDIR' : 'NOT_A_FILE', { kind: describeFileType(stat) });
    return await fs.readFile(file);
  } catch (error) {
    if (error instanceof StateReadError) throw error;
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw new StateReadError(file, errnoOf(error), { cause: error });
  }
}

/** Cuts the journal to `length` bytes (a torn last line off), synced. */
export async function cutJournal(fs: JournalFs, file: string, length: number): Promise<void> {
  const handle = await fs.open(file, 'r+');
  try {
    await handle.truncate(length);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
