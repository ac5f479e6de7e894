import { loadConfig } from './config/load';
import { runCli, type CliFlags, type CliHandlers } from './cli/program';
import { createLogger } from './logging/logger';
import { systemClock } from './lib/clock';
import { runDaemon } from './daemon/run-daemon';
import pino from 'pino';

/** The `run` command: flags → config (validated before any network call) → daemon → exit code. */
async function runCommand(flags: CliFlags): Promise<number> {
  const config = loadConfig({ flags, env: process.env });
  // --dry-run prints payloads on stdout, so its logs go to stderr to keep stdout parseable.
  const log = createLogger({ level: config.logLevel, destination: pino.destination({ dest: config.dryRun ? 2 : 1, sync: true }) });
  return runDaemon(config, {
    clock: systemClock,
    log,
    proc: process,
    writeOut: (line) => process.stdout.write(line),
  });
}

export const handlers: CliHandlers = { run: runCommand };

/** Entry point used by bin/cloudtrail-slack. Sets process.exitCode and lets the event loop drain. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  try {
    process.exitCode = await runCli(argv, handlers);
  } catch (error) {
    process.stderr.write(`cloudtrail-slack: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
