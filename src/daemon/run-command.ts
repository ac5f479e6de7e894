import type { CliFlags, CliIo } from '../cli/program';
import { knownSecretsOf } from '../alerts/scrub';
import { loadConfig, type LoadConfigInput } from '../config/load';
import type { Config } from '../config/types';
import { systemClock } from '../lib/clock';
import { startLongTimer } from '../lib/timers';
import { ConfigError, EXIT_CONFIG, EXIT_FAILURE } from '../lib/errors';
import { createLogger, type Logger } from '../logging/logger';
import { openLogOutput } from '../logging/log-output';
import { toChildArgs } from './child-args';
import { alertOnCrash } from './crash-alert';
import { sendConfigAlert } from './config-alert';
import { daemonize, READY, tellParent, type ParentLink } from './daemonize';
import { PidFileError } from './pid-file';
import { runDaemon } from './run-daemon';
import { stsRegionFor, whoAmI } from '../aws/identity';
import { listEnabledRegions } from '../aws/regions';
import { createOrganizationsClient } from '../aws/clients';
import { listActiveAccounts } from '../aws/organizations';

/** The real process, as far as the run command needs it (its signals, its 'exit', its IPC link to a parent). */
export type Proc = NodeJS.Process & ParentLink;

/**
 * The `run` command: flags → config (validated before any network call) → -d: spawn and wait for the child, or →
 * log output → daemon → exit code. A ConfigError prints one line, emails when it can, and gives 78.
 */
export async function runCommand(flags: CliFlags, io: CliIo, proc: Proc = process): Promise<number> {
  const input: LoadConfigInput = { flags, env: proc.env };
  try {
    const config = loadConfig(input);
    if (config.daemonize) return await startInBackground(flags, config, io, proc);
    return await runInForeground(config, io, proc);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The reason first: the email is best effort and may take a few seconds.
    io.writeErr(`cloudtrail-slack: ${error.message}\n`);
    await sendConfigAlert(error, input);
    return EXIT_CONFIG;
  }
}

async function startInBackground(flags: CliFlags, config: Config, io: CliIo, proc: Proc): Promise<number> {
  // Under pm2 (which talks to us over IPC) a detached child would escape it, and our exit 0 would make pm2 start
  // another one, and another: a 78 stops that at once.
  if (proc.connected) {
    throw new ConfigError('--daemonize: this process is supervised (pm2 or another parent holds an IPC channel); remove -d and let the supervisor keep it running');
  }
  return daemonize({
    execPath: proc.execPath,
    // `--import tsx` when run from source; nothing from bin/cloudtrail-slack.
    execArgv: proc.execArgv,
    script: proc.argv[1] ?? '',
    args: toChildArgs(flags, config, proc.cwd()),
    cwd: proc.cwd(),
    env: proc.env,
    logFile: config.logFile,
    writeErr: io.writeErr,
  });
}

async function runInForeground(config: Config, io: CliIo, proc: Proc): Promise<number> {
  // --dry-run prints payloads on stdout, so its logs go to stderr to keep stdout parseable.
  const output = openLogOutput({ file: config.logFile, fd: config.dryRun ? 2 : 1 });
  const log = createLogger({ level: config.logLevel, destination: output.destination, secrets: knownSecretsOf(config) });
  // An uncaught exception: the stack on stderr, a fatal log line, one alert email, exit 1 ('exit' handlers still
  // run: the pid file goes).
  alertOnCrash(config, log, proc);
  let code: number;
  try {
    code = await runDaemon(config, {
      clock: systemClock,
      log,
      proc,
      writeOut: (line) => proc.stdout.write(line),
      reopenLogs: output.file === undefined ? undefined : output.reopen,
      notifyReady: () => tellParent(proc, READY),
      reportFailure: (line) => io.writeErr(`cloudtrail-slack: ${line}\n`),
      // STS with the daemon's own credentials, signed for the first region (K.2); AWS_ENDPOINT_URL_STS honoured.
      whoAmI: (signal) => whoAmI({ region: stsRegionFor(config.regions), profile: config.profile }, signal),
      // -r all: account:ListRegions, else ec2:DescribeRegions (K.7); at start and daily (src/lifecycle/).
      discoverRegions: config.discoverRegions
        ? (signal) => listEnabledRegions({ region: stsRegionFor(config.regions), profile: config.profile }, signal)
        : undefined,
      // Config `organization`: ListAccounts with the base credentials (K.6: global endpoint; AWS_ENDPOINT_URL_ORGANIZATIONS
      // honoured), at start and hourly. Accounts' credentials and checks: the daemon's defaults (src/targets/many-accounts.ts).
      listAccounts: config.organization === undefined ? undefined : async (signal) => {
        const client = createOrganizationsClient({ region: stsRegionFor(config.regions), profile: config.profile });
        try {
          return await listActiveAccounts(client, signal);
        } finally {
          client.destroy();
        }
      },
    });
  } catch (error) {
    if (!(error instanceof PidFileError)) throw error;
    log.error({ err: error }, 'cannot start');
    io.writeErr(`cloudtrail-slack: ${error.message}\n`);
    // Another live instance is a runtime condition (1: pm2 may retry); a pid path we cannot use is configuration
    // (78: no restart loop), like an unusable --log.
    return error.holderPid === undefined ? EXIT_CONFIG : EXIT_FAILURE;
  }
  exitIfStuck(code, config.shutdownTimeoutSeconds * 1000, log, proc);
  return code;
}

/**
 * The daemon is done and everything it opened is closed, so the event loop should drain now. If something still
 * holds it (a socket nobody closed), leave anyway rather than hang until pm2's SIGKILL. unref(): a drained loop
 * exits without waiting for this timer.
 */
function exitIfStuck(code: number, ms: number, log: Logger, proc: Proc): void {
  startLongTimer(
    ms,
    () => {
      log.warn({ timeoutMs: ms, code }, 'still busy after the daemon stopped; exiting now');
      proc.exit(code);
    },
    { unref: true },
  );
}
