import { ConfigError } from '../lib/errors';
import { parseShard, parseShardNumber, SINGLE_SHARD, type ShardSpec } from '../targets/shard';
import { describeBound, isWithin, SHARD_COUNT } from './bounds';

/**
 * Which shard this instance is (issue 10 item 5), from the first of:
 *
 * 1. `--shard K/N`;
 * 2. `CLOUDTRAIL_SLACK_SHARD=K/N`;
 * 3. an index handed out by the engine, with the count from `CLOUDTRAIL_SLACK_SHARD_COUNT` (wins) or the config
 *    file's `shards.count`. The index is `CLOUDTRAIL_SLACK_SHARD_INDEX` (Kubernetes: the pod's
 *    `apps.kubernetes.io/pod-index` label through the downward API, API-FACTS N.2), else pm2's `NODE_APP_INSTANCE`
 *    (API-FACTS N.1). pm2 sets NODE_APP_INSTANCE="0" for every app, even a single one, and never tells an instance
 *    the count after `pm2 scale`: without a configured count it means nothing.
 *
 * Every number is read as canonical decimal (parseShardNumber: no sign, space or leading zero). Nothing given:
 * shard 0 of 1, every target. Anything wrong throws a one-line ConfigError naming its source.
 */
export interface ShardSources {
  /** `--shard`, as typed. */
  flag: string | undefined;
  /** CLOUDTRAIL_SLACK_SHARD. */
  shard: string | undefined;
  /** CLOUDTRAIL_SLACK_SHARD_COUNT. */
  count: string | undefined;
  /** The config file's `shards.count` (already checked against SHARD_COUNT). */
  fileCount: number | undefined;
  /** The config file's path, for messages ("config file /etc/x.json: "); '' without a file. */
  where: string;
  /** CLOUDTRAIL_SLACK_SHARD_INDEX. */
  index: string | undefined;
  /** NODE_APP_INSTANCE (pm2). */
  appInstance: string | undefined;
  /**
   * A count without an index is fine (index 0): for commands that look at every shard (`targets`), not for the
   * daemon, which would otherwise silently take shard 0's targets on every instance.
   */
  indexOptional?: boolean;
}

export function chooseShard(sources: ShardSources): ShardSpec {
  for (const [name, text] of [['--shard', sources.flag], ['CLOUDTRAIL_SLACK_SHARD', sources.shard]] as const) {
    if (text === undefined) continue;
    const parsed = parseShard(text);
    if (typeof parsed === 'string') throw new ConfigError(`${name}: ${parsed}`);
    return parsed;
  }
  const { count, from } = countOf(sources);
  const [indexName, indexText] =
    sources.index !== undefined ? (['CLOUDTRAIL_SLACK_SHARD_INDEX', sources.index] as const) : (['NODE_APP_INSTANCE', sources.appInstance] as const);
  if (count === undefined) {
    if (sources.index !== undefined) {
      throw new ConfigError('CLOUDTRAIL_SLACK_SHARD_INDEX is set but no shard count: set CLOUDTRAIL_SLACK_SHARD_COUNT or shards.count in the config file');
    }
    // pm2 sets NODE_APP_INSTANCE="0" for any app (N.1): alone it means nothing. Any other value means several
    // instances, each of which would otherwise watch every target and post every event again.
    if (sources.appInstance !== undefined && sources.appInstance !== '0') {
      throw new ConfigError(
        `NODE_APP_INSTANCE is ${JSON.stringify(sources.appInstance.slice(0, 10)).slice(1, -1)}: pm2 runs several instances, but there is no shard count: ` +
          `set CLOUDTRAIL_SLACK_SHARD_COUNT (or shards.count) to pm2's instances, or every instance watches every target`,
      );
    }
    return SINGLE_SHARD;
  }
  if (indexText === undefined) {
    if (count === 1 || sources.indexOptional) return { index: 0, count };
    throw new ConfigError(
      `${from === 'shards.count' ? sources.where : ''}shard count ${count} (from ${from}) but no index: set CLOUDTRAIL_SLACK_SHARD_INDEX (Kubernetes: from the pod-index label), ` +
        `run under pm2 with instances (it sets NODE_APP_INSTANCE), or give --shard K/N`,
    );
  }
  const index = parseShardNumber(indexText) ?? Number.NaN;
  if (!(index >= 0 && index < count)) {
    const shown = JSON.stringify(indexText.slice(0, 40));
    throw new ConfigError(`${indexName}: expected a shard index from 0 to ${count - 1} (the count ${count}, from ${from}), found ${shown}`);
  }
  return { index, count };
}

function countOf(sources: ShardSources): { count: number | undefined; from: string } {
  if (sources.count !== undefined) {
    const count = parseShardNumber(sources.count) ?? Number.NaN;
    if (!isWithin(SHARD_COUNT, count)) {
      const shown = JSON.stringify(sources.count.slice(0, 40));
      throw new ConfigError(`CLOUDTRAIL_SLACK_SHARD_COUNT: expected ${describeBound(SHARD_COUNT)}, found ${shown}`);
    }
    return { count, from: 'CLOUDTRAIL_SLACK_SHARD_COUNT' };
  }
  return { count: sources.fileCount, from: 'shards.count' };
}

/** "1/3": how logs and describeConfig show a shard. */
export function formatShard(shard: ShardSpec): string {
  return `${shard.index}/${shard.count}`;
}

