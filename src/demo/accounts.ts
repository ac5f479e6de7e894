import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAccountCredentials, type AccountCredentials } from '../aws/account-credentials';
import type { AwsCredentials } from '../aws/clients';
import { whoAmI, type CallerIdentity } from '../aws/identity';
import type { Clock } from '../lib/clock';
import type { SimAccountBook } from '../sim/account-book';
import { describeAccount, type AccountSpec } from '../targets/target';

/**
 * `demo --accounts N` (issue 10 item 7): the daemon watches up to three member accounts of a pretend organisation,
 * each reached the way a real one would be, all on the local simulators (one account book shared by STS and
 * CloudTrail: AssumeRole issues keys of the role's account, and CloudTrail answers each key with its own account's
 * events):
 * - prod: by assuming a role (session `cloudtrail-slack`);
 * - dev: by its own profile, in a credentials file in the demo's temporary folder (never the user's ~/.aws);
 * - legacy: by a role whose trust policy does not trust the daemon, to show the pause (one alert, the others go on).
 * The sample events are dealt between the usable accounts, so the demo expects the same events as with one.
 */

export interface DemoAccount {
  id: string;
  name: string;
  how: 'role' | 'profile' | 'denied role';
}

export const DEMO_ACCOUNTS: readonly DemoAccount[] = [
  { id: '111111111111', name: 'prod', how: 'role' },
  { id: '222222222222', name: 'dev', how: 'profile' },
  { id: '333333333333', name: 'legacy', how: 'denied role' },
];
const ROLE_NAME = 'CloudTrailSlackReader';
const PROFILE = 'demo-dev';

export interface DemoAccountsSetup {
  /** Config `accounts`. */
  specs: AccountSpec[];
  /** The accounts whose Event history holds sample events (the usable ones). */
  withEvents: string[];
  /** "legacy (333333333333)", the account whose role refuses the daemon, when chosen. */
  refused?: string;
  /** Daemon deps: the accounts' credentials and STS check, on the simulators. */
  accountCredentials: AccountCredentials;
  whoAmIWith(credentials: AwsCredentials, signal: AbortSignal): Promise<CallerIdentity>;
  /** The lines the demo prints about them. */
  describe(): string[];
  /** Puts back the environment variables the profile needed. */
  restore(): void;
}

export interface DemoAccountsInput {
  count: number;
  book: SimAccountBook;
  base: { accessKeyId: string; secretAccessKey: string };
  stsUrl: string;
  stsRegion: string;
  /** The demo's temporary folder: the profile's credentials file goes here. */
  dir: string;
  clock: Clock;
  env?: NodeJS.ProcessEnv;
}

export function setUpDemoAccounts(input: DemoAccountsInput): DemoAccountsSetup {
  const env = input.env ?? process.env;
  const chosen = DEMO_ACCOUNTS.slice(0, input.count);
  const credentialsFile = join(input.dir, 'aws-credentials');
  const profileLines: string[] = [];
  const specs = chosen.map((account): AccountSpec => {
    if (account.how === 'profile') {
      const keys = input.book.issueKey(account.id);
      profileLines.push(`[${PROFILE}]\naws_access_key_id = ${keys.accessKeyId}\naws_secret_access_key = ${keys.secretAccessKey}\n`);
      return { id: account.id, name: account.name, profile: PROFILE };
    }
    const roleArn = `arn:aws:iam::${account.id}:role/${ROLE_NAME}`;
    input.book.addRole(roleArn, { denied: account.how === 'denied role' });
    return { id: account.id, name: account.name, roleArn };
  });
  writeFileSync(credentialsFile, profileLines.join('\n'), { mode: 0o600 });
  // The SDK reads profiles from these files: the demo's own, never the user's.
  const files = { AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_CONFIG_FILE: join(input.dir, 'aws-config-none') };
  const saved = Object.fromEntries(Object.keys(files).map((key) => [key, env[key]]));
  Object.assign(env, files);
  const refused = chosen.find((account) => account.how === 'denied role');
  return {
    specs,
    ...(refused === undefined ? {} : { refused: describeAccount(refused.id, refused.name) }),
    withEvents: chosen.filter((account) => account.how !== 'denied role').map((account) => account.id),
    accountCredentials: createAccountCredentials({ base: input.base, stsRegion: input.stsRegion, stsEndpoint: input.stsUrl, clock: input.clock }),
    whoAmIWith: (credentials, signal) => whoAmI({ region: input.stsRegion, credentials, endpoint: input.stsUrl, requestTimeoutMs: 10_000 }, signal),
    describe: () => chosen.map((account) => `${describeAccount(account.id, account.name)} ${howText(account)}`),
    restore() {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete env[key];
        else env[key] = value;
      }
    },
  };
}

function howText(account: DemoAccount): string {
  switch (account.how) {
    case 'role':
      return `by assuming the role ${ROLE_NAME}`;
    case 'profile':
      return `by its own profile (${PROFILE}, in the demo's folder)`;
    default:
      return `by a role whose trust policy refuses the daemon: paused, alerted once, retried every few minutes`;
  }
}
