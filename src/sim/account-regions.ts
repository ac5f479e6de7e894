import { DEFAULT_REGIONS } from '../config/types';

/**
 * The simulated account's regions and their opt status, shared by the Account simulator (ListRegions, in
 * Account Management's terms) and the EC2 one (DescribeRegions, in EC2's terms), so a test that enables or
 * disables a region sees both APIs agree, as on AWS (API-FACTS K.7).
 */

/** Account Management's `RegionOptStatus` (K.7). */
export type RegionOptStatus = 'ENABLED' | 'ENABLED_BY_DEFAULT' | 'DISABLED' | 'ENABLING' | 'DISABLING';

export const REGION_OPT_STATUSES: readonly RegionOptStatus[] = ['ENABLED', 'ENABLED_BY_DEFAULT', 'DISABLED', 'ENABLING', 'DISABLING'];

/** EC2's `OptInStatus` for the same region (K.7): only an enabled region counts as opted in. */
export type Ec2OptInStatus = 'opt-in-not-required' | 'opted-in' | 'not-opted-in';

export function ec2OptInStatusOf(status: RegionOptStatus): Ec2OptInStatus {
  if (status === 'ENABLED_BY_DEFAULT') return 'opt-in-not-required';
  return status === 'ENABLED' ? 'opted-in' : 'not-opted-in';
}

export interface SimRegion {
  name: string;
  status: RegionOptStatus;
}

/** A few opt-in regions, not enabled, besides the 17 enabled by default. */
const OPT_IN_REGIONS = ['af-south-1', 'ap-east-1', 'ap-south-2', 'eu-south-1', 'me-central-1'];

export class SimRegionTable {
  readonly #regions = new Map<string, RegionOptStatus>();

  /** Default: the 17 regions enabled by default in a commercial account, and five opt-in regions disabled. */
  constructor(initial?: Readonly<Record<string, RegionOptStatus>>) {
    if (initial !== undefined) {
      for (const [name, status] of Object.entries(initial)) this.#regions.set(name, status);
      return;
    }
    for (const name of DEFAULT_REGIONS) this.#regions.set(name, 'ENABLED_BY_DEFAULT');
    for (const name of OPT_IN_REGIONS) this.#regions.set(name, 'DISABLED');
  }

  /** Adds a region or changes its status (enabling an opt-in region: `set('af-south-1', 'ENABLED')`). */
  set(name: string, status: RegionOptStatus): void {
    this.#regions.set(name, status);
  }

  /** Forgets a region altogether. */
  delete(name: string): void {
    this.#regions.delete(name);
  }

  /** Every region, sorted by name (ListRegions' order on AWS is UNCONFIRMED; tests must not depend on it). */
  list(): SimRegion[] {
    return [...this.#regions]
      .map(([name, status]) => ({ name, status }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
