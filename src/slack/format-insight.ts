import { accountText } from './account-text';
import { readInsight, type Insight, type InsightAttribution, type InsightValue } from '../events/insight';
import type { TrailEvent } from '../events/types';
import { textOf } from '../events/untrusted';
import { codeSpan, safeText, truncate } from './escape';
import { isoTimeOf, linksText, readableMinutes, readableNumber, slackDateOf, type Field, type MessageAccount, type MessageLinks } from './format-parts';
import type { SlackMessage } from './types';

/**
 * The message for a CloudTrail Insights record (API-FACTS M): which API's call or error rate was unusual, whether
 * the Insight started or ended, its average against the baseline, how long it lasted, and who or what drove it
 * (the top attributions). Insights have no caller, so there is no "by …". Every value from the record is escaped
 * (escape.ts) and cut to a budget; API and attribution values are set apart in code spans, since user agents and
 * ARNs in attributions are chosen by whoever made the calls.
 */

const MAX_TEXT = 1000;
const MAX_NAME = 128;
const MAX_SHORT = 64;
/** One attribution value (an ARN or a user agent); 5 attributions × 5 values keep the payload well under 16 KB. */
const MAX_VALUE = 120;
const MAX_ID = 100;
/** Start: an anomaly began, worth a look; End: it is over. */
const COLOURS = { start: 'warning', end: 'good', other: '#9e9e9e' } as const;

const KINDS: Readonly<Record<string, { label: string; unit: string }>> = {
  ApiCallRateInsight: { label: 'API call rate', unit: 'calls' },
  ApiErrorRateInsight: { label: 'API error rate', unit: 'errors' },
};
const ATTRIBUTES: Readonly<Record<string, string>> = {
  userIdentityArn: 'Top Callers',
  userAgent: 'Top User Agents',
  errorCode: 'Top Error Codes',
};

function kindOf(insight: Insight): { label: string; unit: string } {
  const type = insight.insightType;
  if (type !== undefined && Object.hasOwn(KINDS, type)) return KINDS[type]!;
  return { label: type === undefined ? 'API activity' : `${type}`, unit: 'events' };
}

/** `started` / `ended` / undefined, from insightDetails.state. */
function stateWord(insight: Insight): 'started' | 'ended' | undefined {
  const state = insight.state?.toLowerCase();
  return state === 'start' ? 'started' : state === 'end' ? 'ended' : undefined;
}

/** `CloudTrail Insight started: unusual API call rate for RunInstances (ec2.amazonaws.com) in eu-west-1`. */
function headline(event: TrailEvent, insight: Insight, rich: boolean): string {
  const span = (raw: string, max: number) => (rich ? codeSpan(raw, max) : safeText(raw, max));
  const word = stateWord(insight);
  const title = `CloudTrail Insight${word === undefined ? '' : ` ${word}`}`;
  const api = insight.eventName ?? (event.name || undefined);
  const source = insight.eventSource ?? (event.source === 'unknown' ? undefined : event.source);
  const what = `unusual ${safeText(kindOf(insight).label, MAX_SHORT)}`;
  const of = api === undefined ? '' : ` for ${span(api, MAX_NAME)}`;
  const from = source === undefined ? '' : ` (${span(source, MAX_NAME)})`;
  return `${rich ? `*${title}*` : title}: ${what}${of}${from} in ${safeText(event.region, MAX_SHORT)}`;
}

/** `14 calls per minute in its first minute, 657× the baseline`. */
function insightAverage(insight: Insight): string | undefined {
  if (insight.insightAverage === undefined) return undefined;
  const { unit } = kindOf(insight);
  const span = stateWord(insight) === 'ended' ? 'over the insight' : stateWord(insight) === 'started' ? 'in its first minute' : '';
  const base = insight.baselineAverage;
  const ratio = base !== undefined && base > 0 ? `, ${readableNumber(insight.insightAverage / base)}× the baseline` : '';
  return `${readableNumber(insight.insightAverage)} ${unit} per minute${span === '' ? '' : ` ${span}`}${ratio}`;
}

function baseline(insight: Insight): string | undefined {
  if (insight.baselineAverage === undefined) return undefined;
  const over = insight.baselineDuration === undefined ? '' : ` (over ${readableMinutes(insight.baselineDuration)})`;
  return `${readableNumber(insight.baselineAverage)} ${kindOf(insight).unit} per minute${over}`;
}

/** One line per top value: `` `arn:…` 13/min (baseline 0.0198/min) ``; errorCode "null" means calls without error. */
function attributionField(attribution: InsightAttribution): Field | undefined {
  if (attribution.insight.length === 0) return undefined;
  const { attribute } = attribution;
  const name = Object.hasOwn(ATTRIBUTES, attribute) ? ATTRIBUTES[attribute]! : 'Top Values';
  const lines = attribution.insight.map((item: InsightValue) => {
    const shown = attribute === 'errorCode' && item.value === 'null' ? 'no error' : codeSpan(item.value, MAX_VALUE);
    const rate = item.average === undefined ? '' : ` ${readableNumber(item.average)}/min`;
    const before = attribution.baseline.find((b) => b.value === item.value)?.average;
    return `${shown}${rate}${before === undefined ? '' : ` (baseline ${readableNumber(before)}/min)`}`;
  });
  return { title: `${name} (${safeText(attribute, MAX_SHORT)})`, value: lines.join('\n'), short: false };
}

function insightFields(event: TrailEvent, insight: Insight, named: MessageAccount): Field[] {
  const fields: Field[] = [];
  const add = (title: string, value: string | undefined, short = true) => {
    if (value !== undefined && value !== '') fields.push({ title, value, short });
  };
  const kind = kindOf(insight);
  add('Insight Type', insight.insightType === undefined ? undefined : `${safeText(kind.label, MAX_SHORT)} (${safeText(insight.insightType, MAX_SHORT)})`);
  add('State', insight.state === undefined ? undefined : safeText(insight.state, MAX_SHORT));
  add('API', insight.eventName === undefined ? undefined : codeSpan(insight.eventName, MAX_NAME));
  add('Event Source', insight.eventSource === undefined ? undefined : codeSpan(insight.eventSource, MAX_NAME));
  add('AWS Region', safeText(event.region, MAX_SHORT));
  const word = stateWord(insight);
  add(word === 'ended' ? 'Ended' : word === 'started' ? 'Started' : 'Event Time', slackDateOf(event.time));
  add('Baseline', baseline(insight));
  add('Insight', insightAverage(insight));
  add('Duration', insight.insightDuration === undefined ? undefined : readableMinutes(insight.insightDuration));
  const account = textOf(event.record?.recipientAccountId) ?? named.account;
  add('Account ID', account === undefined ? undefined : accountText(account, named.accounts));
  for (const attribution of insight.attributions) {
    const field = attributionField(attribution);
    if (field !== undefined) fields.push(field);
  }
  add('Shared Event ID', insight.sharedEventId === undefined ? undefined : safeText(insight.sharedEventId, MAX_ID), false);
  add('Event ID', safeText(event.id, MAX_ID), false);
  return fields;
}

/** The rich message for an Insights record, or undefined when the event is not one. */
export function formatInsightMessage(event: TrailEvent, links: MessageLinks = {}, named: MessageAccount = {}): SlackMessage | undefined {
  const insight = readInsight(event.record);
  if (insight === undefined) return undefined;
  const word = stateWord(insight);
  const plain = plainText(event, insight);
  const attachment: NonNullable<SlackMessage['attachments']>[number] = {
    color: word === 'started' ? COLOURS.start : word === 'ended' ? COLOURS.end : COLOURS.other,
    fallback: plain,
    fields: insightFields(event, insight, named),
    mrkdwn_in: ['text', 'fields'],
  };
  const text = linksText(links, event.region);
  if (text !== undefined) attachment.text = text;
  if (isoTimeOf(event.time) !== undefined) attachment.ts = Math.floor(event.time / 1000);
  const emoji = word === 'ended' ? ':white_check_mark:' : ':chart_with_upwards_trend:';
  return { text: truncate(`${emoji} ${headline(event, insight, true)}`, MAX_TEXT), attachments: [attachment], unfurl_links: false, unfurl_media: false };
}

/** Escaped text only: the headline, the figures and the Event ID. */
function plainText(event: TrailEvent, insight: Insight): string {
  const figures = [
    insight.baselineAverage === undefined ? undefined : `baseline ${readableNumber(insight.baselineAverage)}/min`,
    insight.insightAverage === undefined ? undefined : `insight ${readableNumber(insight.insightAverage)}/min`,
  ].filter((part) => part !== undefined);
  const when = isoTimeOf(event.time);
  return truncate(
    `${headline(event, insight, false)}${when === undefined ? '' : ` at ${when}`}` +
      `${figures.length > 0 ? ` · ${figures.join(', ')}` : ''} · Event ID: ${safeText(event.id, MAX_ID)}`,
    MAX_TEXT,
  );
}

/** The plain message (sent when Slack rejects the rich one) for an Insights record, or undefined. */
export function formatInsightPlain(event: TrailEvent): SlackMessage | undefined {
  const insight = readInsight(event.record);
  if (insight === undefined) return undefined;
  return { text: plainText(event, insight), unfurl_links: false, unfurl_media: false };
}
