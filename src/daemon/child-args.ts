import { resolve } from 'node:path';
import type { CliFlags } from '../cli/program';
import type { Config } from '../config/types';

type Writers = { [K in keyof Required<CliFlags>]: (value: NonNullable<CliFlags[K]>) => string[] };

// `--flag=value`: a value that starts with '-' can never be read as a flag.
const valued = (flag: string) => (value: string | number) => [`${flag}=${value}`];
const bool = (flag: string) => (value: boolean) => (value ? [flag] : []);

/** Every CliFlags key must be listed (the type says so): a new flag cannot be silently dropped by -d. */
const WRITERS: Writers = {
  credsProfile: valued('--creds-profile'),
  regions: (regions) => [`--regions=${regions.join(',')}`],
  stateDir: valued('--state-dir'),
  pidFile: valued('--pid'),
  logFile: valued('--log'),
  // The child is the daemon: it must not detach again.
  daemonize: () => [],
  configFile: valued('--config'),
  once: bool('--once'),
  dryRun: bool('--dry-run'),
  pollIntervalSeconds: valued('--poll-interval'),
  logLevel: valued('--log-level'),
  debug: bool('--debug'),
  endpoint: valued('--endpoint'),
  shutdownTimeoutSeconds: valued('--shutdown-timeout'),
  rules: (paths) => paths.flatMap(valued('--rules')),
  http: valued('--http'),
  shard: valued('--shard'),
};

/**
 * The background child's arguments: the same flags minus -d, with every path absolute (the config file and the
 * --rules paths as given, the state folder, log and pid files as loadConfig resolved them, whether they came from a
 * flag or the file).
 */
export function toChildArgs(flags: CliFlags, config: Config, cwd: string): string[] {
  const absolute: CliFlags = {
    ...flags,
    daemonize: undefined,
    configFile: flags.configFile === undefined ? undefined : resolve(cwd, flags.configFile),
    rules: flags.rules?.map((path) => resolve(cwd, path)),
    stateDir: config.stateDir,
    logFile: config.logFile,
    pidFile: config.pidFile,
  };
  return (Object.keys(WRITERS) as Array<keyof CliFlags>).flatMap((key) => {
    const value = absolute[key];
    return value === undefined ? [] : (WRITERS[key] as (v: unknown) => string[])(value);
  });
}
