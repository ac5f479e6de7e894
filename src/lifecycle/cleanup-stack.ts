import type { Logger } from '../logging/logger';

/** One step of a stop: stop a service, close a client, await pending alert emails. */
export interface Cleanup {
  /** Names the step in logs ("stop http", "close cloudtrail clients"). */
  name: string;
  run(): void | Promise<void>;
}

/** A deadline for the whole drain: wall clock, like the shutdown watchdog it must beat (src/daemon/signals.ts). */
export type StartDeadline = (ms: number, fire: () => void) => () => void;

const startUnrefTimer: StartDeadline = (ms, fire) => {
  const timer = setTimeout(fire, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

/**
 * Resources and services in the order they were started; `drain()` stops them in reverse (last started, first
 * stopped), keeps going past a step that fails (logged), and gives up waiting on a step once the budget is spent
 * (logged once, the rest still run). Never throws.
 */
export class CleanupStack {
  readonly #log: Logger;
  readonly #steps: Cleanup[] = [];
  readonly #startDeadline: StartDeadline;

  constructor(log: Logger, options: { startDeadline?: StartDeadline } = {}) {
    this.#log = log;
    this.#startDeadline = options.startDeadline ?? startUnrefTimer;
  }

  push(step: Cleanup): void {
    this.#steps.push(step);
  }

  get size(): number {
    return this.#steps.length;
  }

  /**
   * Runs every step, last pushed first. `budgetMs` (the shutdown budget, `shutdownTimeoutSeconds` in ms) bounds
   * the waiting on all of them together; a step still running then is left behind with a warning, so one stuck
   * step never holds up the others.
   */
  async drain(budgetMs = Number.POSITIVE_INFINITY): Promise<void> {
    let expired = false;
    let onExpire: (() => void) | undefined;
    const deadline = new Promise<'expired'>((resolve) => {
      onExpire = () => {
        expired = true;
        resolve('expired');
      };
    });
    const cancel = Number.isFinite(budgetMs) ? this.#startDeadline(budgetMs, () => onExpire?.()) : () => undefined;
    try {
      for (let step = this.#steps.pop(); step; step = this.#steps.pop()) {
        const work = (async () => step.run())().then(
          () => 'done' as const,
          (error: unknown) => {
            this.#log.warn({ err: error, step: step.name }, 'cleanup step failed; going on');
            return 'failed' as const;
          },
        );
        if (expired) {
          void work; // still started, never awaited: the budget is spent
          continue;
        }
        if ((await Promise.race([work, deadline])) === 'expired') {
          this.#log.warn({ step: step.name, budgetMs }, 'cleanup step still running when the stop budget ran out; not waiting for it');
        }
      }
    } finally {
      cancel();
    }
  }
}
