import type { AccountNameSource } from '../slack/account-text';
import type { AlertInput } from '../alerts/alerter';
import type { Config } from '../config/types';
import type { Clock } from '../lib/clock';
import type { Logger } from '../logging/logger';
import { digestOptionsOf } from '../pipeline/digest-options';
import type { QueueItem } from '../pipeline/types';
import { createWebhookQueue, type WebhookQueue } from '../pipeline/webhook-queue';
import { createDryRunSender, createSlackSender, type SlackSender } from '../slack/sender';
import type { SlackMessage } from '../slack/types';
import type { AlertRecovery } from './recover-alerts';
import type { Telemetry } from '../observability/telemetry';

/**
 * One paced sender and one queue per configured webhook (issue 8 item 4: a flood on one never delays another),
 * shared by every region's poller. In --dry-run, and for a webhook without a URL, each queue's sender prints the
 * payloads instead (one JSON line each); with several webhooks the line names its webhook (`"webhook"` first).
 */

export interface WebhookQueueDeps {
  clock: Clock;
  log: Logger;
  fetch?: typeof fetch;
  writeOut(line: string): void;
  /** The daemon's stop: waiting items are released, the message in flight finishes. */
  signal: AbortSignal;
  recovery: AlertRecovery;
  track(work: Promise<void>): void;
  /** Where the queues' and senders' counts go (metrics, status page); default none. */
  telemetry?: Telemetry;
  /** Records (and alerts about) an item Slack rejected twice. */
  recordUndeliverable(item: QueueItem, error: string): Promise<void>;
  /** The account the daemon runs as, once STS has said (src/aws/learn-identity.ts): messages name it. */
  account?: () => string | undefined;
  /** The run's AccountDirectory: messages and digests name an account "name (id)"; default: IDs only. */
  accounts?: AccountNameSource;
}

/**
 * Every configured webhook's queue, by name. Config validation makes every route name one of them (and, without a
 * `default`, end in a catch-all); --dry-run without any webhook prints as `default`, where unrouted events go.
 */
export function createWebhookQueues(config: Config, deps: WebhookQueueDeps): Map<string, WebhookQueue> {
  const configured = Object.keys(config.slack.webhooks);
  const names = configured.length > 0 ? configured : ['default'];
  const digest = digestOptionsOf(config);
  const named = names.length > 1;
  return new Map(
    names.map((name) => [
      name,
      createWebhookQueue({
        name,
        sender: createSender(config, deps, name, named),
        log: deps.log,
        digest,
        consoleDomain: config.consoleDomain,
        account: deps.account,
        accounts: deps.accounts,
        recordUndeliverable: deps.recordUndeliverable,
        signal: deps.signal,
        telemetry: deps.telemetry,
      }),
    ]),
  );
}

function createSender(config: Config, deps: WebhookQueueDeps, name: string, named: boolean): SlackSender {
  const url = Object.hasOwn(config.slack.webhooks, name) ? config.slack.webhooks[name] : undefined;
  if (config.dryRun || url === undefined) {
    const printer = createDryRunSender((line) => deps.writeOut(line));
    if (!named) return printer;
    return { send: (message, signal) => printer.send({ webhook: name, ...message } as SlackMessage, signal), stats: printer.stats };
  }
  const { recovery, track } = deps;
  return createSlackSender({
    webhookUrl: url,
    clock: deps.clock,
    log: deps.log.child({ component: 'slack', webhook: name }),
    fetch: deps.fetch,
    messagesPerSecond: config.slackMessagesPerSecond,
    requestTimeoutMs: SLACK_REQUEST_TIMEOUT_MS,
    stopGraceMs: stopGraceMsOf(config),
    onRefused: config.once ? 'throw' : 'wait',
    unhealthyAfterMs: config.alertAfterMinutes * 60_000,
    // --once must end (cron): a Slack outage fails the pass (exit 1) instead of retrying for ever.
    giveUpAfterMs: config.once ? config.alertAfterMinutes * 60_000 : undefined,
    onStatusChange: (status) => {
      if (status.healthy) return; // the accepted message that shows it ends the alert (onAccepted)
      const kind = status.kind ?? 'slack-refused';
      // --once: a refusal stops the pass as a fatal error, which alerts with the right advice itself.
      if (!(config.once && kind === 'slack-refused')) track(recovery.alerter.alert(slackAlert(kind, status.reason, config.once, named ? name : undefined)));
    },
    onAccepted: () => recovery.observe({ type: 'slack' }),
    onAttempt: (outcome) => deps.telemetry?.slackMessage(name, outcome),
  });
}

/** One Slack POST's bound while running (API-FACTS C.5: @slack/webhook has none by default). */
export const SLACK_REQUEST_TIMEOUT_MS = 15_000;

/**
 * How long a POST in flight may still take after the stop: half the shutdown budget (`shutdownTimeoutSeconds`),
 * at most one request's bound, so the commit, the state save and the pid file fit in the other half and a slow
 * Slack never turns a clean stop into the watchdog's exit 1.
 */
export function stopGraceMsOf(config: Pick<Config, 'shutdownTimeoutSeconds'>): number {
  return Math.min(SLACK_REQUEST_TIMEOUT_MS, (config.shutdownTimeoutSeconds * 1000) / 2);
}

function slackAlert(kind: string, reason = 'unknown', once = false, webhook?: string): AlertInput {
  // The webhook's name (config), never its URL (a secret).
  const which = webhook === undefined ? '' : ` (webhook "${webhook}")`;
  if (kind === 'slack-failing') {
    return {
      kind,
      reason: `Slack posts keep failing${which}: ${reason}`,
      action: once
        ? 'check Slack status and this host\'s network; this --once pass gives up, the next run posts what it could not (no offset moved)'
        : 'check Slack status and this host\'s network; posting resumes on its own, nothing is lost meanwhile',
    };
  }
  return {
    kind,
    reason: `Slack refused the webhook${which}: ${reason}`,
    action: 'check that the incoming webhook still exists and its channel is not archived; posting resumes on its own, nothing is lost meanwhile',
  };
}
