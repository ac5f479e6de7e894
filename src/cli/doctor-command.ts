import { hostname } from 'node:os';
import { createScrubber, knownSecretsOf } from '../alerts/scrub';
import { loadConfig } from '../config/load';
import type { Config } from '../config/types';
import { systemClock, type Clock } from '../lib/clock';
import { EXIT_FAILURE, EXIT_OK } from '../lib/errors';
import { renderJson, renderTable } from '../doctor/render';
import { runDoctor } from '../doctor/run-doctor';
import type { StateFs } from '../doctor/checks-state';
import { DEFAULT_DOCTOR_TIMEOUT_SECONDS } from '../doctor/deps';
import type { AwsCredentials } from '../aws/clients';
import type { CliFlags, CliIo } from './program';

/**
 * `cloudtrail-slack doctor`: checks what the daemon needs, prints a table (or `--json`), exits 0 when nothing
 * blocks the daemon (warnings allowed) and 1 otherwise. Every byte it prints passes the scrubber with the
 * configuration's secrets (webhook URLs, SMTP URL, AWS keys from the environment, the heartbeat URL).
 */

/** The doctor command's flags: the run command's AWS and config flags that apply, and its own. */
export interface DoctorFlags {
  config?: string;
  credsProfile?: string;
  regions?: string[];
  stateDir?: string;
  endpoint?: string;
  /** As the daemon will run with (--poll-interval): settings that depend on it are checked against it. */
  pollInterval?: number;
  /** "K/N": only shard K's targets (checked by the program's parser and again by the loader). */
  shard?: string;
  postTest?: boolean;
  /** Many accounts: one LookupEvents row per (account, region), not one summary per account. */
  verbose?: boolean;
  json?: boolean;
  /** Each check's limit, seconds (DOCTOR_TIMEOUT). */
  timeout?: number;
}


export interface DoctorCommandDeps {
  env: Record<string, string | undefined>;
  clock?: Clock;
  /** Tests: credentials for every AWS client, instead of the SDK's chain. */
  credentials?: AwsCredentials;
  stateFs?: StateFs;
}

/** Runs every check, prints the table or `--json` on `io.writeOut`, resolves to 0 (nothing blocks) or 1. */
export async function runDoctorCommand(flags: DoctorFlags, io: CliIo, deps: DoctorCommandDeps = { env: process.env }): Promise<number> {
  const cliFlags: CliFlags = {
    configFile: flags.config,
    credsProfile: flags.credsProfile,
    regions: flags.regions,
    stateDir: flags.stateDir,
    endpoint: flags.endpoint,
    pollIntervalSeconds: flags.pollInterval,
    shard: flags.shard,
  };
  const { report, config } = await runDoctor({
    loadConfig: () => loadConfig({ flags: cliFlags, env: deps.env }),
    clock: deps.clock ?? systemClock,
    timeoutMs: (flags.timeout ?? DEFAULT_DOCTOR_TIMEOUT_SECONDS) * 1000,
    postTest: flags.postTest === true,
    // --json is for machines: every row, as --verbose.
    verbose: flags.verbose === true || flags.json === true,
    host: hostname(),
    ...(deps.credentials === undefined ? {} : { credentials: deps.credentials }),
    ...(deps.stateFs === undefined ? {} : { stateFs: deps.stateFs }),
  });
  const scrub = createScrubber(config === undefined ? [] : secretsOf(config));
  io.writeOut(scrub(flags.json ? renderJson(report) : renderTable(report)));
  return report.ok ? EXIT_OK : EXIT_FAILURE;
}

/** knownSecretsOf, and the heartbeat's URL when the configuration has one (a dead man's switch URL is a token). */
function secretsOf(config: Config): string[] {
  const heartbeat = (config as { heartbeat?: { url?: unknown } }).heartbeat?.url;
  return [...knownSecretsOf(config), ...(typeof heartbeat === 'string' ? [heartbeat] : [])];
}
