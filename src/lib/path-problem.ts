import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoOf } from './errors';

/** Why a path given by the user cannot be used, in words, and whether that is a configuration mistake. */
export interface PathProblem {
  /** "/srv/x is a file, not a folder", "permission denied (EACCES)", "ENOSPC" */
  text: string;
  /**
   * The path (or a folder on it) is the wrong kind of thing: a file where a folder is needed, or the reverse.
   * Only a change of the setting fixes it, so it is a configuration error (exit 78), not a runtime failure.
   */
  wrongKind: boolean;
}

const CODES: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
};

/**
 * Explains the error `error` (from mkdir, open, write, …) for `path`, which should be a `want`. EEXIST, ENOTDIR and
 * EISDIR mean a file stands where a folder is needed (or the reverse): the file system is asked which path it is.
 */
export function describePathProblem(path: string, error: unknown, want: 'file' | 'folder'): PathProblem {
  const code = errnoOf(error);
  if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR') {
    const kind = kindOf(path);
    if (want === 'folder' && kind === 'file') return { text: `${path} is a file, not a folder`, wrongKind: true };
    if (want === 'file' && kind === 'folder') return { text: `${path} is a folder, not a file`, wrongKind: true };
    const blocker = fileOnTheWay(path);
    if (blocker !== undefined) return { text: `${blocker} is a file, not a folder`, wrongKind: true };
  }
  const words = CODES[code];
  return { text: words === undefined ? code : `${words} (${code})`, wrongKind: false };
}

function kindOf(path: string): 'file' | 'folder' | undefined {
  try {
    return statSync(path).isDirectory() ? 'folder' : 'file';
  } catch {
    return undefined;
  }
}

/** The nearest folder above `path` that exists but is not a folder: /srv/afile for /srv/afile/state/x. */
function fileOnTheWay(path: string): string | undefined {
  for (let parent = dirname(path); parent !== dirname(parent); parent = dirname(parent)) {
    const kind = kindOf(parent);
    if (kind === 'file') return parent;
    if (kind === 'folder') return undefined;
  }
  return undefined;
}
