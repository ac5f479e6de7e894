import { createHash } from 'node:crypto';

/**
 * Shards (issue 10 item 5): N instances split the targets between them, each polling and writing state only for
 * its own. A target belongs to the shard with the highest score sha256(`<target key>|<shard>`) (rendezvous or
 * highest-random-weight hashing, API-FACTS N.3): every instance computes the same owner from (key, N) alone, and
 * going from N to N + 1 shards moves only the targets the new shard wins, about 1/(N + 1) of them.
 */

/** This instance's place: shard `index` (0-based) of `count`. The default `{0, 1}` owns every target. */
export interface ShardSpec {
  index: number;
  count: number;
}

/** More shards than this is a mistake (a score per shard per target; API-FACTS N.3 suits K ≲ 100). */
export const MAX_SHARDS = 256;

export const SINGLE_SHARD: ShardSpec = Object.freeze({ index: 0, count: 1 });

/** The shard (0 … count − 1) that owns `key`. Throws RangeError for a count outside 1 … MAX_SHARDS. */
export function shardOf(key: string, count: number): number {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) throw new RangeError(`shard count must be 1 to ${MAX_SHARDS}, got ${count}`);
  if (count === 1) return 0;
  let best = 0;
  let bestScore = -1n;
  for (let shard = 0; shard < count; shard += 1) {
    const score = createHash('sha256').update(`${key}|${shard}`).digest().readBigUInt64BE(0);
    if (score > bestScore) {
      best = shard;
      bestScore = score;
    }
  }
  return best;
}

/** Whether `shard` owns the target named `key`. */
export function owns(shard: ShardSpec, key: string): boolean {
  return shardOf(key, shard.count) === shard.index;
}

/** A shard number as written: canonical decimal, "0" or 1–3 digits without a leading zero (no sign, no space). */
const SHARD_NUMBER = '(0|[1-9]\\d{0,2})';
const SHARD_NUMBER_ONLY = new RegExp(`^${SHARD_NUMBER}$`);
const SHARD_PAIR = new RegExp(`^${SHARD_NUMBER}/${SHARD_NUMBER}$`);

/**
 * A shard index or count read from text (CLOUDTRAIL_SLACK_SHARD_INDEX, NODE_APP_INSTANCE, CLOUDTRAIL_SLACK_SHARD_COUNT,
 * K and N of K/N): canonical decimal only, so " 1", "01", "+1" or "1e0" are refused rather than guessed (a template
 * gone wrong must not quietly pick a shard). Returns the number (0–999; the caller checks its range) or undefined.
 */
export function parseShardNumber(text: string): number | undefined {
  return SHARD_NUMBER_ONLY.test(text) ? Number(text) : undefined;
}

/**
 * Reads "K/N" (`--shard 1/3`, CLOUDTRAIL_SLACK_SHARD): shard K of N, 0 ≤ K < N ≤ MAX_SHARDS, both canonical
 * decimal (see parseShardNumber; no spaces anywhere). Returns the spec, or one line saying what is wrong.
 */
export function parseShard(text: string): ShardSpec | string {
  const match = SHARD_PAIR.exec(text);
  if (!match) return `expected K/N in plain decimal, shard K (counted from 0) of N, like 0/3 (no spaces, signs or leading zeros); found ${JSON.stringify(text.slice(0, 40))}`;
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || count > MAX_SHARDS) return `expected N from 1 to ${MAX_SHARDS} in K/N, found ${count}`;
  if (index >= count) return `expected K below N in K/N (shards are counted from 0), found ${index}/${count}`;
  return { index, count };
}
