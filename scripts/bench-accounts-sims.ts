import { startCloudTrailSimulator } from '../src/sim/cloudtrail-server';
import { startSlackSimulator } from '../src/sim/slack-server';
import { startStsSimulator } from '../src/sim/sts-server';
import { SimAccountBook } from '../src/sim/account-book';
import type { CloudTrailRecord } from '../src/events/types';
import { loadFixtureRecords } from '../test/support/fixtures';

/** STS is signed for this region (stsRegionFor's answer for the default regions). */
export const STS_REGION = 'us-east-1';
const BASE_ACCOUNT = '123456789012';
const ROLE_NAME = 'CloudTrailSlackReader';

/**
 * STS, CloudTrail and Slack simulators on 127.0.0.1 sharing one account book, on the benchmark's clock: the base
 * keys belong to BASE_ACCOUNT; AssumeRole issues keys of the role's account; CloudTrail refuses expired sessions.
 */
export async function startBenchAccountSims(now: () => number) {
  const book = new SimAccountBook();
  const sts = await startStsSimulator({ now, book });
  const cloudtrail = await startCloudTrailSimulator({ now, book, enforceSessionExpiry: true });
  const slack = await startSlackSimulator({ now });
  return {
    book,
    sts,
    cloudtrail,
    slack,
    baseKeys: book.issueKey(BASE_ACCOUNT),
    close: () => Promise.all([sts.close(), cloudtrail.close(), slack.close()]).then(() => undefined),
  };
}

/** `count` accounts of config `accounts`, each reached by a role registered in the book. */
export function roleAccounts(sims: { book: SimAccountBook }, count: number): Array<{ id: string; name: string; roleArn: string }> {
  return Array.from({ length: count }, (_, i) => {
    const id = String(210_000_000_000 + i);
    const roleArn = `arn:aws:iam::${id}:role/${ROLE_NAME}`;
    sims.book.addRole(roleArn, {});
    return { id, name: `bench-${i}`, roleArn };
  });
}

/** Write events of the fixtures without their own account (the simulator gives each the account it is added to). */
export function burstRecords(count: number): CloudTrailRecord[] {
  const writes = loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin');
  return Array.from({ length: Math.min(count, writes.length) }, (_, i) => {
    const copy = { ...writes[i]! } as CloudTrailRecord & { recipientAccountId?: unknown };
    delete copy.recipientAccountId;
    return copy;
  });
}
