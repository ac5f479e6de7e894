import { setMaxListeners } from 'node:events';
import type { Logger } from '../logging/logger';
import { isAbortError, ShutdownRequested } from '../lib/errors';
import type { CleanupStack } from './cleanup-stack';
import type { Service } from './service';

export interface StartedService {
  name: string;
  /** Settles when the service's run() does; never rejects (a failure went to onFatal). */
  done: Promise<void>;
}

/**
 * Starts each service in order, each under its own child of the daemon's stop, and pushes its stop onto
 * `cleanup`: draining the stack stops them in reverse order of start (the last started, usually the event
 * pipeline, first; an HTTP server started first answers until the end), each awaited in turn within the
 * stack's budget. A service that rejects with anything but an abort is fatal: `onFatal` gets the error.
 */
export function startServices(
  services: readonly Service[],
  options: { log: Logger; cleanup: CleanupStack; onFatal(error: unknown, service: string): void },
): StartedService[] {
  return services.map((service) => {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    const log = options.log.child({ service: service.name });
    let running: Promise<void>;
    try {
      running = Promise.resolve(service.run(controller.signal));
    } catch (error) {
      running = Promise.reject(error);
    }
    const done = running.then(
      () => log.debug('service stopped'),
      (error: unknown) => {
        if (isAbortError(error) && controller.signal.aborted) return;
        log.error({ err: error }, 'service failed');
        options.onFatal(error, service.name);
      },
    );
    options.cleanup.push({
      name: `stop ${service.name}`,
      run: async () => {
        controller.abort(new ShutdownRequested());
        await done;
      },
    });
    return { name: service.name, done };
  });
}

/** Resolves once `signal` aborts (at once when it already has). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
