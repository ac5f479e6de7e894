import type { Logger } from '../logging/logger';
import { ShutdownRequested } from '../lib/errors';

/** The part of `process` signal handling needs; tests pass an EventEmitter. */
export interface SignalSource {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** SIGQUIT is the Ruby original's stop signal; pm2 sends SIGINT; systemd and docker send SIGTERM. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGQUIT'] as const;

export interface SignalOptions {
  stop: AbortController;
  log: Logger;
  /** Called on a second stop signal: the user insists, exit now. */
  force(signal: string): void;
  /** SIGHUP: reopen the log file (logrotate's postrotate). */
  reopenLogs?(): void;
}

/**
 * Installs the handlers; returns the function that removes them. The first stop signal aborts `stop` with
 * ShutdownRequested: pollers make no new request, the Slack message in flight finishes, state is saved.
 */
export function handleSignals(proc: SignalSource, options: SignalOptions): () => void {
  const onStop = (signal: unknown) => {
    const name = String(signal);
    if (options.stop.signal.aborted) {
      options.log.warn({ signal: name }, 'second stop signal; exiting now');
      options.force(name);
      return;
    }
    options.log.info({ signal: name }, 'stopping');
    options.stop.abort(new ShutdownRequested());
  };
  const onHup = () => {
    options.reopenLogs?.();
    options.log.info({ signal: 'SIGHUP' }, 'log file reopened');
  };
  for (const signal of STOP_SIGNALS) proc.on(signal, onStop);
  proc.on('SIGHUP', onHup);
  return () => {
    for (const signal of STOP_SIGNALS) proc.off(signal, onStop);
    proc.off('SIGHUP', onHup);
  };
}
