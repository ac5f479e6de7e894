import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

/** The file operations an atomic write needs; tests inject failures through it. */
export type AtomicWriteFs = Pick<typeof fsp, 'open' | 'rename' | 'rm'>;

/**
 * Writes `content` to `file` so a reader (or a crash) never sees half of it: a temp file beside it, created
 * exclusively with mode exactly 0600 (whatever the umask or the old file had), fsynced, renamed over `file`, then
 * the folder fsynced (best effort). The temp file is removed when any step fails; the error is rethrown as is.
 */
export async function writeFileAtomic(
  file: string,
  content: string,
  options: { tempName: string; fs?: AtomicWriteFs },
): Promise<void> {
  const fs = options.fs ?? fsp;
  const dir = path.dirname(file);
  const temp = path.join(dir, options.tempName);
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

/** Makes the rename durable. Best effort: some file systems refuse to open or fsync a directory. */
async function syncDir(fs: AtomicWriteFs, dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // ignored on purpose: the data is already fsynced; only the rename's durability is at stake
  }
}
