/** A Slack incoming-webhook payload (the subset we send). */
export interface SlackMessage {
  /** Top-level text: the notification and fallback. */
  text: string;
  attachments?: SlackAttachment[];
  blocks?: unknown[];
  unfurl_links?: boolean;
  unfurl_media?: boolean;
}

/** A legacy attachment: the only way to get a colour bar. */
export interface SlackAttachment {
  color?: string;
  fallback?: string;
  title?: string;
  title_link?: string;
  text?: string;
  fields?: Array<{ title: string; value: string; short?: boolean }>;
  footer?: string;
  ts?: number;
  mrkdwn_in?: string[];
  blocks?: unknown[];
}
