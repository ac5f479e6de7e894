import { classifyAwsError, describeAwsError, type LookupClient } from '../cloudtrail/client';
import type { Config } from '../config/types';
import type { Clock } from '../lib/clock';
import { isAbortError } from '../lib/errors';
import type { Service } from '../lifecycle/service';
import type { Logger } from '../logging/logger';
import { createDailyHeartbeat, type DailyHeartbeatDeps } from '../monitors/heartbeat-daily';
import { createHeartbeatPing } from '../monitors/heartbeat';
import { createStallAlarm } from '../monitors/stall-alarm';
import type { StatusBoard } from '../observability/status-board';
import type { RegionState } from '../state/region-state';
import type { AlertRecovery } from './recover-alerts';

/**
 * The services of issue 9 item 5 that watch the daemon from outside the event path: the stall alarm, the heartbeat
 * ping and the daily heartbeat message. They read the StatusBoard; `watchScans` feeds it from what run-daemon
 * already sees of each region (until the pollers report to the Telemetry port themselves).
 */

export interface MonitorContext {
  board: StatusBoard;
  recovery: Pick<AlertRecovery, 'alerter' | 'observe'>;
  clock: Clock;
  log: Logger;
  fetch?: typeof fetch;
  queueFor: DailyHeartbeatDeps['queueFor'];
  config: Config;
}

/** The monitor services; none under --once (a pass is over before a stall or a day could be). */
export function createMonitorServices(ctx: MonitorContext): Service[] {
  if (ctx.config.once) return [];
  const { board, recovery, clock, log, config } = ctx;
  return [
    createStallAlarm({ board, alerter: recovery.alerter, observe: recovery.observe, clock, log, config }),
    createHeartbeatPing({ board, clock, log, fetch: ctx.fetch, config }),
    createDailyHeartbeat({ board, clock, log, queueFor: ctx.queueFor, config }),
  ];
}

/**
 * Runs the monitors under `signal`. `stop()` ends them (also when the pollers ended without a stop) and resolves
 * once each has settled. A monitor that fails is logged: it never stops the daemon.
 */
export function startMonitors(
  ctx: MonitorContext,
  signal: AbortSignal,
  create: (ctx: MonitorContext) => Service[] = createMonitorServices,
): { stop(): Promise<void> } {
  const own = new AbortController();
  const onStop = () => own.abort(signal.reason);
  signal.addEventListener('abort', onStop, { once: true });
  const running = create(ctx).map((service) =>
    service.run(own.signal).catch((error: unknown) => {
      if (!isAbortError(error)) ctx.log.error({ err: error, service: service.name }, 'monitor failed; the daemon goes on without it');
    }),
  );
  return {
    async stop() {
      signal.removeEventListener('abort', onStop);
      own.abort(signal.reason);
      await Promise.allSettled(running);
    },
  };
}

/** Tells the board about one region: its start, each saved scan, each failed LookupEvents request. */
export function watchScans(board: StatusBoard, region: string, clock: Clock) {
  return {
    started(state: RegionState): void {
      board.targetStarted(region, state.lastScanEnd ?? state.offset);
    },
    /** The poller saves its state after each delivered scan: the scan's end is how far the region is read. */
    saved(state: RegionState): void {
      const end = state.lastScanEnd ?? state.offset;
      board.scanSucceeded(region, { start: Math.min(state.offset, end), end }, clock.now() - end < 60_000);
    },
    client<C extends LookupClient>(inner: C): LookupClient {
      return {
        lookupEvents: async (input, signal) => {
          try {
            return await inner.lookupEvents(input, signal);
          } catch (error) {
            if (!signal?.aborted) {
              // Denied in one region: an opt-in region that is not enabled (RegionHealth; all regions denied is fatal).
              const kind = classifyAwsError(error);
              const denied = kind === 'access-denied' || kind === 'unrecognized-client';
              board.scanFailed(region, describeAwsError(error), denied ? 'disabled' : 'failing');
            }
            throw error;
          }
        },
        serverClockOffsetMs: () => inner.serverClockOffsetMs?.() ?? 0,
      };
    },
  };
}
