import { parseTargetKey } from '../targets/target';

/**
 * Shared view of how the regions answer, so one poller can tell "this opt-in region is not enabled" (the
 * error in some regions only) from "these credentials are bad" (the same error in every region).
 * API-FACTS A.5: a disabled opt-in region answers UnrecognizedClientException, exactly like bad credentials.
 *
 * Keyed by target key (src/targets/target.ts): with many accounts, a failure is judged against the other regions
 * of the same account only (issue 10 item 3: access denied in all of an account's regions is that account's
 * problem, whatever the other accounts answer). The single account's keys are bare regions: one account, as before.
 */
export type AuthFailure = 'unrecognized-client' | 'access-denied';

export class RegionHealth {
  #regions: ReadonlySet<string>;
  readonly #failed = new Map<string, AuthFailure>();
  /** Regions whose latest answer was a success. */
  readonly #working = new Set<string>();

  constructor(regions: readonly string[]) {
    this.#regions = new Set(regions);
  }

  /**
   * The regions polled from now on (region discovery added or removed some): a removed region's answers are
   * forgotten, so it never counts towards "failing everywhere", nor as the working region that makes another
   * region's failure "this region only".
   */
  setRegions(regions: readonly string[]): void {
    this.#regions = new Set(regions);
    for (const region of [...this.#failed.keys()]) if (!this.#regions.has(region)) this.#failed.delete(region);
    for (const region of [...this.#working]) if (!this.#regions.has(region)) this.#working.delete(region);
  }

  succeeded(region: string): void {
    this.#failed.delete(region);
    if (this.#regions.has(region)) this.#working.add(region);
  }

  /**
   * Records an auth failure. Returns 'fatal' when every region's (of the same account) latest answer is an auth failure (bad or
   * revoked credentials, or no permission anywhere, including keys revoked while running); 'region' when another
   * region's latest answer was a success (only this region is affected: an opt-in region not enabled, or an SCP
   * denying it); 'unknown' while the others have not answered yet (either may turn out true).
   */
  failed(region: string, failure: AuthFailure): 'fatal' | 'region' | 'unknown' {
    if (!this.#regions.has(region)) return 'region'; // removed while its request ran: it judges nobody
    this.#failed.set(region, failure);
    this.#working.delete(region);
    const account = parseTargetKey(region).account;
    const sameAccount = (key: string) => parseTargetKey(key).account === account;
    if ([...this.#regions].filter(sameAccount).every((r) => this.#failed.has(r))) return 'fatal';
    return [...this.#working].some(sameAccount) ? 'region' : 'unknown';
  }

  /** The regions that have failed with `failure` (for messages). */
  failing(failure: AuthFailure): string[] {
    return [...this.#failed].filter(([, f]) => f === failure).map(([r]) => r);
  }
}
