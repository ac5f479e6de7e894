import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, FatalError } from '../lib/errors';
import { describePathProblem } from '../lib/path-problem';

/**
 * The state folder must be a folder: one that is a file (or below one) is a configuration error (78). With
 * `writable`, it is also created if needed and a probe file is written, synced and removed there (else 77).
 */
export async function checkStateDir(dir: string, profile: string, writable: boolean): Promise<void> {
  const probe = join(dir, `.${profile}.probe-${process.pid}`);
  try {
    if (writable) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(probe, 'probe\n', { mode: 0o600 });
      await rm(probe, { force: true });
    } else if (!(await stat(dir)).isDirectory()) {
      throw Object.assign(new Error(`${dir} is not a folder`), { code: 'ENOTDIR' });
    }
  } catch (error) {
    // --dry-run reads an existing folder only: a missing one is a first start, nothing to read.
    if (!writable && (error as NodeJS.ErrnoException).code === 'ENOENT') return;
    const problem = describePathProblem(dir, error, 'folder');
    if (problem.wrongKind) {
      throw new ConfigError(
        `state folder ${dir}: ${problem.text}; choose another folder with --state-dir (or stateDir in the config file)`,
        { cause: error },
      );
    }
    throw new FatalError(
      `cannot write the state folder ${dir}: ${problem.text}; make it writable by this user or choose another with --state-dir`,
      'state-unwritable',
      { cause: error },
    );
  }
}
