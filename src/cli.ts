import { runCli, type CliFlags, type CliHandlers, type CliIo } from './cli/program';
import { runCommand as runDaemonCommand } from './daemon/run-command';
import { forwardStderrLine } from './daemon/daemonize';
import { runDemoCommand } from './demo/command';
import { runReplayCommand } from './replay/command';
import { scrubSecrets } from './alerts/scrub';
import { runRulesLintCommand, runRulesTestCommand } from './cli/rules-command';
import { runDoctorCommand, type DoctorFlags } from './cli/doctor-command';
import { runTargetsCommand } from './cli/targets-command';
import { listOrganizationAccounts } from './cli/organization-accounts';

/** stdout and stderr; a stderr line also reaches a -d parent still waiting for us to start (it prints it). */
const io: CliIo = {
  writeOut: (s) => process.stdout.write(s),
  writeErr: (s) => {
    process.stderr.write(s);
    forwardStderrLine(process, s);
  },
};

/** The `run` command: flags → config → (-d: a background child) → daemon → exit code. */
async function runCommand(flags: CliFlags): Promise<number> {
  return runDaemonCommand(flags, io);
}

export const handlers: CliHandlers = {
  run: runCommand,
  demo: runDemoCommand,
  replay: runReplayCommand,
  rulesLint: runRulesLintCommand,
  rulesTest: runRulesTestCommand,
  doctor: runDoctor,
  targets: (flags) => runTargetsCommand(flags, io, { env: process.env, listOrganizationAccounts }),
};

/**
 * `doctor`: its checks are bounded, and whatever they opened is closed; should a socket still hold the event loop
 * once the answer is printed, leave anyway (unref: a drained loop exits at once, without this timer).
 */
async function runDoctor(flags: DoctorFlags): Promise<number> {
  const code = await runDoctorCommand(flags, io);
  setTimeout(() => process.exit(code), 2000).unref();
  return code;
}

/** Entry point used by bin/cloudtrail-slack. Sets process.exitCode and lets the event loop drain. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  // `--dry-run | head`: a reader that went away ends the run quietly, as Unix tools do, instead of a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(0);
  });
  try {
    process.exitCode = await runCli(argv, handlers, io);
  } catch (error) {
    // No config here to know secrets by value: the scrubber's patterns still mask webhook URLs and keys.
    io.writeErr(`cloudtrail-slack: ${scrubSecrets(String((error as Error)?.message ?? error))}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
