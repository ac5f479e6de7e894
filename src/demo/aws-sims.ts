import { SimRegionTable } from '../sim/account-regions';
import { startAccountSimulator } from '../sim/account-server';
import { startEc2Simulator } from '../sim/ec2-server';
import type { SimAccountBook } from '../sim/account-book';
import { SIM_IDENTITY, startStsSimulator } from '../sim/sts-server';

/**
 * The demo's STS, Account and EC2 simulators (who am I, region discovery), and the SDK pointed at them through
 * its own AWS_ENDPOINT_URL_<SERVICE> variables, so that every client the daemon builds, wherever it is built,
 * reaches 127.0.0.1 and nothing else: the user's own endpoint variables are overridden for the demo's run and
 * put back when it ends.
 */

export interface DemoAws {
  stsUrl: string;
  /** The line the demo prints about them. */
  describe(): string;
  readonly account: string;
  /** Stops the simulators and restores the environment as it was. */
  close(): Promise<void>;
}

/** `book`: the accounts STS knows (roles, keys), shared with CloudTrail (demo --accounts); default an empty one. */
export async function startDemoAws(cloudtrailUrl: string, env: NodeJS.ProcessEnv = process.env, book?: SimAccountBook): Promise<DemoAws> {
  const regions = new SimRegionTable();
  const sts = await startStsSimulator({ host: '127.0.0.1', ...(book === undefined ? {} : { book }) });
  const account = await startAccountSimulator({ host: '127.0.0.1', regions });
  const ec2 = await startEc2Simulator({ host: '127.0.0.1', regions });
  const endpoints: Record<string, string> = {
    AWS_ENDPOINT_URL_CLOUDTRAIL: cloudtrailUrl,
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_ENDPOINT_URL_ACCOUNT: account.url,
    AWS_ENDPOINT_URL_EC2: ec2.url,
  };
  const saved = Object.fromEntries(Object.keys(endpoints).map((key) => [key, env[key]]));
  Object.assign(env, endpoints);
  return {
    stsUrl: sts.url,
    account: SIM_IDENTITY.account,
    describe: () => `STS ${sts.url}, Account ${account.url}, EC2 ${ec2.url}: the daemon runs as account ${SIM_IDENTITY.account}.`,
    async close() {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete env[key];
        else env[key] = value;
      }
      await Promise.all([sts.close(), account.close(), ec2.close()]);
    },
  };
}
