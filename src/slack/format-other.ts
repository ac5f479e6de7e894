import type { TrailEvent } from '../events/types';
import { formatInsightMessage, formatInsightPlain } from './format-insight';
import type { MessageAccount, MessageLinks } from './format-parts';
import { formatUnnamedMessage, formatUnnamedPlain } from './format-unnamed';
import type { SlackMessage } from './types';

/**
 * Records that are not API calls get their own messages, never the API-call message with placeholders
 * (`*UnknownEvent* by unknown (Unknown)`): CloudTrail Insights records (format-insight.ts), and events that nothing
 * names (format-unnamed.ts). format.ts asks here first; undefined means "an API call: format it as one".
 */
export function formatOtherMessage(event: TrailEvent, links: MessageLinks, named: MessageAccount = {}): SlackMessage | undefined {
  return formatInsightMessage(event, links, named) ?? formatUnnamedMessage(event, links, named);
}

/** The plain-text counterpart of formatOtherMessage. */
export function formatOtherPlain(event: TrailEvent): SlackMessage | undefined {
  return formatInsightPlain(event) ?? formatUnnamedPlain(event);
}
