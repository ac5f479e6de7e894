import type { Config } from '../config/types';
import { owns, type ShardSpec } from './shard';
import { makeTarget, type Target } from './target';

/**
 * Shards share one state folder (a pm2 app's instances do): each writes only its own targets' state files, and
 * every other file the daemon keeps there (the alert cooldown file, the daily heartbeat's day) gets the shard in
 * its name, so no file is ever written by two processes. One shard (the default): the names of today.
 */

/** The profile part of the daemon's own files: `<profile>`, or `<profile>.shard-K` when there are several shards. */
export function sharedFileProfile(config: Pick<Config, 'stateProfile' | 'shard'>): string {
  return config.shard.count > 1 ? `${config.stateProfile}.shard-${config.shard.index}` : config.stateProfile;
}

/** The single account's targets in `regions` that `shard` owns (all of them with one shard). */
export function ownedTargetsOf(shard: ShardSpec, regions: readonly string[]): Target[] {
  return regions.map((region) => makeTarget(undefined, region)).filter((target) => owns(shard, target.key));
}
