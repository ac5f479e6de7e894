import { codeSpan, safeText, truncate } from './escape';
import { LEVEL_COLOURS } from './level-colours';
import { LEVEL_MARKERS, levelWord } from './severity';
import type { SlackMessage } from './types';

/**
 * The trail monitor's own messages (issue 9 item 6): a high-severity alert when the account's CloudTrail trail
 * coverage breaks, and a "recovered" message when it is whole again. Marked as the daemon's, never to be taken for
 * a CloudTrail event: the headline starts with "cloudtrail-slack trail monitor" and the footer says so too.
 * Trail names are chosen by whoever created the trail: every piece of a finding is escaped (escape.ts) and cut,
 * and names are set apart in code spans, so `<!channel>` in a name is shown, never acted on.
 */

export interface TrailAlertContent {
  /** An alert kind of src/alerts/alert-kinds.ts: trail-missing, trail-not-logging, …, trail-monitor-denied. */
  kind: string;
  /** The trails concerned, by name (user-controlled). */
  trails: readonly string[];
  /** What is wrong (may quote trail names: user-controlled). */
  reason: string;
  /** What a human should do. */
  action: string;
  /** The region the checks run in. */
  region: string;
}

/** Slack counts a message's text in characters; 3,000 per attachment text keeps far inside its limits (API-FACTS C.2). */
const MAX_TEXT = 3000;
const MAX_LINE = 1200;
const MAX_NAME = 130;
/** Trails listed by name; the rest are counted. */
const MAX_TRAILS = 10;
const SOURCE = 'cloudtrail-slack trail monitor';

const TITLES: Readonly<Record<string, string>> = {
  'trail-missing': 'no multi-region CloudTrail trail',
  'trail-not-logging': 'a CloudTrail trail stopped logging',
  'trail-coverage': 'a CloudTrail trail no longer records global service events',
  'trail-selectors': 'a CloudTrail trail no longer records write management events',
  'trail-monitor-denied': 'the trail monitor lost its permission (AccessDenied)',
};

/** `trail-not-logging` → `a CloudTrail trail stopped logging`. */
export function trailAlertTitle(kind: string): string {
  return TITLES[kind] ?? 'CloudTrail trail coverage changed';
}

/** The alert: high severity (the marker and colour of a high event), what is wrong, which trails, what to do. */
export function formatTrailAlert(alert: TrailAlertContent): SlackMessage {
  const marker = LEVEL_MARKERS.high ?? '';
  const headline = `${marker} *${SOURCE}* (${levelWord('high')}): ${trailAlertTitle(alert.kind)}`;
  const lines = [
    safeText(alert.reason, MAX_LINE),
    `*What to do:* ${safeText(alert.action, MAX_LINE)}`,
    ...trailsLine(alert.trails),
    `Checked from ${safeText(alert.region, 32)}. One message while this lasts; another when it is fixed.`,
  ];
  return {
    text: truncate(headline, MAX_TEXT),
    attachments: [
      { color: LEVEL_COLOURS.high, fallback: truncate(`${SOURCE}: ${trailAlertTitle(alert.kind)}`, 300), text: truncate(lines.join('\n'), MAX_TEXT), footer: SOURCE, mrkdwn_in: ['text'] },
    ],
    unfurl_links: false,
    unfurl_media: false,
  };
}

/** The recovery: which alert ended and what was seen. */
export function formatTrailRecovered(recovered: { kind: string; note: string; region: string }): SlackMessage {
  const headline = `:white_check_mark: *${SOURCE}*: recovered: ${trailAlertTitle(recovered.kind)}`;
  return {
    text: truncate(headline, MAX_TEXT),
    attachments: [
      {
        color: LEVEL_COLOURS.informational,
        fallback: truncate(`${SOURCE}: recovered: ${trailAlertTitle(recovered.kind)}`, 300),
        text: truncate(`${safeText(recovered.note, MAX_LINE)} (checked from ${safeText(recovered.region, 32)}).`, MAX_TEXT),
        footer: SOURCE,
        mrkdwn_in: ['text'],
      },
    ],
    unfurl_links: false,
    unfurl_media: false,
  };
}

function trailsLine(trails: readonly string[]): string[] {
  if (trails.length === 0) return [];
  const shown = trails.slice(0, MAX_TRAILS).map((name) => codeSpan(name, MAX_NAME));
  const more = trails.length > MAX_TRAILS ? ` and ${trails.length - MAX_TRAILS} more` : '';
  return [`*Trail${trails.length === 1 ? '' : 's'}:* ${shown.join(', ')}${more}`];
}
