import pino from 'pino';
import { ConfigError } from '../lib/errors';
import { describePathProblem } from '../lib/path-problem';

/** Where the JSON log lines go, and how to follow a rotated log file. */
export interface LogOutput {
  destination: pino.DestinationStream;
  /** Reopens the log file by its path (after logrotate moved it). A no-op for stdout/stderr. Throws on failure. */
  reopen(): void;
  /** The file, when logging to one. */
  file: string | undefined;
}

/**
 * Opens the log destination: `file` (appended, folders created), else the file descriptor `fd` (1 or 2).
 * Always synchronous (API-FACTS E.1): with async writes pino can lose or reorder the last lines before an exit,
 * which are exactly the lines that say why the daemon stopped. A low-volume daemon can afford the blocking write.
 * Throws ConfigError naming --log when the file cannot be opened.
 */
export function openLogOutput(options: { file?: string | undefined; fd?: 1 | 2 }): LogOutput {
  const { file } = options;
  if (file === undefined) {
    return { destination: pino.destination({ dest: options.fd ?? 1, sync: true }), reopen: () => undefined, file };
  }
  let destination: ReturnType<typeof pino.destination>;
  try {
    destination = pino.destination({ dest: file, sync: true, append: true, mkdir: true });
  } catch (error) {
    throw cannotOpenLog(file, error);
  }
  // sonic-boom reports a failed reopen (SIGHUP after logrotate) or write (disk full) as an 'error' event; unheard,
  // pino re-emits it and it kills the daemon. Keep writing to the old descriptor and say so on stderr instead.
  destination.on('error', (error: NodeJS.ErrnoException) => {
    process.stderr.write(`cloudtrail-slack: log file ${file}: ${error.code ?? error.message}; still writing to the previous file\n`);
  });
  return {
    destination,
    file,
    reopen: () => {
      try {
        // The old descriptor stays in use when this fails, so no line is lost.
        destination.reopen();
      } catch (error) {
        throw cannotOpenLog(file, error);
      }
    },
  };
}

/** The --log file cannot be opened: a configuration error naming the flag (exit 78, not restarted by pm2). */
export function cannotOpenLog(file: string, error: unknown): ConfigError {
  const problem = describePathProblem(file, error, 'file');
  const action = problem.wrongKind ? 'give -l a file path whose folders are folders' : 'check that its folder is writable by this user';
  return new ConfigError(`--log ${file}: cannot open the log file: ${problem.text}; ${action}`, { cause: error });
}
