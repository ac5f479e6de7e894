import * as fsp from 'node:fs/promises';
import { errnoOf } from './errors';

export type SetAsideFs = Pick<typeof fsp, 'lstat' | 'rename'>;

/** `YYYYMMDDTHHMMSSZ` in UTC. */
export function formatStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/**
 * Renames `file` to `<file>.<label>-<stamp>` (then `-1`, `-2`, … if taken): never over an earlier one, never
 * deleting anything, so a human can look at it later. Returns the new path. Rejects with the fs error (an lstat
 * other than ENOENT, or the rename's).
 */
export async function setAside(file: string, label: string, now: number, fs: SetAsideFs = fsp): Promise<string> {
  const base = `${file}.${label}-${formatStamp(now)}`;
  for (let n = 0; ; n += 1) {
    const candidate = n === 0 ? base : `${base}-${n}`;
    try {
      await fs.lstat(candidate);
      continue; // taken
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') throw error;
    }
    await fs.rename(file, candidate);
    return candidate;
  }
}
