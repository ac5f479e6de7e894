import type { SelectorsVerdict } from './trail-selectors';

/**
 * The account's trails judged as a whole (the Ruby original's TODO 1; issue 9 item 6). Pure: plain data in,
 * findings out. The account is healthy when at least one trail is multi-region, includes global service events,
 * is logging and records write management events; otherwise each finding names the trail(s) and the defect.
 * Organization trails and shadow trails (a multi-region trail seen from another region) count like any other.
 */

/** One trail as DescribeTrails + GetTrailStatus + GetEventSelectors showed it (API-FACTS A.7). */
export interface TrailView {
  /** `Name`: user-controlled text, escape it wherever it is shown. */
  name: string;
  /** `TrailARN` (the name when absent). */
  arn: string;
  homeRegion: string | undefined;
  /** `IsMultiRegionTrail`. */
  multiRegion: boolean;
  /** `IncludeGlobalServiceEvents` (IAM, STS, CloudFront, console sign-in). */
  globalEvents: boolean;
  /** `IsOrganizationTrail`. */
  organization: boolean;
  /** GetTrailStatus `IsLogging`. */
  logging: boolean;
  /** GetTrailStatus `StopLoggingTime`, ms epoch, when it says so. */
  stoppedAt?: number | undefined;
  selectors: SelectorsVerdict;
}

export const TRAIL_FINDING_KINDS = ['trail-missing', 'trail-not-logging', 'trail-coverage', 'trail-selectors'] as const;
export type TrailFindingKind = (typeof TRAIL_FINDING_KINDS)[number];

export interface TrailFinding {
  kind: TrailFindingKind;
  /** The trails concerned, by name (empty for trail-missing when no trail exists at all). */
  trails: string[];
  /** What is wrong, one line; quotes trail names (user-controlled). */
  reason: string;
  /** What a human should do. */
  action: string;
}

const FIND_WHO = 'then look in Event history for who did it';

/** The findings for the account (empty: healthy). `region`: where DescribeTrails was asked. */
export function findTrailDefects(trails: readonly TrailView[], region: string): TrailFinding[] {
  if (trails.length === 0) {
    return [
      {
        kind: 'trail-missing',
        trails: [],
        reason: `no CloudTrail trail exists (DescribeTrails in ${region}, shadow trails included)`,
        action: `create a multi-region trail that logs all management events (or restore the deleted one), ${FIND_WHO} (DeleteTrail)`,
      },
    ];
  }
  const multiRegion = trails.filter((trail) => trail.multiRegion);
  if (multiRegion.length === 0) {
    const local = trails.map((trail) => `${quote(trail.name)} (${trail.homeRegion ?? region} only)`);
    return [
      {
        kind: 'trail-missing',
        trails: trails.map((trail) => trail.name),
        reason: `no multi-region trail: every trail covers only its own region: ${local.join(', ')}`,
        action: `make a trail multi-region again (update-trail --is-multi-region-trail) or create one, ${FIND_WHO} (UpdateTrail, DeleteTrail)`,
      },
    ];
  }
  const judged = multiRegion.map((trail) => ({ trail, defects: defectsOf(trail) }));
  if (judged.some((entry) => entry.defects.length === 0)) return [];
  // Report the trails closest to healthy: a trail that is fine but for one defect is what someone broke, while a
  // trail missing everything (say, a data-events trail) was never meant to cover the account.
  const fewest = Math.min(...judged.map((entry) => entry.defects.length));
  const closest = judged.filter((entry) => entry.defects.length === fewest);
  return (['trail-not-logging', 'trail-coverage', 'trail-selectors'] as const).flatMap((kind) => {
    const hits = closest.flatMap(({ trail, defects }) => defects.filter((d) => d.kind === kind).map((d) => ({ trail, detail: d.detail })));
    if (hits.length === 0) return [];
    return [{ kind, trails: hits.map((hit) => hit.trail.name), reason: hits.map((hit) => hit.detail).join('; '), action: ACTIONS[kind] }];
  });
}

const ACTIONS: Record<Exclude<TrailFindingKind, 'trail-missing'>, string> = {
  'trail-not-logging': `start logging again (aws cloudtrail start-logging --name <trail ARN>), ${FIND_WHO} (StopLogging)`,
  'trail-coverage': `turn global service events back on (update-trail --include-global-service-events), ${FIND_WHO} (UpdateTrail)`,
  'trail-selectors':
    'restore a selector that records all management events (ReadWriteType All, or an advanced selector on eventCategory ' +
    `Management without readOnly), ${FIND_WHO} (PutEventSelectors)`,
};

function defectsOf(trail: TrailView): Array<{ kind: Exclude<TrailFindingKind, 'trail-missing'>; detail: string }> {
  const name = describeTrail(trail);
  const defects: Array<{ kind: Exclude<TrailFindingKind, 'trail-missing'>; detail: string }> = [];
  if (!trail.logging) {
    const since = trail.stoppedAt === undefined ? '' : ` (since ${new Date(trail.stoppedAt).toISOString()})`;
    defects.push({ kind: 'trail-not-logging', detail: `${name} stopped logging${since}` });
  }
  if (!trail.globalEvents) {
    defects.push({
      kind: 'trail-coverage',
      detail: `${name} no longer records global service events (IAM, STS, CloudFront, console sign-in): IncludeGlobalServiceEvents is false`,
    });
  }
  if (!trail.selectors.recordsWrites) {
    defects.push({ kind: 'trail-selectors', detail: `${name} does not record write management events: ${trail.selectors.why ?? 'see its event selectors'}` });
  }
  return defects;
}

/** `trail "main" (organization trail, home us-east-1)` */
function describeTrail(trail: TrailView): string {
  const facts = [trail.organization ? 'organization trail' : undefined, trail.homeRegion ? `home ${trail.homeRegion}` : undefined];
  const known = facts.filter((fact) => fact !== undefined);
  return `trail ${quote(trail.name)}${known.length > 0 ? ` (${known.join(', ')})` : ''}`;
}

function quote(name: string): string {
  return `"${name}"`;
}
