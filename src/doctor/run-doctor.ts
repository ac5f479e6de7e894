import type { Config } from '../config/types';
import { ConfigError } from '../lib/errors';
import { fail, ok, reportOf, skipped, type CheckResult, type DoctorReport } from './check';
import { discoverForDoctor, checkTrailStatus } from './checks-account';
import { checkClock, checkCredentials, checkLookups, skippedForCredentials } from './checks-aws';
import { checkSmtp, checkWebhooks } from './checks-delivery';
import { checkStateFolder, type StateFs } from './checks-state';
import type { DoctorDeps } from './deps';
import { checkAccounts } from './checks-accounts';
import { checkOrganization } from './checks-organization';
import { owns } from '../targets/shard';
import { targetKey } from '../targets/target';

/**
 * `doctor`'s checks in their order (issue 9 item 8): configuration, credentials, LookupEvents per region, trail
 * status, region discovery, state folder, clock, alert email, webhooks. The configuration is loaded as the daemon
 * loads it; a bad one is one ✗ row and every other check is shown as not checked. Credentials come next, alone:
 * when AWS refuses them, the other AWS rows are skipped rather than failing the same way. The rest run at once,
 * each bounded by `deps.timeoutMs`, so the whole run takes about two limits at worst, even when endpoints hang.
 */

/** The rows that need a configuration, as shown when there is none. */
const NEEDS_CONFIG = ['credentials', 'LookupEvents', 'trail status', 'region discovery', 'state folder', 'clock', 'alert email', 'webhooks'];

export interface RunDoctorOptions extends DoctorDeps {
  /** Loads the configuration as the daemon would (throws ConfigError). */
  loadConfig: () => Config;
  /** The state folder's file system (tests); default node:fs/promises. */
  stateFs?: StateFs;
  /** One row per (account, region) even when it answered (`--verbose`, `--json`); default summed per account. */
  verbose?: boolean;
}

/** Resolves to the report and the configuration when it loaded (its secrets mask the output). */
export async function runDoctor(options: RunDoctorOptions): Promise<{ report: DoctorReport; config?: Config }> {
  let config: Config;
  try {
    config = options.loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const rows = [
      fail('configuration', error.message, 'fix the flag, key or variable named above (cloudtrail-slack --help; README: Configuration)'),
      ...NEEDS_CONFIG.map((name) => skipped(name, 'not checked: needs a valid configuration', 'fix the configuration first')),
    ];
    return { report: reportOf(rows) };
  }
  return { report: reportOf(await checkAll(config, options)), config };
}

async function checkAll(config: Config, options: RunDoctorOptions): Promise<CheckResult[]> {
  if (config.accounts !== undefined || config.organization !== undefined) return checkAllAccounts(config, options);
  const credentials = await checkCredentials(config, options);
  const aws = credentials.usable;
  // -r all: LookupEvents is checked in the regions discovery finds, as the daemon polls them (so it asks first).
  const discovery = aws && config.discoverRegions ? await discoverForDoctor(config, options) : undefined;
  // --shard K/N: only this shard's regions (the single account's target keys are the regions).
  const polled = { ...config, regions: (discovery?.regions ?? config.regions).filter((region) => owns(config.shard, targetKey(undefined, region))) };
  const [lookups, trail, regions, state, smtp, webhooks] = await Promise.all([
    aws ? checkLookups(polled, options, credentials.row.status === 'ok') : undefined,
    aws ? checkTrailStatus(config, options) : skippedForCredentials(['trail status']),
    discovery?.rows ?? (aws ? discoverForDoctor(config, options).then((d) => d.rows) : skippedForCredentials(['region discovery'])),
    checkStateFolder(config, options.clock.now(), options.stateFs),
    checkSmtp(config, options),
    checkWebhooks(config, options),
  ]);
  return [
    ok('configuration', describeConfiguration(config)),
    credentials.row,
    ...(lookups?.rows ?? skippedForCredentials(polled.regions.map((region) => `LookupEvents ${region}`))),
    ...trail,
    ...regions,
    ...state,
    lookups === undefined ? skippedForCredentials(['clock'])[0]! : checkClock(lookups.offsets, config.settleMinutes),
    smtp,
    ...webhooks,
  ];
}

/**
 * With config `accounts` or `organization` (issue 10): the base credentials, the organisation's listing, then each
 * account's credentials and LookupEvents (checks-accounts.ts) in place of the single account's LookupEvents rows.
 * The base credentials only block when nothing else reaches the accounts: with an `accounts` list the account rows
 * judge that (a profile account does not need them); an organisation is listed with them.
 */
async function checkAllAccounts(config: Config, options: RunDoctorOptions): Promise<CheckResult[]> {
  const credentials = await checkCredentials(config, options);
  const base = config.accounts !== undefined && credentials.row.status === 'fail'
    ? { ...credentials.row, status: 'warn' as const, detail: `${credentials.row.detail}; the account rows below say which accounts need them` }
    : credentials.row;
  const organization = config.organization !== undefined && config.accounts === undefined
    ? await checkOrganization(config, config.organization, options)
    : undefined;
  const accounts = config.accounts ?? organization?.accounts;
  const aws = credentials.usable;
  const [checked, trail, regions, state, smtp, webhooks] = await Promise.all([
    accounts === undefined ? undefined : checkAccounts(config, accounts, options, { verbose: options.verbose === true }),
    aws ? checkTrailStatus(config, options) : skippedForCredentials(['trail status']),
    aws ? discoverForDoctor(config, options).then((d) => d.rows) : skippedForCredentials(['region discovery']),
    checkStateFolder(config, options.clock.now(), options.stateFs),
    checkSmtp(config, options),
    checkWebhooks(config, options),
  ]);
  return [
    ok('configuration', describeConfiguration(config)),
    base,
    ...(organization === undefined ? [] : [organization.row]),
    ...(checked?.rows ?? [skipped('accounts', 'not checked: the organisation could not be listed', 'fix the organization row first')]),
    ...trail,
    ...regions,
    ...state,
    checked === undefined ? skipped('clock', 'not checked: no LookupEvents answer to compare with', 'fix the rows above first') : checkClock(checked.offsets, config.settleMinutes),
    smtp,
    ...webhooks,
  ];
}

/** Names and counts only: no URL, no address that could carry a login. */
function describeConfiguration(config: Config): string {
  const webhooks = Object.keys(config.slack.webhooks);
  const accounts = config.accounts !== undefined
    ? [`${config.accounts.length} account${config.accounts.length === 1 ? '' : 's'} listed in the config`]
    : config.organization !== undefined ? ['the organisation\'s accounts (Organizations ListAccounts)'] : [];
  const shard = config.shard.count > 1 ? [`shard ${config.shard.index}/${config.shard.count}`] : [];
  const parts = [
    ...accounts,
    ...shard,
    config.discoverRegions ? 'every region enabled for the account (-r all)' : `${config.regions.length} region${config.regions.length === 1 ? '' : 's'}`,
    `webhook${webhooks.length === 1 ? '' : 's'} ${webhooks.join(', ') || '(none: --dry-run)'}`,
    `alert email ${config.email.smtpUrl === undefined ? 'off' : 'on'}`,
    `state in ${config.stateDir}`,
  ];
  return `loaded as the daemon would: ${parts.join('; ')}`;
}
