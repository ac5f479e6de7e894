/** CloudTrail Event history keeps 90 days per region (API-FACTS A.3): an older StartTime finds nothing. */
export const EVENT_HISTORY_RETENTION_MS = 90 * 24 * 60 * 60_000;
