import { DaemonError } from '../lib/errors';

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

/**
 * A state file exists but cannot be used: a directory (or FIFO, socket, device) in its place, no permission, an
 * I/O error. `problem` says what is wrong and `advice` what to do, for the log line and the alert.
 */
export class StateReadError extends DaemonError {
  override name = 'StateReadError';
  readonly problem: string;
  readonly advice: string;
  constructor(
    readonly path: string,
    /** An errno code (EACCES, EIO, …), EISDIR for a directory, or NOT_A_FILE for another kind of file. */
    readonly code: string,
    options?: ErrorOptions & { kind?: string },
  ) {
    const { problem, advice } = describeReadProblem(path, code, options?.kind);
    super(`${problem}; ${advice}`, options);
    this.problem = problem;
    this.advice = advice;
  }
}

function describeReadProblem(file: string, code: string, kind = 'a directory'): { problem: string; advice: string } {
  if (code === 'EISDIR' || code === 'NOT_A_FILE') {
    return {
      problem: `${file} is ${kind}, not a state file`,
      advice: 'move it out of the state folder; the region then starts from the initial lookback',
    };
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return { problem: `cannot read state file ${file} (${code})`, advice: 'make it readable and writable by the user the daemon runs as' };
  }
  return { problem: `cannot read state file ${file} (${code})`, advice: 'check the file and the disk it is on' };
}

/** What to do when writing in `dir` failed with `code`. */
export function adviceFor(code: string, dir: string): string {
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
