import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/types';
import { writeFileAtomic } from '../lib/atomic-write';
import type { Clock } from '../lib/clock';
import { isAbortError } from '../lib/errors';
import type { Service } from '../lifecycle/service';
import type { Logger } from '../logging/logger';
import type { BoardTotals, TargetView } from '../observability/status-board';
import type { SendOutcome } from '../slack/sender';
import type { SlackMessage } from '../slack/types';
import { accountCountsOf, differenceOf, formatHeartbeatMessage } from '../slack/format-heartbeat';

/**
 * The daily heartbeat message (issue 9 item 5, `heartbeat.slackDaily` = "HH:MM" UTC): once a day, at the first
 * check at or after that time, one short Slack message to the default webhook with the counts since the previous
 * one (StatusBoard.snapshotTotals differences), through the webhook's queue and sender like any message (Slack's
 * pace, Retry-After, retries). The day it went out is kept in `<stateDir>/.<profile>.heartbeat.state` (written
 * atomically), so a restart on the same day does not send it again; a daemon down at that time sends it when it
 * next runs that day.
 */

/** How often the time of day is compared with `heartbeat.slackDaily`. */
export const DAILY_CHECK_INTERVAL_MS = 60_000;

export interface DailyHeartbeatDeps {
  board: { snapshotTotals(): BoardTotals; view(): TargetView[] };
  clock: Clock;
  log: Logger;
  /** The webhook queue by name (src/daemon/webhook-queues.ts). */
  queueFor(name: string): { post(message: SlackMessage, signal?: AbortSignal): Promise<SendOutcome> } | undefined;
  config: Pick<Config, 'heartbeat' | 'stateDir' | 'stateProfile' | 'dryRun' | 'slack'>;
}

/** `.<profile>.heartbeat.state`, beside the region state files. */
export function heartbeatStatePath(stateDir: string, profile: string): string {
  return join(stateDir, `.${profile}.heartbeat.state`);
}

/** `2026-11-30`: the UTC day of `ms`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Whether the message of `now`'s UTC day is due: its time ("HH:MM" UTC) has come and it has not gone out yet. */
export function isDailyDue(now: number, timeOfDay: string, lastSentDay: string | undefined): boolean {
  const day = utcDay(now);
  const [hours, minutes] = timeOfDay.split(':').map(Number) as [number, number];
  const due = Date.parse(`${day}T00:00:00Z`) + (hours * 60 + minutes) * 60_000;
  return now >= due && lastSentDay !== day;
}

export function createDailyHeartbeat(deps: DailyHeartbeatDeps): Service {
  const { clock, config, board } = deps;
  const log = deps.log.child({ component: 'heartbeat' });
  const file = heartbeatStatePath(config.stateDir, config.stateProfile);
  const webhook = Object.hasOwn(config.slack.webhooks, 'default') ? 'default' : (Object.keys(config.slack.webhooks)[0] ?? 'default');
  const timeOfDay = config.heartbeat.slackDaily;

  const readLastSentDay = async (): Promise<string | undefined> => {
    try {
      const data = JSON.parse(await readFile(file, 'utf8')) as { lastSentDay?: unknown };
      if (typeof data.lastSentDay === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(data.lastSentDay)) return data.lastSentDay;
      log.warn({ file }, 'heartbeat state file holds no day; it is rewritten after the next heartbeat');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') log.warn({ file, code: code ?? 'invalid JSON' }, 'heartbeat state file unreadable; at worst today\'s heartbeat goes out twice');
    }
    return undefined;
  };

  return {
    name: 'heartbeat-daily',
    async run(signal) {
      if (timeOfDay === undefined || signal.aborted) return;
      let lastSentDay = await readLastSentDay();
      let since = clock.now();
      let sinceStart = true;
      let baseline = board.snapshotTotals();
      // Each target's counts at the period's start: the per-account lines of a daemon watching several accounts.
      let targetBaseline = new Map(board.view().map((view) => [view.key, { read: view.counts.read, posted: view.counts.posted }]));
      log.info({ at: `${timeOfDay} UTC`, webhook }, 'daily heartbeat message on');
      while (!signal.aborted) {
        try {
          await clock.sleep(DAILY_CHECK_INTERVAL_MS, signal);
        } catch (error) {
          if (signal.aborted || isAbortError(error)) return;
          throw error;
        }
        const now = clock.now();
        if (!isDailyDue(now, timeOfDay, lastSentDay)) continue;
        const queue = deps.queueFor(webhook);
        if (queue === undefined) return log.error({ webhook }, 'no webhook queue for the daily heartbeat; it stays off');
        const totals = board.snapshotTotals();
        const views = board.view();
        const message = formatHeartbeatMessage({
          since, sinceStart, now, counts: differenceOf(totals, baseline), regions: views, profile: config.stateProfile,
          accounts: accountCountsOf(views, targetBaseline),
        });
        let outcome: SendOutcome;
        try {
          outcome = await queue.post(message, signal);
        } catch (error) {
          if (signal.aborted || isAbortError(error)) return;
          log.warn({ err: error }, 'daily heartbeat not posted; trying again at the next check');
          continue;
        }
        // A refused message would be refused again: the day is done either way (no retry every minute).
        if (outcome.delivered) log.info({ webhook }, 'daily heartbeat posted');
        else log.error({ webhook, slackError: outcome.error }, 'Slack refused the daily heartbeat message');
        lastSentDay = utcDay(now);
        since = now;
        sinceStart = false;
        baseline = totals;
        targetBaseline = new Map(views.map((view) => [view.key, { read: view.counts.read, posted: view.counts.posted }]));
        if (config.dryRun) continue; // --dry-run writes no state
        try {
          await writeFileAtomic(file, `${JSON.stringify({ version: 1, lastSentDay, sentAt: new Date(now).toISOString() })}\n`);
        } catch (error) {
          log.warn({ file, err: error }, 'cannot save the heartbeat state; after a restart today\'s heartbeat may go out again');
        }
      }
    },
  };
}
