import { startCloudTrailSimulator, type CloudTrailSimulator } from '../../src/sim/cloudtrail-server';
import { startSlackSimulator, type SlackSimulator } from '../../src/sim/slack-server';
import { SimRegionTable } from '../../src/sim/account-regions';
import { startAccountSimulator, type AccountSimulator } from '../../src/sim/account-server';
import { startEc2Simulator, type Ec2Simulator } from '../../src/sim/ec2-server';
import { startStsSimulator, type StsSimulator } from '../../src/sim/sts-server';
import { WEBHOOK_PATH } from './daemon-harness';
import type { TestContextLike } from './cli-process';

/** Both simulators on 127.0.0.1 with the real clock, for daemons running in another process; closed after the test. */
export async function startSims(t: TestContextLike): Promise<{ cloudtrail: CloudTrailSimulator; slack: SlackSimulator }> {
  const cloudtrail = await startCloudTrailSimulator();
  const slack = await startSlackSimulator({ path: WEBHOOK_PATH });
  t.after(async () => {
    await cloudtrail.close();
    await slack.close();
  });
  return { cloudtrail, slack };
}

/**
 * STS, Account and EC2 simulators on 127.0.0.1 (one region table shared by ListRegions and DescribeRegions), and
 * the AWS_ENDPOINT_URL_* variables that point the SDK at them, for a daemon in another process (daemonEnv extra)
 * or for process.env in this one. Closed after the test.
 */
export async function startAwsSims(t: TestContextLike, regions = new SimRegionTable()): Promise<AwsSims> {
  const sts = await startStsSimulator();
  const account = await startAccountSimulator({ regions });
  const ec2 = await startEc2Simulator({ regions });
  t.after(async () => {
    await Promise.all([sts.close(), account.close(), ec2.close()]);
  });
  const env = { AWS_ENDPOINT_URL_STS: sts.url, AWS_ENDPOINT_URL_ACCOUNT: account.url, AWS_ENDPOINT_URL_EC2: ec2.url };
  return { sts, account, ec2, regions, env };
}

export interface AwsSims {
  sts: StsSimulator;
  account: AccountSimulator;
  ec2: Ec2Simulator;
  regions: SimRegionTable;
  env: { AWS_ENDPOINT_URL_STS: string; AWS_ENDPOINT_URL_ACCOUNT: string; AWS_ENDPOINT_URL_EC2: string };
}
