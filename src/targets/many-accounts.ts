import type { Config } from '../config/types';
import type { Clock } from '../lib/clock';
import { ConfigError } from '../lib/errors';
import type { Logger } from '../logging/logger';
import type { Alerter } from '../alerts/alerter';
import type { AwsCredentials } from '../aws/clients';
import { createAccountCredentials, type AccountCredentials } from '../aws/account-credentials';
import { stsRegionFor, whoAmI, type CallerIdentity } from '../aws/identity';
import type { PollerResult } from '../cloudtrail/poller';
import type { Service } from '../lifecycle/service';
import type { AccountDirectory } from './account-directory';
import { createAccountCheck, createLookupProbe } from './account-check';
import { createLookupClient, type LookupClient } from '../cloudtrail/client';
import type { Telemetry } from '../observability/telemetry';
import { AccountSupervisor } from './account-supervisor';
import { createOrganizationDiscovery, listAtStart, type ListAccounts } from './organization-discovery';
import { owns } from './shard';
import { targetsOf, type AccountSpec } from './target';

/**
 * The start of a many-account daemon (config `accounts` or `organization`, issue 10), before "ready": the accounts
 * (the config's, or the organisation's listing), their credentials, and one check of each (every one unusable →
 * FatalError, exit 77). What the rest of the daemon uses of them comes back as ManyAccounts.
 */

export interface ManyAccounts {
  supervisor: AccountSupervisor;
  /** The account's credentials provider, shared by all its regional clients. */
  credentialsFor(account: string): AwsCredentials;
  /** The hourly organisation refresh (shard 0 says its changes at info); undefined with a fixed `accounts` list. */
  discovery?: Service;
  /** --once: a failed result for each target of a paused account (never polled: the pass failed for it). */
  pausedResults(): PollerResult[];
}

export interface ManyAccountsDeps {
  clock: Clock;
  log: Logger;
  alerter: Pick<Alerter, 'alert'>;
  directory: AccountDirectory;
  track(work: Promise<void>): void;
  /** The daemon's stop (and its end): checks and retries end with it. */
  signal: AbortSignal;
  accountCredentials?: AccountCredentials;
  whoAmIWith?(credentials: AwsCredentials, signal: AbortSignal): Promise<CallerIdentity>;
  listAccounts?: ListAccounts;
  /** Where a paused account's targets show (status page, /readyz, metrics). */
  telemetry?: Telemetry;
  /** Replaces the AWS SDK client of the LookupEvents probe (tests); default createLookupClient. */
  createClient?(region: string, account: { id: string; credentials: AwsCredentials }): LookupClient & { destroy?(): void };
}

export async function startAccounts(config: Config, deps: ManyAccountsDeps): Promise<ManyAccounts> {
  const { clock, log, signal } = deps;
  const stsRegion = stsRegionFor(config.regions);
  const credentials = deps.accountCredentials ?? createAccountCredentials({ profile: config.profile, stsRegion, clock, signal });
  const ask = deps.whoAmIWith ?? ((provider: AwsCredentials, s: AbortSignal) => whoAmI({ region: stsRegion, credentials: provider }, s));
  const check = createAccountCheck({ credentials, whoAmI: ask, log, describe: (id) => deps.directory.describe(id) });
  const supervisor = new AccountSupervisor({
    regions: config.regions,
    shard: config.shard,
    check,
    alerter: deps.alerter,
    directory: deps.directory,
    clock,
    log,
    signal,
    track: deps.track,
    announce: config.shard.index === 0 ? 'info' : 'debug',
    ...(deps.telemetry === undefined ? {} : { telemetry: deps.telemetry }),
    probe: createLookupProbe({
      credentialsFor: (account) => credentials.providerFor(account),
      createClient: (region, account) => deps.createClient?.(region, account) ??
        createLookupClient({ region, credentials: account.credentials, endpoint: config.cloudtrailEndpoint }),
      regions: config.regions,
      now: () => clock.now(),
    }),
  });
  const organization = config.organization;
  let accounts: AccountSpec[];
  if (organization !== undefined) {
    if (deps.listAccounts === undefined) throw new ConfigError('organization: listing the accounts is not available in this build; list them in `accounts` instead');
    accounts = await listAtStart(deps.listAccounts, organization, config.regions[0] ?? stsRegion, signal, { clock, log });
    log.info({ accounts: accounts.length, excluded: organization.exclude.length }, 'organisation accounts listed');
  } else {
    accounts = config.accounts ?? [];
  }
  // An organisation whose accounts are all excluded (or not yet created): nothing to poll until the next listing.
  if (accounts.length === 0) log.warn({ excluded: organization?.exclude.length ?? 0 }, 'no account to watch; the organisation is listed again hourly');
  await supervisor.start(accounts, signal);
  const list = deps.listAccounts;
  return {
    supervisor,
    credentialsFor: (id) => credentials.providerFor(supervisor.specOf(id) ?? { id }),
    ...(organization === undefined || list === undefined
      ? {}
      : {
        discovery: createOrganizationDiscovery({
          list, organization, firstRegion: config.regions[0] ?? stsRegion, clock, log,
          apply: (next) => supervisor.setAccounts(next, signal),
        }),
      }),
    pausedResults: () => {
      const paused = supervisor.accountIds().filter((id) => supervisor.isPaused(id)).flatMap((id) => supervisor.specOf(id) ?? []);
      return targetsOf(paused, config.regions)
        .filter((target) => owns(config.shard, target.key))
        .map((target) => ({ region: target.key, ok: false, posted: 0, printed: 0, requests: 0, error: 'account unusable' }));
    },
  };
}
