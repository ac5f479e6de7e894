import { startCloudTrailSimulator, type CloudTrailSimulator } from '../../src/sim/cloudtrail-server';
import { startSlackSimulator, type SlackSimulator } from '../../src/sim/slack-server';
import { SimRegionTable } from '../../src/sim/account-regions';
import { startAccountSimulator, type AccountSimulator } from '../../src/sim/account-server';
import { startEc2Simulator, type Ec2Simulator } from '../../src/sim/ec2-server';
import { startStsSimulator, type StsSimulator } from '../../src/sim/sts-server';
import { SimAccountBook, type SimRoleOptions } from '../../src/sim/account-book';
import { startOrganizationsSimulator, type OrganizationsSimulator, type SimOrgAccount } from '../../src/sim/organizations-server';
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

/** The management account of startAccountSims: the base keys sign for it (and the STS default identity's). */
export const BASE_ACCOUNT = '123456789012';

export interface AccountSimsOptions {
  /** Service time of every simulator, ms epoch (STS expirations, CloudTrail visibility and quota). Default Date.now. */
  now?: () => number;
  /** The organisation's accounts (Organizations ListAccounts); default none. */
  organization?: readonly SimOrgAccount[];
  /** Organizations' page size without MaxResults. Default the simulator's (3). */
  orgPageSize?: number;
  /** CloudTrail refuses expired session keys (see CloudTrailSimulatorOptions.enforceSessionExpiry). Default false. */
  enforceSessionExpiry?: boolean;
}

export interface AccountSims {
  book: SimAccountBook;
  sts: StsSimulator;
  organizations: OrganizationsSimulator;
  cloudtrail: CloudTrailSimulator;
  slack: SlackSimulator;
  /** Static keys of BASE_ACCOUNT (the daemon's own credentials). */
  baseKeys: { accessKeyId: string; secretAccessKey: string };
  /**
   * For a daemon in another process (daemonEnv extra) or process.env in this one: the base keys, the SDK's
   * endpoint variables for STS, Organizations and CloudTrail (so fromTemporaryCredentials' inner STS client goes
   * to the simulator too: see test/aws-organizations.test.ts), and the webhook.
   */
  env: {
    AWS_ACCESS_KEY_ID: string;
    AWS_SECRET_ACCESS_KEY: string;
    AWS_ENDPOINT_URL_STS: string;
    AWS_ENDPOINT_URL_ORGANIZATIONS: string;
    AWS_ENDPOINT_URL_CLOUDTRAIL: string;
    SLACK_WEBHOOK_URL: string;
  };
  /** Registers the role `arn:aws:iam::<account>:role/<roleName>` (default CloudTrailSlackReader); returns its ARN. */
  addRole(account: string, options?: SimRoleOptions & { roleName?: string }): string;
  /** New static keys for `account` (a profile's, for ~/.aws/credentials). */
  addProfileKeys(account: string): { accessKeyId: string; secretAccessKey: string };
}

/** The role every account of an organisation gets in the tests (config `organization.roleName`). */
export const SIM_ROLE_NAME = 'CloudTrailSlackReader';

/**
 * STS, Organizations, CloudTrail and Slack simulators on 127.0.0.1 sharing one account book: the base keys belong
 * to BASE_ACCOUNT (the management account), AssumeRole issues keys of the role's account, and CloudTrail answers
 * each key with its own account's events (cloudtrail.addRecord(record, { account })). Closed after the test.
 */
export async function startAccountSims(t: TestContextLike, options: AccountSimsOptions = {}): Promise<AccountSims> {
  const book = new SimAccountBook();
  const common = options.now === undefined ? {} : { now: options.now };
  const sts = await startStsSimulator({ ...common, book });
  const organizations = await startOrganizationsSimulator({
    ...common,
    book,
    managementAccount: BASE_ACCOUNT,
    accounts: options.organization ?? [],
    ...(options.orgPageSize === undefined ? {} : { defaultPageSize: options.orgPageSize }),
  });
  const cloudtrail = await startCloudTrailSimulator({ ...common, book, enforceSessionExpiry: options.enforceSessionExpiry ?? false });
  const slack = await startSlackSimulator({ ...common, path: WEBHOOK_PATH });
  t.after(async () => {
    await Promise.all([sts.close(), organizations.close(), cloudtrail.close(), slack.close()]);
  });
  const baseKeys = book.issueKey(BASE_ACCOUNT);
  return {
    book,
    sts,
    organizations,
    cloudtrail,
    slack,
    baseKeys,
    env: {
      AWS_ACCESS_KEY_ID: baseKeys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: baseKeys.secretAccessKey,
      AWS_ENDPOINT_URL_STS: sts.url,
      AWS_ENDPOINT_URL_ORGANIZATIONS: organizations.url,
      AWS_ENDPOINT_URL_CLOUDTRAIL: cloudtrail.url,
      SLACK_WEBHOOK_URL: slack.url,
    },
    addRole(account, { roleName = SIM_ROLE_NAME, ...roleOptions } = {}) {
      const arn = `arn:aws:iam::${account}:role/${roleName}`;
      book.addRole(arn, roleOptions);
      return arn;
    },
    addProfileKeys: (account) => book.issueKey(account),
  };
}
