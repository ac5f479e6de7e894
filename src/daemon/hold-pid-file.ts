import type { Logger } from '../logging/logger';
import { acquirePidFile, releasePidFileSync } from './pid-file';
import type { SignalSource } from './signals';

/**
 * Acquires the pid file (throws PidFileError: "already running (pid N)", or cannot create) and removes it in the
 * process 'exit' event, the last thing that runs before the process is gone, on every exit path: a normal or
 * fatal stop, a second signal, the shutdown watchdog, an uncaught exception. Removing it any earlier would let
 * a second instance start while this one still winds down (the event loop drains, a stuck socket waits for the
 * watchdog), and would tell a supervisor or script watching the file that we are gone when we are not.
 * Without a file, does nothing. Only SIGKILL leaves the file behind; the next start replaces it.
 */
export async function holdPidFile(
  file: string | undefined,
  deps: { pid: number; log: Logger; proc: SignalSource },
): Promise<void> {
  if (file === undefined) return;
  await acquirePidFile(file, { pid: deps.pid, log: deps.log });
  // 'exit' listeners must be synchronous (the log destination is too); the file is removed only while it still
  // holds our pid.
  const onExit = () => {
    deps.proc.off('exit', onExit);
    if (releasePidFileSync(file, deps.pid)) deps.log.info({ path: file }, 'pid file removed');
  };
  deps.proc.on('exit', onExit);
}
