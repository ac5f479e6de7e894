/**
 * Shared view of how the regions answer, so one poller can tell "this opt-in region is not enabled" (the
 * error in some regions only) from "these credentials are bad" (the same error in every region).
 * API-FACTS A.5: a disabled opt-in region answers UnrecognizedClientException, exactly like bad credentials.
 */
export type AuthFailure = 'unrecognized-client' | 'access-denied';

export class RegionHealth {
  readonly #regions: ReadonlySet<string>;
  readonly #failed = new Map<string, AuthFailure>();

  constructor(regions: readonly string[]) {
    this.#regions = new Set(regions);
  }

  succeeded(region: string): void {
    this.#failed.delete(region);
  }

  /**
   * Records an auth failure. Returns 'fatal' when every region's latest answer is an auth failure (bad or
   * revoked credentials, or no permission anywhere, including keys revoked while running), else 'region'
   * (only this region is affected: an opt-in region not enabled, or an SCP denying it).
   */
  failed(region: string, failure: AuthFailure): 'fatal' | 'region' {
    this.#failed.set(region, failure);
    for (const r of this.#regions) if (!this.#failed.has(r)) return 'region';
    return 'fatal';
  }

  /** The regions that have failed with `failure` (for messages). */
  failing(failure: AuthFailure): string[] {
    return [...this.#failed].filter(([, f]) => f === failure).map(([r]) => r);
  }
}
