import { Writable } from 'node:stream';
import { createAccountCredentials, type AccountCredentials } from '../aws/account-credentials';
import type { AwsCredentials } from '../aws/clients';
import { stsRegionFor, whoAmI } from '../aws/identity';
import type { Config } from '../config/types';
import { createLogger } from '../logging/logger';
import { adviceFor, createAccountCheck, type AccountCheck, type AccountVerdict } from '../targets/account-check';
import { owns } from '../targets/shard';
import { describeAccount, targetKey, type AccountSpec } from '../targets/target';
import { ok, skipped, warn, type CheckResult } from './check';
import { lookupOnce, type LookupCheck, type LookupResult } from './checks-aws';
import type { DoctorDeps } from './deps';
import { lookupRows } from './account-rows';

/**
 * The account rows of `doctor` with config `accounts` or `organization` (issue 10 items 3 and 4): per account, its
 * credentials (as the daemon checks them before "ready": src/targets/account-check.ts, with the credentials of
 * src/aws/account-credentials.ts: AssumeRole once per account, STS paced at STS_CALLS_PER_SECOND) and one
 * LookupEvents per region of its own that this shard owns (the daemon's targets).
 *
 * Bounds: ACCOUNTS_AT_ONCE accounts are checked at a time, each with all its regions at once; every call is bounded
 * by deps.timeoutMs. One LookupEvents per (account, region) is half a second of its 2 requests/s quota (API-FACTS
 * A.4), whatever the number of accounts. 100 accounts × 17 regions: 100 AssumeRole (20 s at 5/s) and 1,700
 * LookupEvents at most 8 × 17 in flight; at worst (every call timing out) 13 rounds of two limits.
 */

/** Accounts checked at once: at most this × (regions per account) requests in flight. */
export const ACCOUNTS_AT_ONCE = 8;

export interface AccountsCheck {
  rows: CheckResult[];
  offsets: LookupCheck['offsets'];
}

export interface AccountsCheckOptions {
  /** One row per (account, region) even when all is well (--verbose, --json). */
  verbose: boolean;
  /** Tests: replaces the per-account credentials and the STS check. */
  accountCredentials?: AccountCredentials;
}

interface AccountOutcome {
  spec: AccountSpec;
  regions: string[];
  verdict: AccountVerdict;
  /** STS could not be asked (network): the daemon polls the account anyway. */
  stsUnsure?: string;
  lookups: LookupResult[];
}

export async function checkAccounts(config: Config, accounts: readonly AccountSpec[], deps: DoctorDeps, options: AccountsCheckOptions): Promise<AccountsCheck> {
  const stsRegion = stsRegionFor(config.regions);
  const credentials = options.accountCredentials ?? createAccountCredentials({
    ...(config.profile === undefined ? {} : { profile: config.profile }),
    ...(deps.credentials === undefined ? {} : { base: deps.credentials }),
    stsRegion,
    clock: deps.clock,
  });
  if (accounts.length === 0) {
    // As the daemon: it starts, warns, and waits for the next organisation listing (src/targets/many-accounts.ts).
    return { rows: [warn('accounts', 'no account to watch: every account is excluded (or the list is empty); the daemon starts and polls nothing',
      'leave some accounts out of organization.exclude, or list them in `accounts`')], offsets: [] };
  }
  const outcomes = await inBatches(accounts, ACCOUNTS_AT_ONCE, (spec) => checkOne(config, spec, credentials, stsRegion, deps));
  const mine = outcomes.filter((outcome) => outcome.regions.length > 0);
  // The daemon's rules (src/targets/account-supervisor.ts): an unusable account is paused and the others go on;
  // only when every account's credentials are refused does it stop at start (exit 77). Every account paused for
  // LookupEvents as well leaves nothing polled: that blocks it too.
  const credentialsRefused = outcomes.length > 0 && outcomes.every((outcome) => !outcome.verdict.usable);
  const allUnusable = mine.length > 0 && mine.every((outcome) => unusableOf(outcome) !== undefined);
  const blocking = credentialsRefused || allUnusable;
  const rows = mine.flatMap((outcome) => rowsOf(outcome, blocking, options.verbose));
  const offsets = mine.flatMap((o) => o.lookups.flatMap((r) => (r.offsetMs === undefined ? [] : [{ region: r.region, offsetMs: r.offsetMs }])));
  if (config.shard.count > 1) {
    const owned = mine.reduce((sum, outcome) => sum + outcome.regions.length, 0);
    const all = accounts.reduce((sum, spec) => sum + (spec.regions ?? config.regions).length, 0);
    rows.unshift(ok('shard', `shard ${config.shard.index}/${config.shard.count} owns ${owned} of ${all} targets, in ${mine.length} of ${outcomes.length} accounts: only those are checked`));
  }
  return { rows, offsets };
}

async function checkOne(config: Config, spec: AccountSpec, credentials: AccountCredentials, stsRegion: string, deps: DoctorDeps): Promise<AccountOutcome> {
  const regions = (spec.regions ?? config.regions).filter((region) => owns(config.shard, targetKey(spec.id, region)));
  let stsUnsure: string | undefined;
  const check: AccountCheck = createAccountCheck({
    credentials,
    whoAmI: (provider: AwsCredentials, signal) => whoAmI({ region: stsRegion, credentials: provider, requestTimeoutMs: deps.timeoutMs, timeoutMs: deps.timeoutMs, clock: deps.clock }, signal),
    log: warningCatcher((reason) => {
      stsUnsure = reason;
    }),
    describe: (id) => id,
  });
  const verdict = await check(spec, new AbortController().signal);
  if (!verdict.usable || regions.length === 0) return { spec, regions, verdict, lookups: [], ...(stsUnsure === undefined ? {} : { stsUnsure }) };
  const provider = credentials.providerFor(spec);
  const lookups = await Promise.all(regions.map((region) => lookupOnce(config, deps, region, provider)));
  return { spec, regions, verdict, lookups, ...(stsUnsure === undefined ? {} : { stsUnsure }) };
}

/** Why the daemon would pause the account (credentials refused, or LookupEvents refused in every region), if so. */
function unusableOf(outcome: AccountOutcome): { reason: string; advice: string } | undefined {
  if (!outcome.verdict.usable) return outcome.verdict;
  const kinds = new Set(outcome.lookups.map((result) => result.kind));
  const only = kinds.size === 1 ? [...kinds][0] : undefined;
  if (outcome.lookups.length > 0 && (only === 'access-denied' || only === 'unrecognized-client')) {
    return { reason: `LookupEvents refused in all ${outcome.lookups.length} regions (${only}): ${outcome.lookups[0]?.text ?? ''}`, advice: adviceFor(outcome.spec, only, 'lookup') };
  }
  return undefined;
}

function rowsOf(outcome: AccountOutcome, blocking: boolean, verbose: boolean): CheckResult[] {
  const { spec } = outcome;
  const who = describeAccount(spec.id, spec.name);
  const fields = { account: spec.id, ...(spec.name === undefined ? {} : { accountName: spec.name }) };
  const name = `account ${who}`;
  const unusable = unusableOf(outcome);
  const consequence = blocking ? 'every account is unusable, so the daemon stops (exit 77)' : 'the daemon pauses this account, polls the others and retries it every few minutes';
  let credentialsRow: CheckResult;
  if (!outcome.verdict.usable) {
    credentialsRow = { ...marked(blocking, name, `${outcome.verdict.reason}; ${consequence}`, outcome.verdict.advice), ...fields };
    return [credentialsRow, { ...skipped(`LookupEvents ${who}`, `not checked: the account's credentials are unusable (${outcome.regions.length} regions)`, 'fix the account row first'), ...fields }];
  }
  credentialsRow = outcome.stsUnsure === undefined
    ? { ...ok(name, `${howReached(spec)}: STS answered for account ${spec.id}`), ...fields }
    : { ...warn(name, `STS could not be asked (${outcome.stsUnsure}); the daemon polls the account anyway`, 'check network access to STS (proxy, firewall, AWS_ENDPOINT_URL_STS)'), ...fields };
  if (unusable !== undefined) {
    return [credentialsRow, { ...marked(blocking, `LookupEvents ${who}`, `${unusable.reason}; ${consequence}`, unusable.advice), ...fields }];
  }
  return [credentialsRow, ...lookupRows(who, outcome.lookups, verbose).map((row) => ({ ...row, ...fields }))];
}

function marked(blocking: boolean, name: string, detail: string, action: string): CheckResult {
  return { name, status: blocking ? 'fail' : 'warn', detail, action };
}

function howReached(spec: AccountSpec): string {
  if (spec.roleArn !== undefined) return `role ${spec.roleArn} assumed (session cloudtrail-slack)`;
  if (spec.profile !== undefined) return `profile "${spec.profile}" works`;
  return 'the base credentials work';
}

/** A logger that hands account-check's one warning ("cannot check the account's credentials now") to `onWarn`. */
function warningCatcher(onWarn: (reason: string) => void) {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      try {
        const line = JSON.parse(chunk.toString('utf8')) as { err?: unknown };
        onWarn(typeof line.err === 'string' ? line.err : 'STS failed');
      } catch {
        onWarn('STS failed');
      }
      done();
    },
  });
  return createLogger({ level: 'warn', destination: sink });
}

/** `work` over `items`, at most `limit` at a time, results in the items' order. Rejects with the first rejection. */
export async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
