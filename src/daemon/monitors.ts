import type { Config } from '../config/types';
import type { Clock } from '../lib/clock';
import { isAbortError } from '../lib/errors';
import type { Service } from '../lifecycle/service';
import type { Logger } from '../logging/logger';
import { createDailyHeartbeat, type DailyHeartbeatDeps } from '../monitors/heartbeat-daily';
import { createHeartbeatPing } from '../monitors/heartbeat';
import { createStallAlarm } from '../monitors/stall-alarm';
import type { StatusBoard } from '../observability/status-board';
import type { AlertRecovery } from './recover-alerts';

/**
 * The services of issue 9 item 5 that watch the daemon from outside the event path: the stall alarm, the heartbeat
 * ping and the daily heartbeat message. They read the StatusBoard, which the pollers feed through the Telemetry
 * port.
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
  ].map((service) => bestEffort(service, log));
}

/**
 * A monitor that fails is logged and ends: it never stops the daemon (startServices treats a rejection as fatal,
 * so the rejection stops here).
 */
export function bestEffort(service: Service, log: Logger): Service {
  return {
    name: service.name,
    async run(signal) {
      try {
        await service.run(signal);
      } catch (error) {
        if (!isAbortError(error)) log.error({ err: error, service: service.name }, 'monitor failed; the daemon goes on without it');
      }
    },
  };
}
