import type { CloudTrailRecord } from './types';
import { isObject, objectOf, textOf } from './untrusted';

/**
 * CloudTrail Insights records (API-FACTS M): `eventType: AwsCloudTrailInsight`, `eventCategory: Insight`, no
 * userIdentity, eventName, eventSource or readOnly at top level; the content is in `insightDetails`:
 * `{ state: Start|End, eventSource, eventName, insightType: ApiCallRateInsight|ApiErrorRateInsight,
 *    insightContext: { statistics: { baseline: {average}, insight: {average}, insightDuration, baselineDuration },
 *                      attributions: [{ attribute, insight: [{value, average}], baseline: [{value, average}] }] } }`.
 * Averages are calls (or errors) per minute; durations are minutes. Read defensively: any part may be missing or
 * of another type, and the values (user agents, ARNs) are attacker-controlled.
 */
export interface InsightValue {
  value: string;
  /** Per minute; undefined when absent or not a finite number. */
  average?: number;
}

export interface InsightAttribution {
  /** `userIdentityArn`, `userAgent` or `errorCode`. */
  attribute: string;
  /** At most MAX_ATTRIBUTION_VALUES, as recorded (AWS sorts them by average, descending). */
  insight: InsightValue[];
  baseline: InsightValue[];
}

export interface Insight {
  /** `Start` or `End` as recorded; undefined when absent. */
  state?: string;
  insightType?: string;
  /** The API whose call or error rate was unusual, and its service. */
  eventName?: string;
  eventSource?: string;
  baselineAverage?: number;
  insightAverage?: number;
  /** Minutes. */
  insightDuration?: number;
  baselineDuration?: number;
  attributions: InsightAttribution[];
  /** Common to the Start and End records of one Insight. */
  sharedEventId?: string;
}

/** AWS lists at most 5 values per attribution (API-FACTS M); more in a record are cut, not trusted. */
export const MAX_ATTRIBUTION_VALUES = 5;
/** Three attributes are documented; a record with more is cut to a few so a message stays bounded. */
const MAX_ATTRIBUTIONS = 5;

/** Whether a record is an Insights record: its eventType or eventCategory says so, or it has insightDetails. */
export function isInsightRecord(record: CloudTrailRecord | undefined): boolean {
  if (record === undefined) return false;
  const type = textOf(record.eventType)?.toLowerCase();
  const category = textOf(record.eventCategory)?.toLowerCase();
  return type === 'awscloudtrailinsight' || category === 'insight' || isObject(record.insightDetails);
}

/** The Insight a record describes, or undefined when it is not an Insights record. Never throws. */
export function readInsight(record: CloudTrailRecord | undefined): Insight | undefined {
  if (record === undefined || !isInsightRecord(record)) return undefined;
  const details = objectOf(record.insightDetails);
  const context = objectOf(details.insightContext);
  const statistics = objectOf(context.statistics);
  const attributions = Array.isArray(context.attributions) ? context.attributions : [];
  return {
    state: textOf(details.state),
    insightType: textOf(details.insightType),
    eventName: textOf(details.eventName),
    eventSource: textOf(details.eventSource),
    baselineAverage: numberOf(objectOf(statistics.baseline).average),
    insightAverage: numberOf(objectOf(statistics.insight).average),
    insightDuration: numberOf(statistics.insightDuration),
    baselineDuration: numberOf(statistics.baselineDuration),
    attributions: attributions.filter(isObject).slice(0, MAX_ATTRIBUTIONS).map((a) => ({
      attribute: textOf(a.attribute) ?? 'unknown attribute',
      insight: valuesOf(a.insight),
      baseline: valuesOf(a.baseline),
    })),
    sharedEventId: textOf(record.sharedEventID),
  };
}

function valuesOf(list: unknown): InsightValue[] {
  if (!Array.isArray(list)) return [];
  const out: InsightValue[] = [];
  for (const item of list.filter(isObject).slice(0, MAX_ATTRIBUTION_VALUES)) {
    const value = textOf(item.value);
    if (value === undefined) continue;
    const average = numberOf(item.average);
    out.push(average === undefined ? { value } : { value, average });
  }
  return out;
}

/** A finite number, also from its text (`"5.0"`); else undefined. */
function numberOf(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}
