import type { Alerter } from '../alerts/alerter';
import { ConfigError, EXIT_CONFIG, EXIT_FAILURE, EXIT_FATAL, FatalError } from '../lib/errors';
import type { Logger } from '../logging/logger';
import { classifyError } from '../errors/classify';

/** How a fatal stop is told: the run mode (for the advice) and the one line for stderr. */
export interface FatalReport {
  once: boolean;
  tell(line: string): void;
}

/**
 * Ends a run on a fatal error: logs it with its details, tells the user one line (the error's own words when it is
 * ours, which say what to do), sends the alert, and resolves to the exit code: 78 for a ConfigError (a state
 * folder that is a file), 77 for a FatalError (a human must act), 1 for anything else (pm2 and systemd restart).
 */
export async function reportFatal(error: Error, alerter: Alerter, log: Logger, report: FatalReport): Promise<number> {
  const human = error instanceof FatalError || error instanceof ConfigError;
  // The classifier names the kind (src/errors/classify.ts); anything not ours is a bug or an odd failure: 'fatal'.
  const kind = human ? classifyError(error).kind : 'fatal';
  log.fatal({ err: error, errorKind: kind }, 'fatal error; stopping');
  const again = report.once ? 'run it again' : 'start the daemon again';
  // Our own errors say what is wrong and what to do; anything else is a bug or an odd failure: say where to look.
  report.tell(
    human
      ? toOneLine(error.message)
      : `stopped on an unexpected error (${toOneLine(error.message)}); the log has the details`,
  );
  await alerter.alert({
    kind,
    reason: error.message,
    action: human
      ? `fix the cause above, then ${again}`
      : 'read the daemon log around this time; it exited with code 1, which pm2 and systemd restart',
  });
  if (error instanceof ConfigError) return EXIT_CONFIG; // e.g. a state folder that is a file
  return error instanceof FatalError ? EXIT_FATAL : EXIT_FAILURE;
}

function toOneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
