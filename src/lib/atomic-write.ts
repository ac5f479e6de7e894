import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

/** The file operations an atomic write needs; tests inject failures through it. */
export type AtomicWriteFs = Pick<typeof fsp, 'open' | 'rename' | 'rm'>;

/**
 * The temporary file's name: `<target>.tmp-<pid>-<n>`. The pid lets a later start tell a dead writer's leftover
 * (a kill -9 between create and rename) from a live process's file in progress (see src/state/temp-files.ts).
 */
export const TEMP_NAME = /^(?<target>.+)\.tmp-(?<pid>[1-9]\d{0,9})-(?<n>[1-9]\d{0,15})$/;

let counter = 0;

export function tempNameFor(file: string, pid: number = process.pid): string {
  counter += 1;
  return `${path.basename(file)}.tmp-${pid}-${counter}`;
}

/**
 * Writes `content` to `file` so a reader (or a crash) never sees half of it: a temp file beside it (named by
 * tempNameFor), created exclusively with mode exactly 0600 (whatever the umask or the old file had), fsynced,
 * renamed over `file`, then the folder fsynced (best effort). The temp file is removed when any step fails; the
 * error is rethrown as is. Only a crash (kill -9, power loss) can leave the temp file behind.
 */
export async function writeFileAtomic(file: string, content: string, options: { fs?: AtomicWriteFs } = {}): Promise<void> {
  const fs = options.fs ?? fsp;
  const dir = path.dirname(file);
  const temp = path.join(dir, tempNameFor(file));
  try {
    const handle = await fs.open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.chmod(0o600);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncDir(fs, dir);
}

/**
 * Makes a rename or a new file's name in `dir` durable (fsync of the folder). Best effort: some file systems refuse
 * to open or fsync a directory; the data itself is already fsynced by then.
 */
export async function syncDir(fs: Pick<typeof fsp, 'open'>, dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // ignored on purpose: the data is already fsynced; only the name's durability after power loss is at stake
  }
}
