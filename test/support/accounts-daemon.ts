import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load';
import type { CliFlags } from '../../src/cli/program';
import type { Config } from '../../src/config/types';
import { createLookupClient } from '../../src/cloudtrail/client';
import { createAccountCredentials } from '../../src/aws/account-credentials';
import { whoAmI } from '../../src/aws/identity';
import { createOrganizationsClient } from '../../src/aws/clients';
import { listActiveAccounts } from '../../src/aws/organizations';
import { runDaemon, type DaemonDeps } from '../../src/daemon/run-daemon';
import type { CloudTrailRecord } from '../../src/events/types';
import { captureLogger } from './daemon-harness';
import { loadFixtureRecords } from './fixtures';
import { ManualClock } from './manual-clock';
import { startAccountSims, type AccountSims, type AccountSimsOptions } from './sims';
import { setEnvForTest } from './env';
import type { TestContextLike } from './cli-process';

/**
 * The real daemon with many accounts against the account-aware simulators (STS AssumeRole and GetCallerIdentity,
 * Organizations ListAccounts, CloudTrail keeping each account's events apart by signing key), on a ManualClock.
 */

export const STS_REGION = 'us-east-1';

export interface AccountsRig {
  clock: ManualClock;
  sims: AccountSims;
  stateDir: string;
  /** A profile `name` in a temporary AWS_SHARED_CREDENTIALS_FILE, with new static keys of `account`. */
  addProfile(name: string, account: string): void;
  config(flags: CliFlags, file?: Record<string, unknown>, env?: Record<string, string>): Config;
  run(config: Config, extra?: Partial<DaemonDeps>): { done: Promise<number>; proc: EventEmitter; logs: ReturnType<typeof captureLogger> };
}

export async function startAccountsRig(t: TestContextLike, options: AccountSimsOptions & { minSleepers?: number } = {}): Promise<AccountsRig> {
  const clock = new ManualClock();
  const sims = await startAccountSims(t, { now: () => clock.now(), ...options });
  const stateDir = mkdtempSync(join(tmpdir(), 'cts-accounts-'));
  const awsDir = mkdtempSync(join(tmpdir(), 'cts-aws-'));
  const credentialsFile = join(awsDir, 'credentials');
  writeFileSync(credentialsFile, '');
  writeFileSync(join(awsDir, 'config'), '');
  // Offline: the SDK reads these files for profiles, never the user's own.
  setEnvForTest(t, { AWS_SHARED_CREDENTIALS_FILE: credentialsFile, AWS_CONFIG_FILE: join(awsDir, 'config') });
  const profiles: string[] = [];
  const stopAuto = clock.autoAdvance({ minSleepers: options.minSleepers ?? 1 });
  t.after(() => {
    stopAuto();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(awsDir, { recursive: true, force: true });
  });
  return {
    clock,
    sims,
    stateDir,
    addProfile(name, account) {
      const keys = sims.addProfileKeys(account);
      profiles.push(`[${name}]\naws_access_key_id = ${keys.accessKeyId}\naws_secret_access_key = ${keys.secretAccessKey}\n`);
      writeFileSync(credentialsFile, profiles.join('\n'));
    },
    config: (flags, file = { digest: { enabled: false } }, env = {}) =>
      loadConfig({
        flags: { stateDir, endpoint: sims.cloudtrail.url, configFile: 'test-config.json', ...flags },
        env: { SLACK_WEBHOOK_URL: sims.slack.url, ...env },
        readFile: () => JSON.stringify(file),
      }),
    run(config, extra = {}) {
      const proc = new EventEmitter();
      const logs = captureLogger();
      const organizations = createOrganizationsClient({ region: STS_REGION, endpoint: sims.organizations.url, credentials: sims.baseKeys, requestTimeoutMs: 5000 });
      const done = runDaemon({ ...config, trailMonitor: { ...config.trailMonitor, enabled: false } }, {
        clock,
        log: logs.log,
        proc,
        writeOut: () => undefined,
        createClient: (region, account) =>
          createLookupClient({ region, endpoint: sims.cloudtrail.url, credentials: account?.credentials ?? sims.baseKeys, requestTimeoutMs: 5000, now: () => clock.now() }),
        accountCredentials: createAccountCredentials({ base: sims.baseKeys, stsRegion: STS_REGION, stsEndpoint: sims.sts.url, clock }),
        whoAmIWith: (credentials, signal) => whoAmI({ region: STS_REGION, credentials, endpoint: sims.sts.url, requestTimeoutMs: 5000 }, signal),
        listAccounts: (signal) => listActiveAccounts(organizations, signal),
        forceExit: () => {
          throw new Error('forced exit in a test');
        },
        monitors: () => [],
        ...extra,
      }).finally(() => organizations.destroy());
      return { done, proc, logs };
    },
  };
}

/** `count` write events of the fixtures, without their own account: the simulator gives each the account it is added to. */
export function writeRecords(count: number): CloudTrailRecord[] {
  return loadFixtureRecords()
    .filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin')
    .slice(0, count)
    .map((record) => {
      const copy = { ...record } as CloudTrailRecord & { recipientAccountId?: unknown };
      delete copy.recipientAccountId;
      return copy;
    });
}
