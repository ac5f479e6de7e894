import type { Config } from '../config/types';
import { MAX_EVENTS_PER_DIGEST, type DigestOptions } from './plan';

/**
 * The planner's digest settings from config `digest.*` (issue 8 item 6), for the daemon's queues and replay alike:
 * at most 50 events per digest (MAX_EVENTS_PER_DIGEST, API-FACTS O), the repeat window converted minutes → ms.
 */
export function digestOptionsOf(config: Pick<Config, 'digest'>): DigestOptions {
  return {
    enabled: config.digest.enabled,
    minEvents: config.digest.minEvents,
    maxEventsPerDigest: MAX_EVENTS_PER_DIGEST,
    repeatWindowMs: config.digest.repeatWindowMinutes * 60_000,
  };
}
