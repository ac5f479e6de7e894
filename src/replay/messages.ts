import type { DigestOptions, Plan } from '../pipeline/plan';
import type { QueueItem } from '../pipeline/types';
import { formatEventMessage, formatPlainMessage } from '../slack/format';
import { formatDigestMessage, formatPlainDigest } from '../slack/format-digest';
import type { SlackMessage } from '../slack/types';
import { planBacklog } from './plan-backlog';
import type { ReplayProblem } from './read';

/**
 * Replay's plan and format stages: one webhook's items → its messages, as its queue in the daemon would send them
 * (planBacklog: planNext until nothing waits), each formatted by the daemon's formatters: a single event through
 * formatEventMessage with the decision and the route's mention, a digest through formatDigestMessage.
 */

export interface ReplayMessage {
  webhook: string;
  kind: Plan['kind'];
  /** Oldest first; a single's one item. */
  items: QueueItem[];
  /** What is printed, rendered and posted first: the rich message, or the plain one when the rich formatter threw. */
  message: SlackMessage;
  /** The plain-text version, sent once when Slack rejects `message`; throws when it cannot be formatted either. */
  plain(): SlackMessage;
}

export interface MessageOptions {
  digest: DigestOptions;
  /** Config `consoleDomain`; undefined: each region's partition decides. */
  consoleDomain: string | undefined;
}

/** `event <id>` or `digest of 12 events from event <id>`: how a stderr line names a message (made inert by `say`). */
export function describeMessage(message: Pick<ReplayMessage, 'kind' | 'items'>): string {
  const first = message.items[0]?.event.id ?? '';
  return message.kind === 'single' ? `event ${first}` : `digest of ${message.items.length} events from event ${first}`;
}

function formattersOf(plan: Plan, options: MessageOptions): { rich(): SlackMessage; plain(): SlackMessage } {
  if (plan.kind === 'digest') {
    const items = plan.items;
    return {
      rich: () => formatDigestMessage(items, { consoleDomain: options.consoleDomain, repeatWindowMs: options.digest.repeatWindowMs }),
      plain: () => formatPlainDigest(items),
    };
  }
  const [item] = plan.items as [QueueItem];
  const format = { consoleDomain: options.consoleDomain, decision: item.decision, mention: item.mention };
  return { rich: () => formatEventMessage(item.event, format), plain: () => formatPlainMessage(item.event, format) };
}

/**
 * The messages of one webhook, in sending order. As the daemon does, a message whose rich formatter throws goes
 * out in its plain version; one that cannot be formatted at all is a problem (named, never its event's values
 * beyond the ID), not a crash, and the others still go.
 */
export function buildMessages(webhook: string, items: readonly QueueItem[], options: MessageOptions, problems: ReplayProblem[]): ReplayMessage[] {
  const out: ReplayMessage[] = [];
  for (const plan of planBacklog(items, options.digest)) {
    const format = formattersOf(plan, options);
    let message: SlackMessage;
    try {
      message = format.rich();
    } catch {
      try {
        message = format.plain();
      } catch (error) {
        problems.push({ file: describeMessage(plan), message: `could not be formatted (${error instanceof Error ? error.name : typeof error})` });
        continue;
      }
    }
    out.push({ webhook, kind: plan.kind, items: plan.items, message, plain: format.plain });
  }
  return out;
}
