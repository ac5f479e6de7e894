import { createScrubber } from '../alerts/scrub';
import type { Config } from '../config/types';
import type { Clock } from '../lib/clock';
import { isAbortError } from '../lib/errors';
import type { Service } from '../lifecycle/service';
import type { Logger } from '../logging/logger';

/**
 * The heartbeat ping (issue 9 item 5): after each full cycle in which every target scanned successfully
 * (StatusBoard.onCycle with clean = true), one GET to `heartbeat.url`, a dead man's switch in the healthchecks.io
 * style (it alerts when the pings stop; https://healthchecks.io/docs/http_api/). At most one ping in flight and
 * at most one per poll interval (cycles come faster while a backlog is read; a check's period is minutes or more,
 * so one ping a poll interval is plenty), each bounded by `heartbeat.timeoutSeconds` and the stop signal. The
 * poller that ends a cycle only starts the ping: it never waits for it. The URL is a secret (its path is the
 * check's key): no log line holds it.
 */

export interface HeartbeatDeps {
  board: { onCycle(listener: (clean: boolean) => void): () => void };
  clock: Clock;
  log: Logger;
  /** Default globalThis.fetch (DaemonDeps.fetch in the daemon). */
  fetch?: typeof fetch;
  config: Pick<Config, 'heartbeat' | 'pollIntervalSeconds'>;
}

export function createHeartbeatPing(deps: HeartbeatDeps): Service {
  const { clock, config } = deps;
  const url = config.heartbeat.url;
  const log = deps.log.child({ component: 'heartbeat' });
  const doFetch = deps.fetch ?? globalThis.fetch;
  const timeoutMs = config.heartbeat.timeoutSeconds * 1000;
  const minIntervalMs = config.pollIntervalSeconds * 1000;
  const scrub = createScrubber([url]);
  let inFlight: Promise<void> | undefined;
  let lastStartedAt: number | undefined;
  /** Since the last ping that worked: the first failure is a warning, the rest are debug lines. */
  let failing = false;

  const ping = async (target: string, stop: AbortSignal): Promise<void> => {
    const request = new AbortController();
    const onStop = () => request.abort(stop.reason);
    stop.addEventListener('abort', onStop, { once: true });
    const timer = new AbortController();
    // The injected clock bounds the request (a real timer in the daemon, a manual one in tests).
    void clock.sleep(timeoutMs, timer.signal).then(
      () => request.abort(new Error(`no answer within ${config.heartbeat.timeoutSeconds} s`)),
      () => undefined,
    );
    let problem: string | undefined;
    try {
      const response = await doFetch(target, { method: 'GET', signal: request.signal, headers: { 'user-agent': 'cloudtrail-slack' } });
      await response.arrayBuffer(); // read to the end: frees the connection for the next ping
      if (!response.ok) problem = `HTTP ${response.status}`;
    } catch (error) {
      if (stop.aborted) return; // stopping: not a failure of the ping service
      problem = request.signal.aborted && !isAbortError(request.signal.reason) ? describe(request.signal.reason) : describe(error);
    } finally {
      timer.abort();
      stop.removeEventListener('abort', onStop);
    }
    if (problem === undefined) {
      if (failing) log.info('heartbeat pings work again');
      else log.debug('heartbeat ping sent');
      failing = false;
      return;
    }
    // Warn once per run of failures: a ping service that is down must not flood the log at every cycle.
    log[failing ? 'debug' : 'warn']({ reason: scrub(problem) }, 'heartbeat ping failed; the dead man\'s switch will notice if this lasts');
    failing = true;
  };

  return {
    name: 'heartbeat',
    async run(signal) {
      if (url === undefined || signal.aborted) return;
      log.info({ everyAtMostSeconds: config.pollIntervalSeconds, timeoutSeconds: config.heartbeat.timeoutSeconds }, 'heartbeat pings on (after each cycle in which every region scanned)');
      const unsubscribe = deps.board.onCycle((clean) => {
        if (!clean) return log.debug('cycle had failures: no heartbeat ping');
        const now = clock.now();
        if (inFlight !== undefined || (lastStartedAt !== undefined && now - lastStartedAt < minIntervalMs)) return;
        lastStartedAt = now;
        inFlight = ping(url, signal).finally(() => {
          inFlight = undefined;
        });
      });
      try {
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      } finally {
        unsubscribe();
        await inFlight; // aborted with the signal: settles at once
      }
    },
  };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici's "fetch failed" hides the reason in its cause (ECONNREFUSED, ENOTFOUND, a TLS error).
  const cause = error.cause instanceof Error ? `: ${(error.cause as NodeJS.ErrnoException).code ?? error.cause.message}` : '';
  return `${error.message}${cause}`;
}
