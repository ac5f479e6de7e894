import type { Logger } from '../logging/logger';
import { acquirePidFile, releasePidFileSync } from './pid-file';
import type { SignalSource } from './signals';

/**
 * Acquires the pid file (throws PidFileError: "already running (pid N)", or cannot create) and makes sure it goes
 * away on every exit path: the returned release for a normal or fatal stop, and a process 'exit' handler for the
 * exits that skip it (second signal, shutdown watchdog, uncaught exception). Without a file, does nothing.
 */
export async function holdPidFile(
  file: string | undefined,
  deps: { pid: number; log: Logger; proc: SignalSource },
): Promise<() => Promise<void>> {
  if (file === undefined) return async () => undefined;
  const handle = await acquirePidFile(file, { pid: deps.pid, log: deps.log });
  // 'exit' listeners must be synchronous; releasePidFileSync only removes the file while it still holds our pid.
  const onExit = () => void releasePidFileSync(file, deps.pid);
  deps.proc.on('exit', onExit);
  return async () => {
    await handle.release();
    deps.proc.off('exit', onExit);
  };
}
