import { loadConfig } from '../config/load';
import type { Config } from '../config/types';
import { stsRegionFor, whoAmI } from '../aws/identity';
import { EXIT_FAILURE, EXIT_OK } from '../lib/errors';
import { scrubSecrets } from '../alerts/scrub';
import { classifyError } from '../errors/classify';
import { shardOf } from '../targets/shard';
import { visiblePieces } from '../slack/visible';
import { ACCOUNT_NAME_MAX } from '../aws/organizations';
import { describeAccount, targetsOf, type AccountSpec } from '../targets/target';
import type { CliIo } from './program';

/**
 * `cloudtrail-slack targets [--config FILE] [-c PROFILE] [-r REGIONS] [--shard K/N] [--json]` (issue 10 item 5):
 * every target (account × region) and the shard that owns it, or only shard K's with `--shard`. `-c` and `-r` are
 * the run command's, read the same way, so that the list is the daemon's given the same flags. The count is --shard's N, else the
 * config's (shards.count, CLOUDTRAIL_SLACK_SHARD, …; an index is not needed here), else 1.
 *
 * Accounts: the config's `accounts`; or the organisation's ACTIVE accounts (Organizations ListAccounts, API-FACTS
 * K.6) minus `exclude`; or the single account of the credentials (STS GetCallerIdentity, K.2, bounded by
 * IDENTITY_TIMEOUT_MS: when it fails, one line on stderr and the account is printed as "").
 *
 * Output: a table (account "name (id)", region, shard); `--json`: one `{"account", "region", "shard"}` object
 * per line and nothing else on stdout (account: the 12-digit ID, or ""). Exit 0; 1 when the organisation cannot
 * be listed (one line on stderr: "try again" when Organizations could not be reached, else what to fix, both from
 * classifyError(error, 'organizations')); a bad config or flag is a ConfigError, left to runCli (one line, 78).
 */

export interface TargetsFlags {
  config?: string;
  /** `-c/--creds-profile`: as the run command's (the base credentials, the single account's state files). */
  credsProfile?: string;
  /** `-r/--regions`: as the run command's (parseRegions: names, or ['all']); an account's own `regions` still win. */
  regions?: string[];
  /** "K/N", checked by the program's parser and again by the loader. */
  shard?: string;
  json?: boolean;
}

/** One listed account; `name` is untrusted text (the organisation's, or the config's). */
export interface ListedAccount {
  id: string;
  name?: string;
}

export interface TargetsDeps {
  env: Record<string, string | undefined>;
  /** The organisation's ACTIVE accounts (ListAccounts, every page). Rejects when they cannot be listed. */
  listOrganizationAccounts(config: Config, signal: AbortSignal): Promise<ListedAccount[]>;
  /** The credentials' own account ID; rejects when STS cannot say. Default: whoAmI, bounded. */
  callerAccount?(config: Config, signal: AbortSignal): Promise<string>;
  /** Reads the config file (tests); default fs.readFileSync. */
  readFile?: (path: string) => string;
}

/** The whole STS call of the single-account case, in ms: an answer is a second away, or will not come. */
export const IDENTITY_TIMEOUT_MS = 10_000;

export async function runTargetsCommand(flags: TargetsFlags, io: CliIo, deps: TargetsDeps): Promise<number> {
  // dryRun: no webhook is needed to list targets; shardIndexOptional: the count is what matters here.
  const config = loadConfig({
    flags: { configFile: flags.config, shard: flags.shard, credsProfile: flags.credsProfile, regions: flags.regions, dryRun: true },
    env: deps.env,
    shardIndexOptional: true,
    ...(deps.readFile === undefined ? {} : { readFile: deps.readFile }),
  });
  const stop = new AbortController();
  let accounts: ListedAccount[] | undefined;
  const names = new Map<string, string | undefined>();
  if (config.accounts !== undefined) {
    accounts = config.accounts;
  } else if (config.organization !== undefined) {
    const organization = config.organization;
    try {
      const listed = await deps.listOrganizationAccounts(config, stop.signal);
      accounts = listed.filter((account) => !organization.exclude.includes(account.id));
    } catch (error) {
      io.writeErr(organizationFailure(error));
      return EXIT_FAILURE;
    }
  }
  const regionsOf = (account: AccountSpec) => account.regions ?? config.organization?.regions ?? config.regions;
  let rows: Array<{ account: string; label: string; region: string; shard: number }>;
  if (accounts === undefined) {
    const id = await callerAccountOrEmpty(config, deps, io, stop.signal);
    if (config.discoverRegions) io.writeErr(`cloudtrail-slack: regions "all" are discovered by the daemon; listed here: ${config.regions.length} regions enabled by default\n`);
    rows = targetsOf(undefined, config.regions).map((target) => ({ account: id, label: id, region: target.region, shard: shardOf(target.key, config.shard.count) }));
  } else {
    for (const account of accounts) names.set(account.id, account.name);
    const specs: AccountSpec[] = accounts.map((account) => ({ id: account.id, regions: regionsOf(account) }));
    rows = targetsOf(specs, config.regions).map((target) => ({
      account: target.account ?? '',
      label: describeAccount(target.account ?? '', printable(names.get(target.account ?? ''))),
      region: target.region,
      shard: shardOf(target.key, config.shard.count),
    }));
  }
  if (flags.shard !== undefined) rows = rows.filter((row) => row.shard === config.shard.index);
  if (flags.json) {
    io.writeOut(rows.map((row) => `${JSON.stringify({ account: row.account, region: row.region, shard: row.shard })}\n`).join(''));
  } else {
    io.writeOut(renderTable(rows, config));
  }
  return EXIT_OK;
}

async function callerAccountOrEmpty(config: Config, deps: TargetsDeps, io: CliIo, signal: AbortSignal): Promise<string> {
  const ask =
    deps.callerAccount ??
    (async (c: Config, s: AbortSignal) =>
      (await whoAmI({ region: stsRegionFor(c.regions, deps.env.AWS_REGION), ...(c.profile === undefined ? {} : { profile: c.profile }), timeoutMs: IDENTITY_TIMEOUT_MS }, s)).account);
  try {
    return await ask(config, signal);
  } catch (error) {
    io.writeErr(`cloudtrail-slack: the account of the credentials is unknown (STS GetCallerIdentity: ${oneLine(error)}); listed as ""\n`);
    return '';
  }
}

function renderTable(rows: ReadonlyArray<{ label: string; region: string; shard: number }>, config: Config): string {
  const head = { label: 'ACCOUNT', region: 'REGION', shard: 'SHARD' };
  const width = (pick: (row: { label: string; region: string }) => string) => Math.max(...[head, ...rows].map((row) => pick(row).length));
  const a = width((row) => row.label);
  const r = width((row) => row.region);
  const line = (label: string, region: string, shard: string) => `${label.padEnd(a)}  ${region.padEnd(r)}  ${shard}`.trimEnd();
  const shards = new Set(rows.map((row) => row.shard)).size;
  const body = rows.map((row) => line(row.label === '' ? '(unknown)' : row.label, row.region, String(row.shard)));
  const summary = `${rows.length} targets, ${shards} of ${config.shard.count} shard${config.shard.count === 1 ? '' : 's'}`;
  return `${[line(head.label, head.region, head.shard), ...body].join('\n')}\n${summary}\n`;
}

/**
 * An untrusted name for a terminal, as email, Slack and the status page show it (makeVisible): control characters
 * (escape sequences, line breaks) become spaces, format characters (bidi overrides, zero-width) `[U+202E]`; cut to
 * ACCOUNT_NAME_MAX (Organizations' limit) whole pieces, so a cut never leaves half a `[U+…]`.
 */
function printable(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const clean = visiblePieces(name).slice(0, ACCOUNT_NAME_MAX).join('').trim();
  return clean === '' ? undefined : clean;
}

/**
 * The one stderr line when ListAccounts fails, from classifyError(error, 'organizations'): a failure that passes
 * (time-out, network, throttling, 5xx: retry or back-off) says to try again; any other says the classifier's
 * advice for its cause (the wrong caller account, no organisation, expired credentials, …).
 */
function organizationFailure(error: unknown): string {
  const { action, advice } = classifyError(error, 'organizations');
  if (action === 'retry' || action === 'back-off') return `cloudtrail-slack: could not reach Organizations (ListAccounts: ${oneLine(error)}), try again\n`;
  return `cloudtrail-slack: the organisation's accounts could not be listed (Organizations ListAccounts: ${oneLine(error)}); ${scrubSecrets(advice)}\n`;
}

/** An error's message on one line, cut to 200 characters (it may quote an endpoint's answer). */
function oneLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
  return scrubSecrets(text).replace(/\s+/g, ' ').trim().slice(0, 200);
}
