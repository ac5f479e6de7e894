import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudTrailRecord } from '../events/types';
import type { Decision } from '../rules/decision';
import { isPosted, type SampleDecider } from './expected';

/**
 * The demo's events: the bundled real records (data/sample-events.jsonl, see data/SOURCES.md) moved to the
 * present and spread over three regions, with a few of the newest made visible late, as CloudTrail does.
 * planSampleEvents is pure: the same records and `now` always give the same plan.
 */

export const DEMO_REGIONS: readonly string[] = ['us-east-1', 'eu-west-1', 'ap-southeast-2'];
/** src/demo/ (tsx) and dist/demo/ (compiled) both sit two levels below the package root, beside data/. */
export const SAMPLE_FILE = join(__dirname, '..', '..', 'data', 'sample-events.jsonl');
/** When late events become visible in continuous mode, after the demo starts (cycled over the late events). */
export const DEFAULT_LATE_AFTER_MS: readonly number[] = [8_000, 16_000, 24_000, 32_000];

/** Global services log only to us-east-1's Event history (DESIGN: data flow), so the demo keeps them there. */
const GLOBAL_SOURCES = new Set(['iam.amazonaws.com', 'sts.amazonaws.com', 'signin.amazonaws.com', 'organizations.amazonaws.com']);
/** The newest sample event happened this long before the demo started. */
const NEWEST_AGE_MS = 60_000;
/**
 * Late candidates: write events of the sample's newest 10 minutes. CloudTrail shows events "typically within
 * 5 minutes", not guaranteed (API-FACTS); a late event older than the settle window (15 min) would be a miss.
 */
const LATE_CANDIDATE_MS = 10 * 60_000;
const LATE_EVERY = 3;
const MAX_LATE = 12;

export interface PlannedEvent {
  record: CloudTrailRecord;
  region: string;
  /** ms epoch, whole seconds. */
  eventTime: number;
  /** When the simulator starts returning it; undefined = from its event time. */
  visibleAt?: number;
  late: boolean;
  /** What the daemon's rules, mutes and routes decide about it; undefined for a read-only record (never read). */
  decision?: Decision;
  /** A write the daemon must post: one that no mute drops (see expected.ts). */
  expected: boolean;
}

export interface PlanOptions {
  /** The demo's start, ms epoch. */
  now: number;
  /** --once: the late events are made visible at `now`, before the only pass. */
  once: boolean;
  lateAfterMs?: readonly number[];
  /** The daemon's decision for a record read in a region (createSampleDecider). */
  decide: SampleDecider;
}

/** Reads the JSONL sample (one CloudTrail record per line). */
export function readSampleRecords(path = SAMPLE_FILE): CloudTrailRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CloudTrailRecord);
}

/** Shifts, spreads and schedules the records; keeps their order and their real spacing in time. */
export function planSampleEvents(records: readonly CloudTrailRecord[], options: PlanOptions): PlannedEvent[] {
  const times = records.map((r) => Date.parse(String(r.eventTime)));
  const newest = Math.max(...times.filter(Number.isFinite));
  const shift = options.now - NEWEST_AGE_MS - newest;
  const lateAfter = options.lateAfterMs ?? DEFAULT_LATE_AFTER_MS;
  let spread = 0;
  let candidates = 0;
  let late = 0;
  return records.map((record, i) => {
    const original = Number.isFinite(times[i]) ? (times[i] as number) : newest;
    const eventTime = Math.floor((original + shift) / 1000) * 1000;
    const region = GLOBAL_SOURCES.has(String(record.eventSource)) ? 'us-east-1' : (DEMO_REGIONS[spread++ % DEMO_REGIONS.length] as string);
    const decision = options.decide(record, region);
    const expected = isPosted(decision);
    const planned: PlannedEvent = { record, region, eventTime, late: false, decision, expected };
    if (expected && newest - original <= LATE_CANDIDATE_MS && candidates++ % LATE_EVERY === 0 && late < MAX_LATE) {
      planned.late = true;
      planned.visibleAt = options.once ? options.now : options.now + (lateAfter[late % lateAfter.length] ?? 0);
      late += 1;
    }
    return planned;
  });
}
