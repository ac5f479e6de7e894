import { stsRegionFor } from '../aws/identity';
import { discoverEnabledRegions, RegionDiscoveryError } from '../aws/regions';
import type { Config } from '../config/types';
import { checkTrails, TRAIL_MONITOR_ACTIONS } from '../monitors/trail-check';
import { createTrailClient } from '../monitors/trail-client';
import { bounded, CheckTimeoutError, ok, warn, type CheckResult } from './check';
import { awsOptionsOf } from './checks-aws';
import type { DoctorDeps } from './deps';
import { awsHostOf } from './endpoint-host';

/**
 * The account rows of `doctor`: the trail status (checkTrails: DescribeTrails, GetTrailStatus, GetEventSelectors,
 * API-FACTS A.7) and region discovery (account:ListRegions, else ec2:DescribeRegions, K.7). Neither ever blocks
 * the daemon, so no row here is ✗: a trail finding is what the trail monitor alerts about while the daemon runs;
 * a missing permission turns the monitor off or makes `-r all` poll the default regions (warnings).
 */

const TRAIL_ROW = 'trail status';
const TRAIL_PERMISSIONS = `grant ${TRAIL_MONITOR_ACTIONS.join(', ')}`;

/** One row when healthy or not checkable; one ! row per finding (a trail stopped, deleted, narrowed), with its fix. */
export async function checkTrailStatus(config: Config, deps: DoctorDeps): Promise<CheckResult[]> {
  // Where the trail monitor asks: trailMonitor.region, else the first polled region (src/monitors/trail-monitor-service.ts).
  const region = config.trailMonitor.region ?? stsRegionFor(config.regions);
  const client = createTrailClient({ ...awsOptionsOf(config, deps, region), endpoint: config.cloudtrailEndpoint });
  try {
    const check = await bounded(deps.timeoutMs, deps.clock, (signal) => checkTrails(client, signal));
    if (check.outcome === 'denied') {
      return [warn(TRAIL_ROW, `the trail monitor will be off: ${check.action} was denied in ${region}`, `${TRAIL_PERMISSIONS} (README: IAM policy)`)];
    }
    if (check.outcome === 'failed') {
      return [warn(TRAIL_ROW, `could not check the trails in ${region} (${check.kind}): ${check.message}`, 'run doctor again; the trail monitor retries at its next interval')];
    }
    if (check.findings.length === 0) {
      const names = check.trails.filter((trail) => trail.multiRegion && trail.logging).map((trail) => `"${trail.name}"`);
      return [ok(TRAIL_ROW, `healthy: ${names.join(', ')} logging every region's write management events`)];
    }
    return check.findings.map((finding) => warn(TRAIL_ROW, `${finding.kind}: ${finding.reason}`, finding.action));
  } catch (error) {
    if (!(error instanceof CheckTimeoutError)) throw error;
    return [warn(TRAIL_ROW, `CloudTrail did not answer DescribeTrails in ${region}: ${error.message}`, `run doctor again; check network access to ${awsHostOf('cloudtrail', region, config.cloudtrailEndpoint)}`)];
  } finally {
    client.destroy();
  }
}

/** The enabled regions (✓), then ! rows for configured-but-not-enabled and enabled-but-not-configured regions. */
export async function checkRegionDiscovery(config: Config, deps: DoctorDeps): Promise<CheckResult[]> {
  return (await discoverForDoctor(config, deps)).rows;
}

/**
 * The region discovery rows, and the regions found (undefined when discovery failed). With `-r all`
 * (config.discoverRegions) those are the regions the daemon polls, so the configured-vs-enabled warnings, which
 * compare against the default list, are left out. Never throws for an AWS answer.
 */
export async function discoverForDoctor(config: Config, deps: DoctorDeps): Promise<{ rows: CheckResult[]; regions?: string[] }> {
  const name = 'region discovery';
  const region = stsRegionFor(config.regions);
  try {
    const found = await bounded(deps.timeoutMs, deps.clock, (signal) => discoverEnabledRegions(awsOptionsOf(config, deps, region), signal));
    const fallback = found.listRegionsFailure === undefined ? '' : ` (account:ListRegions failed: ${found.listRegionsFailure})`;
    const rows = [ok(name, `${found.regions.length} regions enabled, from ${found.source}${fallback}: ${found.regions.join(', ')}`)];
    if (config.discoverRegions) return { rows, regions: found.regions };
    const enabled = new Set(found.regions);
    const configured = new Set(config.regions);
    const notEnabled = config.regions.filter((r) => !enabled.has(r));
    const notPolled = found.regions.filter((r) => !configured.has(r));
    if (notEnabled.length > 0) {
      rows.push(warn('regions not enabled', `configured but not enabled for the account: ${notEnabled.join(', ')}`,
        'enable them (AWS console: Account → AWS Regions) or leave them out of -r / regions'));
    }
    if (notPolled.length > 0) {
      rows.push(warn('regions not polled', `enabled but not in -r / regions, so never read: ${notPolled.join(', ')}`,
        'add them to -r / regions if anything runs there'));
    }
    return { rows, regions: found.regions };
  } catch (error) {
    if (error instanceof CheckTimeoutError) {
      return { rows: [warn(name, `account:ListRegions / ec2:DescribeRegions did not answer: ${error.message}${untilFound(config)}`, `run doctor again; check network access to ${awsHostOf('account', region)}`)] };
    }
    if (!(error instanceof RegionDiscoveryError)) throw error;
    const denied = error.kind === 'access-denied';
    return { rows: [warn(name, `${denied ? 'denied: neither account:ListRegions nor ec2:DescribeRegions is allowed' : error.message}${untilFound(config)}`,
      denied ? 'grant account:ListRegions (or ec2:DescribeRegions) to list the enabled regions (needed for -r all)' : 'run doctor again; list the regions with -r meanwhile')] };
  }
}

/** With -r all, what the daemon (and the LookupEvents rows) fall back to while discovery fails. */
function untilFound(config: Config): string {
  return config.discoverRegions ? `; -r all polls the default ${config.regions.length} regions until it answers` : '';
}
