/** Base class: every error the daemon raises on purpose. */
export class DaemonError extends Error {
  override name = 'DaemonError';
}

/** Bad flags, config file or environment: reported in one line, exit code EXIT_CONFIG, never retried. */
export class ConfigError extends DaemonError {
  override name = 'ConfigError';
}

/** Something a human must fix (credentials, permissions, webhook revoked): exit EXIT_FATAL, not restarted. */
export class FatalError extends DaemonError {
  override name = 'FatalError';
  constructor(
    message: string,
    /** A short machine-readable kind, used for alerts and their cooldown: 'credentials', 'access-denied', … */
    readonly kind: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The first signal asked us to stop; loops treat an abort with this reason as a clean exit. */
export class ShutdownRequested extends DaemonError {
  override name = 'ShutdownRequested';
  constructor() {
    super('shutdown requested');
  }
}

/** Exit codes. Those that mean "do not restart" are listed in ecosystem.config.js stop_exit_codes. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** Usage or configuration error (EX_CONFIG from sysexits.h). */
export const EXIT_CONFIG = 78;
/** A fatal condition a human must fix (bad credentials, AccessDenied, webhook revoked). */
export const EXIT_FATAL = 77;

/** A Node error's `code` (ENOENT, EACCES, …), or 'UNKNOWN'. */
export function errnoOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : JSON.stringify(value));
}

export function isAbortError(error: unknown): boolean {
  return (
    error instanceof ShutdownRequested ||
    (error instanceof Error && (error.name === 'AbortError' || error.name === 'ShutdownRequested'))
  );
}
