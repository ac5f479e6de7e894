import type { TrailEvent } from '../events/types';
import type { Decision } from '../rules/decision';

export type { Decision, Level, RuleHit } from '../rules/decision';
export { LEVEL_ORDER, LEVELS, levelAtLeast, maxLevel } from '../rules/decision';

/**
 * One event waiting on one webhook's queue. An event routed to two webhooks is two QueueItems, each committed
 * to its own webhook when Slack accepts the message that carries it.
 */
export interface QueueItem {
  event: TrailEvent;
  decision: Decision;
  /** The webhook name (a key of config `slack.webhooks`; `default` for SLACK_WEBHOOK_URL). */
  webhook: string;
  /** From the route (trusted config); posted as a real mention in the top-level text. Never from the event. */
  mention?: string;
  /** Grouping key of the actor: principal ARN, or identity type + name (+ account); see actorKey(). */
  actor: string;
  /** The target the event came from; commits go to that target's state. Today the region; later `account:region`. */
  target: string;
  /** ms since the epoch when it was queued, for FIFO among items of the same event time. */
  enqueuedAt: number;
}
