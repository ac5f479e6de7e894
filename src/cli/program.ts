import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { BOUNDS, describeBound, isWithin, type Bound } from '../config/bounds';
import { isHttpUrl, isRegion, LOG_LEVELS, type LogLevel } from '../config/schema';
import { ConfigError, EXIT_CONFIG, EXIT_OK } from '../lib/errors';
import { closestName } from '../lib/did-you-mean';
import type { RulesFlags } from './rules-command';
import { DOCTOR_TIMEOUT, DEFAULT_DOCTOR_TIMEOUT_SECONDS } from '../doctor/deps';
import type { DoctorFlags } from './doctor-command';
import { MAX_DEMO_ACCOUNTS } from '../demo/account-count';
import type { TargetsFlags } from './targets-command';
import { ALL_REGIONS } from '../config/types';
import { LISTEN_EXPECTED, parseListenAddress } from '../observability/listen-address';
import { parseShard } from '../targets/shard';

const NAME = 'cloudtrail-slack';

/** The run command's flags, typed; a flag that was not given is undefined (never a default). */
export interface CliFlags {
  credsProfile?: string;
  regions?: string[];
  stateDir?: string;
  pidFile?: string;
  logFile?: string;
  daemonize?: boolean;
  configFile?: string;
  once?: boolean;
  dryRun?: boolean;
  pollIntervalSeconds?: number;
  logLevel?: LogLevel;
  /** Shorthand for logLevel 'debug'; an explicit --log-level wins. */
  debug?: boolean;
  endpoint?: string;
  shutdownTimeoutSeconds?: number;
  /** `--rules PATH`, repeatable: rule files or folders, added to the config's `rules.paths`. */
  rules?: string[];
  /** `--http host:port` (or a bare port): the HTTP endpoint's address, as given (checked by parseListenAddress). */
  http?: string;
  /** `--shard K/N`: this instance's shard, as typed (checked by the loader: src/config/shard-choice.ts). */
  shard?: string;
}

export interface CliHandlers {
  run(flags: CliFlags): Promise<number>;
  demo?(flags: Record<string, unknown>, args: string[]): Promise<number>;
  replay?(files: string[], flags: Record<string, unknown>): Promise<number>;
  /** `rules lint`; registered (with `rules test`) when given. */
  rulesLint?(flags: RulesFlags): Promise<number>;
  /** `rules test FILE...`. */
  rulesTest?(files: string[], flags: RulesFlags): Promise<number>;
  /** `doctor`: check the setup (src/cli/doctor-command.ts). */
  doctor?(flags: DoctorFlags): Promise<number>;
  /** `targets`: every target and its shard (src/cli/targets-command.ts). */
  targets?(flags: TargetsFlags): Promise<number>;
}

export interface CliIo {
  writeOut(s: string): void;
  writeErr(s: string): void;
}

const defaultIo: CliIo = {
  writeOut: (s) => process.stdout.write(s),
  writeErr: (s) => process.stderr.write(s),
};

// Exit codes set by the action handlers, read back by runCli (buildProgram's signature returns only the Command).
const exitCodes = new WeakMap<Command, number>();
// Which help to point at after a usage error in a subcommand.
const helpHints = new WeakMap<CommanderError, string>();

const HELP_AFTER = `
Environment:
  SLACK_WEBHOOK_URL        the Slack incoming webhook named default (overrides slack.webhookUrl)
  SMTP_URL                 alert mail server, e.g. smtp://user:pass@mail.example.com:587
  ALERT_EMAIL_TO           comma-separated alert recipients; ALERT_EMAIL_FROM the sender
  CLOUDTRAIL_SLACK_CONFIG  config file path (like --config)
  CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT  seconds, like --shutdown-timeout
  CLOUDTRAIL_SLACK_HTTP    the HTTP endpoint's address, like --http
  CLOUDTRAIL_SLACK_HEARTBEAT_URL  the heartbeat's ping URL (like heartbeat.url; a secret)
  CLOUDTRAIL_SLACK_SHARD   this instance's shard K/N, like --shard
  CLOUDTRAIL_SLACK_SHARD_COUNT  the number of shards (like shards.count), with an index from
                           CLOUDTRAIL_SLACK_SHARD_INDEX (Kubernetes: the pod-index label) or NODE_APP_INSTANCE (pm2)
  AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_<SERVICE> (CLOUDTRAIL, STS, ACCOUNT, EC2) and the AWS SDK's credential variables

Exit codes: 0 stopped cleanly or --once succeeded, 1 runtime failure,
  77 a human must act (credentials, permissions, webhook revoked), 78 usage or configuration error.
`;

/** The commander program; parsing it has no side effect besides calling a handler and writing via `io`. */
export function buildProgram(handlers: CliHandlers, io: CliIo = defaultIo): Command {
  const program = new Command(NAME);
  configure(program, io, 'see --help');
  program
    .description("Posts every write event in your AWS accounts' CloudTrail Event history to Slack.")
    .version(readPackageVersion(), '-v, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    // Root options must come before a subcommand, so `demo --once` reaches demo.
    .enablePositionalOptions()
    .option('-c, --creds-profile <name>', 'AWS profile (default: the SDK\'s default chain; it also names the state files)')
    .addOption(
      new Option('-r, --regions <list>', 'comma-separated regions, or all (the regions enabled for the account, re-checked daily; default: every region enabled by default)').argParser(
        parseRegions,
      ),
    )
    .option('-s, --state-dir <dir>', 'folder of the state files (default: ./state)')
    // The Ruby original's name for the same flag.
    .addOption(new Option('--state-file-path <dir>', 'alias of --state-dir').hideHelp().conflicts('stateDir'))
    .option('-p, --pid <file>', 'pid file; refuse to start while a live process holds it')
    .option('-l, --log <file>', 'append JSON logs to this file (reopened on SIGHUP)')
    .option('-d, --daemonize', 'detach into the background')
    .option('--config <file>', 'JSON config file (also CLOUDTRAIL_SLACK_CONFIG)')
    .option('--once', 'one pass over every region, then exit')
    .option('--dry-run', 'print the Slack payloads instead of posting; state is not advanced')
    .addOption(new Option('--poll-interval <seconds>', `pause between polls of a caught-up region (${range(BOUNDS.pollIntervalSeconds)}; default 60)`).argParser(parseWithin(BOUNDS.pollIntervalSeconds)))
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS))
    .option('--debug', 'same as --log-level debug')
    .addOption(new Option('--endpoint <url>', 'CloudTrail endpoint (local simulators)').argParser(parseHttpUrl))
    .addOption(
      new Option('--shutdown-timeout <seconds>', `a graceful stop must finish within this (${range(BOUNDS.shutdownTimeoutSeconds)}; default 10)`).argParser(
        parseWithin(BOUNDS.shutdownTimeoutSeconds),
      ),
    )
    .addOption(rulesOption())
    .addOption(new Option('--http <host:port>', 'serve /metrics, /healthz, /readyz and a status page here (a bare port means 127.0.0.1; default off)').argParser(parseHttpListen))
    .addOption(new Option('--shard <K/N>', 'watch only the targets of shard K of N (counted from 0; every instance must agree on N)').argParser(parseShardFlag))
    .addHelpText('after', HELP_AFTER)
    // The run command takes no operand: a word left over is a command we do not have (named, not "too many
    // arguments").
    .allowExcessArguments()
    .action(async () => {
      const [word] = program.args;
      if (word !== undefined) program.error(unknownCommand(program, word), { code: 'commander.unknownCommand', exitCode: EXIT_CONFIG });
      exitCodes.set(program, await handlers.run(toCliFlags(program.opts())));
    });

  const { demo, replay } = handlers;
  if (demo) {
    const command = program
      .command('demo')
      .description('run against a local simulated CloudTrail and Slack')
      // The root allows a leftover word (to name it as an unknown command); commander copies that setting.
      .allowExcessArguments(false)
      .option('--once', 'one pass, then exit')
      .option('--html <file>', 'also write the messages as an HTML preview')
      .addOption(new Option('--accounts <n>', `watch ${MAX_DEMO_ACCOUNTS} pretend accounts (1 to ${MAX_DEMO_ACCOUNTS}): by role, by profile, and one whose role is refused`).argParser(parseDemoAccounts));
    configure(command, io, `see '${NAME} demo --help'`);
    command.action(async () => {
      exitCodes.set(program, await demo.call(handlers, command.opts(), command.args));
    });
  }
  if (replay) {
    const command = program
      .command('replay')
      .description('CloudTrail events from files through the rules, routes, digests and formatters, as the daemon would post them')
      .allowExcessArguments(false)
      .argument('<files...>', 'event files, folders of them, or - for standard input')
      .option('--post', 'post the messages to Slack')
      .option('--dry-run', 'print the Slack payloads (the default)')
      .option('--html <file>', 'write the messages as an HTML preview')
      .option('--config <file>', 'JSON config file (also CLOUDTRAIL_SLACK_CONFIG): its rules, routes, mutes and digests')
      .addOption(rulesOption())
      .option('--no-builtin', 'leave the built-in rule pack out')
      .option('--webhook <name>', "only the messages for this webhook (a name from the config's slack.webhooks, or default)");
    configure(command, io, `see '${NAME} replay --help'`);
    command.action(async (files: string[]) => {
      exitCodes.set(program, await replay.call(handlers, files, command.opts()));
    });
  }
  addRulesCommands(program, handlers, io);
  addDoctorCommand(program, handlers, io);
  addTargetsCommand(program, handlers, io);
  return program;
}

/** `doctor`: the run command's AWS and config flags that apply (after the word, like any subcommand's), and its own. */
function addDoctorCommand(program: Command, handlers: CliHandlers, io: CliIo): void {
  const { doctor } = handlers;
  if (!doctor) return;
  const command = program
    .command('doctor')
    .description('check the configuration, credentials, permissions, trail, state folder, clock, email and webhooks')
    .allowExcessArguments(false)
    .option('--config <file>', 'JSON config file (also CLOUDTRAIL_SLACK_CONFIG)')
    .option('-c, --creds-profile <name>', 'AWS profile (default: the SDK\'s default chain)')
    .addOption(new Option('-r, --regions <list>', 'comma-separated regions').argParser(parseRegions))
    .option('-s, --state-dir <dir>', 'folder of the state files (default: ./state)')
    .addOption(new Option('--endpoint <url>', 'CloudTrail endpoint (local simulators)').argParser(parseHttpUrl))
    .addOption(new Option('--poll-interval <seconds>', `as the daemon will run (settings checked against it, e.g. stallAlertMinutes)`).argParser(parseWithin(BOUNDS.pollIntervalSeconds)))
    .addOption(new Option('--shard <K/N>', "check only shard K's targets, out of N (as that instance runs)").argParser(parseShardFlag))
    .option('--post-test', 'post one test message to each webhook')
    .option('--verbose', 'one LookupEvents row per account and region, even when it answered (many accounts)')
    .option('--json', 'one JSON document instead of the table (every row, as --verbose)')
    .addOption(
      new Option('--timeout <seconds>', `limit of each check (${range(DOCTOR_TIMEOUT)}; default ${DEFAULT_DOCTOR_TIMEOUT_SECONDS})`).argParser(parseWithin(DOCTOR_TIMEOUT)),
    )
    .addHelpText('after', '\nExit codes: 0 nothing blocks the daemon (warnings allowed), 1 a check failed, 78 usage error.\n');
  configure(command, io, `see '${NAME} doctor --help'`);
  command.action(async () => {
    exitCodes.set(program, await doctor.call(handlers, command.opts<DoctorFlags>()));
  });
}

/** `targets`: the targets (account × region) and the shard owning each; read-only. */
function addTargetsCommand(program: Command, handlers: CliHandlers, io: CliIo): void {
  const { targets } = handlers;
  if (!targets) return;
  const command = program
    .command('targets')
    .description('list every target (account and region) and the shard that owns it')
    .allowExcessArguments(false)
    .option('--config <file>', 'JSON config file (also CLOUDTRAIL_SLACK_CONFIG): its accounts, organization, regions and shards')
    // The daemon's own flags that change which targets exist, parsed the same way, so both list the same targets.
    .option('-c, --creds-profile <name>', "AWS profile (default: the SDK's default chain), as the daemon's -c")
    .addOption(new Option('-r, --regions <list>', "comma-separated regions, or all, as the daemon's -r (default: the config's)").argParser(parseRegions))
    .addOption(new Option('--shard <K/N>', "only shard K's targets, out of N").argParser(parseShardFlag))
    .option('--json', 'one {"account", "region", "shard"} object per line')
    .addHelpText('after', '\nExit codes: 0 listed, 1 the organisation could not be listed, 78 usage or configuration error.\n');
  configure(command, io, `see '${NAME} targets --help'`);
  command.action(async () => {
    exitCodes.set(program, await targets.call(handlers, command.opts<TargetsFlags>()));
  });
}

/** `rules lint` and `rules test`: read-only and offline (src/cli/rules-command.ts). */
function addRulesCommands(program: Command, handlers: CliHandlers, io: CliIo): void {
  const { rulesLint, rulesTest } = handlers;
  if (!rulesLint && !rulesTest) return;
  const rules = program
    .command('rules')
    .description('check rule files, and try the rules, mutes and routes on CloudTrail records (read-only, offline)')
    .allowExcessArguments();
  configure(rules, io, `see '${NAME} rules --help'`);
  // Reached only without a known subcommand: name what is missing or unknown (commander would print the help).
  rules.action(() => {
    const [word] = rules.args;
    const message = word === undefined ? "missing command: 'rules lint' or 'rules test'" : unknownCommand(rules, word);
    rules.error(message, { code: 'commander.unknownCommand', exitCode: EXIT_CONFIG });
  });
  const common = (command: Command) =>
    command
      .allowExcessArguments(false)
      .addOption(rulesOption())
      .option('--config <file>', 'JSON config file (also CLOUDTRAIL_SLACK_CONFIG): its rules, routes and mutes')
      .option('--json', 'one JSON object per line');
  if (rulesLint) {
    const lint = common(rules.command('lint').description('load every rule file; one line each, loaded or why it was refused'));
    configure(lint, io, `see '${NAME} rules lint --help'`);
    lint.action(async () => {
      exitCodes.set(program, await rulesLint.call(handlers, lint.opts<RulesFlags>()));
    });
  }
  if (rulesTest) {
    const test = common(
      rules
        .command('test')
        .description('run every record of the files through the rules, mutes and routes')
        .argument('<files...>', 'CloudTrail log files, JSON lines, lookup-events output, folders of them, or - for standard input'),
    ).option('--no-builtin', 'leave the built-in rule pack out');
    configure(test, io, `see '${NAME} rules test --help'`);
    test.action(async (files: string[]) => {
      exitCodes.set(program, await rulesTest.call(handlers, files, test.opts<RulesFlags>()));
    });
  }
}

/**
 * Parses `argv` (the user's arguments: process.argv.slice(2)) and runs a handler; resolves to the exit code.
 * Usage errors and ConfigErrors print one line on stderr and give EXIT_CONFIG; other errors are rethrown.
 */
export async function runCli(argv: string[], handlers: CliHandlers, io: CliIo = defaultIo): Promise<number> {
  const program = buildProgram(handlers, io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCodes.get(program) ?? EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT_OK; // --help, --version
      io.writeErr(`${NAME}: ${toOneLine(error.message)}; ${helpHints.get(error) ?? 'see --help'}\n`);
      return EXIT_CONFIG;
    }
    if (error instanceof ConfigError) {
      io.writeErr(`${NAME}: ${toOneLine(error.message)}\n`);
      return EXIT_CONFIG;
    }
    throw error;
  }
}

function configure(command: Command, io: CliIo, helpHint: string): void {
  command
    // commander's own error output is replaced by runCli's single line
    .configureOutput({ writeOut: io.writeOut, writeErr: io.writeErr, outputError: () => undefined })
    .exitOverride((error) => {
      helpHints.set(error, helpHint);
      throw error;
    });
}

/** "unknown command 'replya' (did you mean 'replay'?)"; a region name gets a hint about -r instead. */
function unknownCommand(program: Command, word: string): string {
  if (isRegion(word) && program.parent === null) return `unknown command '${word}' (regions go with -r: -r ${word})`;
  const known = program.commands.map((command) => command.name());
  if (known.length > 0) known.push('help'); // commander's implicit `help <command>`
  const suggestion = closestName(word, known);
  return `unknown command '${word}'${suggestion === undefined ? '' : ` (did you mean '${suggestion}'?)`}`;
}

/** "error: unknown option '--x'\n(Did you mean --y?)" → "unknown option '--x' (did you mean --y?)" */
function toOneLine(message: string): string {
  return message
    .replace(/^error: /, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => line.replace(/^\(Did you mean/, '(did you mean'))
    .join(' ')
    .replace(/\.$/, '');
}

function toCliFlags(opts: Record<string, unknown>): CliFlags {
  return {
    credsProfile: opts.credsProfile as string | undefined,
    regions: opts.regions as string[] | undefined,
    stateDir: (opts.stateDir ?? opts.stateFilePath) as string | undefined,
    pidFile: opts.pid as string | undefined,
    logFile: opts.log as string | undefined,
    daemonize: opts.daemonize as boolean | undefined,
    configFile: opts.config as string | undefined,
    once: opts.once as boolean | undefined,
    dryRun: opts.dryRun as boolean | undefined,
    pollIntervalSeconds: opts.pollInterval as number | undefined,
    logLevel: opts.logLevel as LogLevel | undefined,
    debug: opts.debug as boolean | undefined,
    endpoint: opts.endpoint as string | undefined,
    shutdownTimeoutSeconds: opts.shutdownTimeout as number | undefined,
    rules: opts.rules as string[] | undefined,
    http: opts.http as string | undefined,
    shard: opts.shard as string | undefined,
  };
}

/** `us-east-1, eu-west-1` → ['us-east-1', 'eu-west-1']; repeated -r flags add up; duplicates dropped. */
export function parseRegions(value: string, previous: string[] | undefined = []): string[] {
  const regions = value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  // `-r all`: the regions enabled for the account, discovered at start and daily (config.discoverRegions).
  if (regions.includes(ALL_REGIONS)) {
    if (regions.length > 1 || previous.length > 0) throw new InvalidArgumentError("'all' stands alone: -r all, or a list of region names.");
    return [ALL_REGIONS];
  }
  if (previous.includes(ALL_REGIONS)) throw new InvalidArgumentError("'all' stands alone: -r all, or a list of region names.");
  if (regions.length === 0) throw new InvalidArgumentError('Expected comma-separated region names like us-east-1,eu-west-1.');
  const bad = regions.find((region) => !isRegion(region));
  if (bad !== undefined) throw new InvalidArgumentError(`'${bad}' is not a region name like us-east-1.`);
  return [...new Set([...previous, ...regions])];
}

/** `--rules PATH`, repeatable: each one adds to the list (commander's way: an argParser with the previous value). */
function rulesOption(): Option {
  return new Option('--rules <path>', 'a Sigma rule file or a folder of .yml/.yaml rules (repeatable; adds to rules.paths)').argParser(
    (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
  );
}

/** "1 to 86400" */
function range(bound: Bound): string {
  return `${bound.min} to ${bound.max}`;
}

/** A decimal number inside `bound` (the same bounds the loader checks for the config file's keys). */
function parseWithin(bound: Bound): (value: string) => number {
  return (value) => {
    const number = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
    if (!isWithin(bound, number)) throw new InvalidArgumentError(`Expected ${describeBound(bound)}.`);
    return number;
  };
}

/** `--shard K/N`, checked here for a usage error naming the flag; the loader reads the text again (parseShard). */
function parseShardFlag(value: string): string {
  const parsed = parseShard(value);
  if (typeof parsed === 'string') throw new InvalidArgumentError(`${parsed[0]!.toUpperCase()}${parsed.slice(1)}.`);
  return value;
}

function parseHttpListen(value: string): string {
  if (parseListenAddress(value) === undefined) throw new InvalidArgumentError(`Expected ${LISTEN_EXPECTED}.`);
  return value;
}

function parseHttpUrl(value: string): string {
  if (!isHttpUrl(value)) throw new InvalidArgumentError('Expected an http(s) URL like http://127.0.0.1:4566.');
  return value;
}

function readPackageVersion(): string {
  // src/cli/program.ts (tsx) and dist/cli/program.js (compiled) both sit two levels below package.json.
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

/** `demo --accounts N`: 1 to MAX_DEMO_ACCOUNTS (src/demo/accounts.ts). */
function parseDemoAccounts(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > MAX_DEMO_ACCOUNTS) throw new InvalidArgumentError(`expected 1 to ${MAX_DEMO_ACCOUNTS}.`);
  return n;
}
