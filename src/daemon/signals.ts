import type { Logger } from '../logging/logger';
import { ShutdownRequested } from '../lib/errors';
import { startLongTimer } from '../lib/timers';

/** The part of `process` signal handling needs; tests pass an EventEmitter. */
export interface SignalSource {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** SIGQUIT is the Ruby original's stop signal; pm2 sends SIGINT; systemd and docker send SIGTERM. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGQUIT'] as const;

/** Starts a timer that must not keep the process alive; returns its cancel function. */
export type StartTimer = (ms: number, fire: () => void) => () => void;

export interface SignalOptions {
  stop: AbortController;
  log: Logger;
  /**
   * Leave now: called on a second stop signal (the user insists) or when the graceful stop outlives
   * `shutdownTimeoutMs`. The process 'exit' handlers still run (the pid file is removed there).
   */
  force(reason: string): void;
  /**
   * SIGHUP: reopen the log file (logrotate's postrotate). May throw; the old file stays in use then. Undefined when
   * there is no file to reopen (logs on stdout/stderr): SIGHUP is then only noted.
   */
  reopenLogs?(): void;
  /** A graceful stop must be over by then (kept below pm2's kill_timeout, which SIGKILLs). */
  shutdownTimeoutMs?: number;
  /**
   * Default: an unref()ed timer, so the watchdog never holds up an exit that is already happening; chained when
   * longer than one Node timer holds (src/lib/timers.ts).
   */
  startTimer?: StartTimer;
}

const startUnrefTimer: StartTimer = (ms, fire) => startLongTimer(ms, fire, { unref: true });

/**
 * Installs the handlers; returns the function that removes them (and disarms the watchdog). The first stop signal
 * aborts `stop` with ShutdownRequested: pollers make no new request, the Slack message in flight finishes, state is
 * saved. It also arms the watchdog.
 */
export function handleSignals(proc: SignalSource, options: SignalOptions): () => void {
  const { log } = options;
  let disarm: (() => void) | undefined;
  let requested = false;
  const onStop = (signal: unknown) => {
    const name = String(signal);
    // A second *signal* forces the exit. A stop already under way for a fatal error (the abort reason is that
    // error) is not a signal: the first signal then only arms the watchdog, so the fatal alert can still go out.
    if (requested) {
      log.warn({ signal: name }, 'second stop signal; exiting now');
      options.force(`second ${name}`);
      return;
    }
    requested = true;
    log.info({ signal: name }, 'stopping');
    if (options.shutdownTimeoutMs !== undefined) {
      const ms = options.shutdownTimeoutMs;
      disarm = (options.startTimer ?? startUnrefTimer)(ms, () => {
        log.error({ timeoutMs: ms }, 'graceful stop took too long; exiting now');
        options.force('shutdown timeout');
      });
    }
    if (!options.stop.signal.aborted) options.stop.abort(new ShutdownRequested());
  };
  const onHup = () => {
    if (options.reopenLogs === undefined) {
      log.info({ signal: 'SIGHUP' }, 'SIGHUP ignored: there is no log file (-l) to reopen');
      return;
    }
    try {
      options.reopenLogs();
      log.info({ signal: 'SIGHUP' }, 'log file reopened');
    } catch (error) {
      log.error({ signal: 'SIGHUP', err: error }, 'cannot reopen the log file; still writing to the old one');
    }
  };
  for (const signal of STOP_SIGNALS) proc.on(signal, onStop);
  proc.on('SIGHUP', onHup);
  return () => {
    for (const signal of STOP_SIGNALS) proc.off(signal, onStop);
    proc.off('SIGHUP', onHup);
    disarm?.();
  };
}
