import type { Trail } from '@aws-sdk/client-cloudtrail';
import { classifyError } from '../errors/classify';
import type { TrailClient } from './trail-client';
import { findTrailDefects, type TrailFinding, type TrailView } from './trail-findings';
import { judgeSelectors } from './trail-selectors';

/** The IAM actions the trail monitor needs (all read-only; none supports resource-level scoping beyond trails). */
export const TRAIL_MONITOR_ACTIONS = ['cloudtrail:DescribeTrails', 'cloudtrail:GetTrailStatus', 'cloudtrail:GetEventSelectors'] as const;

/**
 * One look at the account's trails:
 * - `checked`: the calls answered; `findings` is empty when the account is healthy (trail-findings.ts);
 * - `denied`: AccessDenied on `action` (the IAM permission is missing, or was removed);
 * - `failed`: anything else (throttling, network, credentials): worth another try later; `kind` says which.
 */
export type TrailCheck =
  | { outcome: 'checked'; region: string; trails: TrailView[]; findings: TrailFinding[] }
  | { outcome: 'denied'; region: string; action: (typeof TRAIL_MONITOR_ACTIONS)[number]; message: string }
  | { outcome: 'failed'; region: string; /** classifyError's kind: 'throttled', 'transient', … */ kind: string; message: string };

class CallFailed extends Error {
  constructor(
    readonly action: (typeof TRAIL_MONITOR_ACTIONS)[number],
    readonly error: unknown,
  ) {
    super(action);
  }
}

/**
 * Describes the account's trails from `client.region` and judges them. Never throws: every AWS failure becomes a
 * `denied` or `failed` outcome (messages are classifyError's reasons: no credentials in them). Also used by the
 * `doctor` command for its "trail status" row. Rejects only when `signal` aborts.
 */
export async function checkTrails(client: TrailClient, signal?: AbortSignal): Promise<TrailCheck> {
  const region = client.region;
  try {
    const trails = await call('cloudtrail:DescribeTrails', () => client.describeTrails(signal));
    const views: TrailView[] = [];
    for (const trail of uniqueByArn(trails)) {
      const view = await viewOf(client, trail, signal);
      if (view !== undefined) views.push(view);
    }
    return { outcome: 'checked', region, trails: views, findings: findTrailDefects(views, region) };
  } catch (error) {
    if (!(error instanceof CallFailed)) throw error;
    const { kind, reason: message } = classifyError(error.error);
    if (kind === 'aborted') throw error.error;
    return kind === 'access-denied' ? { outcome: 'denied', region, action: error.action, message } : { outcome: 'failed', region, kind, message };
  }
}

/** The trail's status and selectors; undefined when it was deleted between DescribeTrails and these calls. */
async function viewOf(client: TrailClient, trail: Trail, signal?: AbortSignal): Promise<TrailView | undefined> {
  const arn = trail.TrailARN ?? trail.Name ?? '';
  try {
    const status = await call('cloudtrail:GetTrailStatus', () => client.getTrailStatus(arn, signal));
    const selectors = await call('cloudtrail:GetEventSelectors', () => client.getEventSelectors(arn, signal));
    return {
      name: trail.Name ?? arn,
      arn,
      homeRegion: trail.HomeRegion,
      multiRegion: trail.IsMultiRegionTrail === true,
      globalEvents: trail.IncludeGlobalServiceEvents === true,
      organization: trail.IsOrganizationTrail === true,
      logging: status.IsLogging === true,
      stoppedAt: status.IsLogging === true ? undefined : status.StopLoggingTime?.getTime(),
      selectors: judgeSelectors(selectors),
    };
  } catch (error) {
    if (error instanceof CallFailed && (error.error as { name?: unknown })?.name === 'TrailNotFoundException') return undefined;
    throw error;
  }
}

async function call<T>(action: (typeof TRAIL_MONITOR_ACTIONS)[number], run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new CallFailed(action, error);
  }
}

/** A trail listed twice (its own entry and a shadow) counts once. */
function uniqueByArn(trails: readonly Trail[]): Trail[] {
  const seen = new Set<string>();
  return trails.filter((trail) => {
    const key = trail.TrailARN ?? trail.Name ?? '';
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
