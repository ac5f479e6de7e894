import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SimRegionTable } from '../../src/sim/account-regions';
import { startAccountSimulator, type AccountSimulator } from '../../src/sim/account-server';
import { startCloudTrailSimulator, type CloudTrailSimulator } from '../../src/sim/cloudtrail-server';
import { startEc2Simulator, type Ec2Simulator } from '../../src/sim/ec2-server';
import { startSlackSimulator, type SlackSimulator } from '../../src/sim/slack-server';
import { startStsSimulator, type StsSimulator } from '../../src/sim/sts-server';
import { daemonEnv, runCliToEnd, tempDir, type TestContextLike } from './cli-process';
import { startSmtp, type SmtpServer } from './smtp';

/** Secrets planted in a doctor test's configuration and environment: none may reach its output. */
export const SECRETS = {
  webhookToken: 'DOCTORWEBHOOKTOKEN0123456789',
  otherToken: 'SECONDWEBHOOKTOKEN9876543210',
  awsSecret: 'doctor-aws-secret-Zm9vYmFyYmF6cXV4',
  sessionToken: 'doctor-session-token-c2VjcmV0c2Vzc2lvbg',
  heartbeat: 'doctorheartbeatuuid-5f1c',
};

export interface DoctorWorld {
  dir: string;
  stateDir: string;
  cloudtrail: CloudTrailSimulator;
  sts: StsSimulator;
  account: AccountSimulator;
  ec2: Ec2Simulator;
  regions: SimRegionTable;
  slack: SlackSimulator;
  smtp: SmtpServer;
  /** Writes the config file (webhooks `default` and `alerts` on the Slack double, email to the SMTP server). */
  writeConfig(extra?: Record<string, unknown>): string;
  /** Runs `cloudtrail-slack doctor ARGS` (compiled, from dist/) against the doubles. */
  doctor(args: string[], env?: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Every double on 127.0.0.1 (CloudTrail, STS, Account, EC2, Slack, SMTP) and a temp folder; closed after the test. */
export async function startDoctorWorld(t: TestContextLike): Promise<DoctorWorld> {
  const dir = tempDir(t, 'cts-doctor-');
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir, { mode: 0o700 });
  const regions = new SimRegionTable();
  const cloudtrail = await startCloudTrailSimulator();
  const sts = await startStsSimulator();
  const account = await startAccountSimulator({ regions });
  const ec2 = await startEc2Simulator({ regions });
  const slack = await startSlackSimulator({ path: `/services/T0/B0/${SECRETS.webhookToken}` });
  const smtp = await startSmtp(t);
  t.after(async () => {
    await Promise.all([cloudtrail.close(), sts.close(), account.close(), ec2.close(), slack.close()]);
  });
  const configFile = join(dir, 'config.json');
  const world: DoctorWorld = {
    dir,
    stateDir,
    cloudtrail,
    sts,
    account,
    ec2,
    regions,
    slack,
    smtp,
    writeConfig(extra = {}) {
      const config = {
        regions: ['us-east-1', 'eu-west-1'],
        stateDir,
        slack: { webhooks: { alerts: slack.url } },
        email: { smtpUrl: smtp.url, to: ['ops@example.com'] },
        ...extra,
      };
      writeFileSync(configFile, JSON.stringify(config));
      return configFile;
    },
    doctor(args, env = {}) {
      return runCliToEnd(t, ['doctor', '--config', configFile, '--endpoint', cloudtrail.url, ...args], {
        cwd: dir,
        kind: 'dist',
        env: daemonEnv(dir, {
          AWS_SECRET_ACCESS_KEY: SECRETS.awsSecret,
          AWS_SESSION_TOKEN: SECRETS.sessionToken,
          AWS_ENDPOINT_URL_STS: sts.url,
          AWS_ENDPOINT_URL_ACCOUNT: account.url,
          AWS_ENDPOINT_URL_EC2: ec2.url,
          SLACK_WEBHOOK_URL: slack.url,
          ...env,
        }),
      });
    },
  };
  world.writeConfig();
  return world;
}
