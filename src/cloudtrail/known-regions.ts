/**
 * Which region names the installed AWS SDK knows, to warn about a likely typo (`-r us-east-9`) at start. Only a
 * warning: AWS opens new regions, and an SDK older than the region still reaches it through its partition's
 * endpoint pattern. The SDK's partition data (`@aws-sdk/core/client`'s `partition()`, installed with
 * @aws-sdk/client-cloudtrail) answers for a listed region with the region's `description`, and for any other name
 * with the partition defaults only. When that module cannot be loaded, our own list below answers instead.
 */

/** Regions of every partition as of late 2026 (the SDK's list wins when it loads). */
const OWN_LIST = new Set([
  'af-south-1', 'ap-east-1', 'ap-east-2', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1',
  'ap-south-2', 'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5',
  'ap-southeast-6', 'ap-southeast-7', 'ca-central-1', 'ca-west-1', 'eu-central-1', 'eu-central-2', 'eu-north-1',
  'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'il-central-1', 'me-central-1', 'me-south-1',
  'mx-central-1', 'sa-east-1', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
  'cn-north-1', 'cn-northwest-1', 'us-gov-east-1', 'us-gov-west-1',
]);

type Lookup = (region: string) => boolean;

/** The SDK's own answer, or undefined when its partition data is not there (another SDK layout). */
function loadSdkLookup(): Lookup | undefined {
  try {
    // Not a direct dependency (it comes with @aws-sdk/client-cloudtrail), hence the guarded, untyped require.
    const { partition } = require('@aws-sdk/core/client') as { partition?: unknown };
    if (typeof partition !== 'function') return undefined;
    const lookup: Lookup = (region) => {
      const answer = (partition as (r: string) => unknown)(region);
      return typeof answer === 'object' && answer !== null && 'description' in answer;
    };
    // The data must know the oldest region and not an invented one, or its shape is not what we expect.
    return lookup('us-east-1') && !lookup('xx-nowhere-9') ? lookup : undefined;
  } catch {
    return undefined;
  }
}

let cached: Lookup | undefined;

/** Whether the installed AWS SDK (else our list) knows `region`. */
export function isKnownRegion(region: string): boolean {
  cached ??= loadSdkLookup() ?? ((r) => OWN_LIST.has(r));
  return cached(region);
}

/** The names in `regions` that neither the SDK nor our list knows, in order. */
export function unknownRegions(regions: readonly string[], isKnown: Lookup = isKnownRegion): string[] {
  return regions.filter((region) => !isKnown(region));
}

/** Our own list, for tests that compare it with the SDK's. */
export function ownRegionList(): readonly string[] {
  return [...OWN_LIST];
}
