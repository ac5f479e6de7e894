import { basename, dirname, extname, join } from 'node:path';
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

/**
 * The pid file this shard holds: `-p run/cts.pid` is `run/cts.shard-K.pid` when there are several shards (a name
 * without an extension, or a dot file, gets `.shard-K` at its end). pm2's instances share one app's flags, so one
 * `-p` would otherwise make every instance but the first refuse to start ("already running"). One shard, or no
 * pid file: unchanged.
 */
export function shardPidFile(file: string | undefined, shard: ShardSpec): string | undefined {
  if (file === undefined || shard.count <= 1) return file;
  const name = basename(file);
  const extension = extname(name);
  const stem = name.slice(0, name.length - extension.length);
  return join(dirname(file), `${stem}.shard-${shard.index}${extension}`);
}

/** The single account's targets in `regions` that `shard` owns (all of them with one shard). */
export function ownedTargetsOf(shard: ShardSpec, regions: readonly string[]): Target[] {
  return regions.map((region) => makeTarget(undefined, region)).filter((target) => owns(shard, target.key));
}
