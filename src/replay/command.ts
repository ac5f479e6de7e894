import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pino from 'pino';
import { displayPath } from '../cli/rules-output';
import { loadConfig } from '../config/load';
import type { Config } from '../config/types';
import type { TrailEvent } from '../events/types';
import { systemClock, type Clock } from '../lib/clock';
import { ConfigError, EXIT_CONFIG, EXIT_FAILURE, EXIT_FATAL, EXIT_OK } from '../lib/errors';
import { createLogger, type Logger } from '../logging/logger';
import { digestOptionsOf } from '../pipeline/digest-options';
import { renderHtmlGroups } from '../preview/html';
import { buildDecider } from '../rules/build-decider';
import { loadRuleSet } from '../rules/load-rule-set';
import { DEFAULT_WEBHOOK } from '../rules/routes';
import { neutraliseControls } from '../slack/escape';
import { expandInputs, readInput } from './inputs';
import { buildMessages, type ReplayMessage } from './messages';
import { postMessages } from './post';
import { formatProblem, type ReplayProblem } from './read';
import { emptyTally, groupByWebhook, selectItems } from './select';
import { describeRun } from './summary';

/**
 * `cloudtrail-slack replay <files, folders or ->`: CloudTrail events from files (a folder: every file in it that
 * looks like CloudTrail data, see inputs.ts; `-`: standard input) through the daemon's own pipeline: read-only
 * events skipped, then the rules, mutes and routes (loadRuleSet + buildDecider), then per webhook the planner
 * (single messages and digests, as the daemon's queue plans a backlog) and the formatters. Prints the payloads as
 * JSON lines, one Slack payload per line (--dry-run, the default), posts them to their webhooks paced like the
 * daemon (--post), and/or writes the HTML preview (--html). With messages for several webhooks, each webhook's
 * messages come as one run, announced by a stderr line; `--webhook NAME` keeps one webhook's.
 * Exit code: 0 when every input and rule file was read cleanly (and every post accepted); 1 when any file, line,
 * record or rule file was bad or a message was rejected (a record with nothing to describe is skipped and counted,
 * not a problem); 77 when Slack refused a webhook itself; 78 for a usage or config error.
 * Every stderr line goes through `say`, which makes control and bidi characters from event data, rule files or
 * Slack's answers inert: an event ID must not be able to drive the terminal.
 */

export interface ReplayOptions {
  post?: boolean;
  dryRun?: boolean;
  html?: string;
  config?: string;
  /** `--rules PATH`, repeatable: added to the config's `rules.paths`. */
  rules?: string[];
  /** false from `--no-builtin`; otherwise the config's `rules.builtin` decides. */
  builtin?: boolean;
  /** `--webhook NAME`: only the messages for this webhook. */
  webhook?: string;
}

export interface ReplayDeps {
  env: Record<string, string | undefined>;
  writeOut(text: string): void;
  writeErr(text: string): void;
  clock?: Clock;
  fetch?: typeof fetch;
  log?: Logger;
  cwd?: string;
  /** Bytes one file may hold, on disk and once gunzipped (tests lower it); default read.ts's MAX_FILE_BYTES. */
  maxFileBytes?: number;
  /** What `-` reads; default process.stdin. */
  stdin?: AsyncIterable<unknown> & { isTTY?: boolean };
}

export async function runReplay(args: readonly string[], options: ReplayOptions, deps: ReplayDeps): Promise<number> {
  if (options.post && options.dryRun) throw new ConfigError('replay: --post and --dry-run contradict each other; choose one');
  const cwd = deps.cwd ?? process.cwd();
  // Without --post nothing is sent, so no webhook URL is needed (dryRun); --config adds its rules, routes and mutes.
  const config = loadConfig({ flags: { configFile: options.config, rules: options.rules, dryRun: !options.post }, env: deps.env, cwd });
  const known = [...new Set([DEFAULT_WEBHOOK, ...Object.keys(config.slack.webhooks)])];
  if (options.webhook !== undefined && !known.includes(options.webhook)) {
    throw new ConfigError(`replay --webhook ${JSON.stringify(options.webhook)}: no webhook of that name; the config names ${known.join(', ')}`);
  }
  const dryRun = options.dryRun === true || (!options.post && options.html === undefined);
  const say = (line: string) => deps.writeErr(`cloudtrail-slack replay: ${neutraliseControls(line)}\n`);

  const ruleSet = await loadRuleSet(options.builtin === false ? { ...config.rules, builtin: false } : config.rules);
  const problems: ReplayProblem[] = ruleSet.errors.map((error) => ({ file: displayPath(error.file, cwd), message: error.error }));
  const expanded = expandInputs(args, cwd);
  problems.push(...expanded.problems);
  let records = 0;
  const events: TrailEvent[] = [];
  for (const input of expanded.inputs) {
    try {
      const read = await readInput(input, deps);
      problems.push(...read.problems);
      records += read.records;
      events.push(...read.events);
    } catch (error) {
      // readEventFile reports what it can; anything else is still this input's problem, not the run's.
      const why = error instanceof Error ? error.message : String(error);
      problems.push({ file: input.name, message: `could not be read (${why}): check the file, or split it into smaller ones` });
    }
  }
  for (const note of expanded.notes) say(note);
  for (const problem of problems) say(formatProblem(problem));

  const decide = buildDecider(config, ruleSet.index, (error, event) => {
    const problem = { file: `event ${event.id}`, message: `the rules failed on it (${error instanceof Error ? error.name : typeof error}); it matches none` };
    problems.push(problem);
    say(formatProblem(problem));
  });
  const tally = emptyTally();
  const routed = groupByWebhook(selectItems(events, decide, tally), Object.keys(config.slack.webhooks));
  const formatProblems: ReplayProblem[] = [];
  const groups: Array<{ webhook: string; messages: ReplayMessage[] }> = [];
  let otherItems = 0;
  for (const [webhook, items] of routed) {
    if (options.webhook !== undefined && webhook !== options.webhook) {
      otherItems += items.length;
      continue;
    }
    const messages = buildMessages(webhook, items, { digest: digestOptionsOf(config), consoleDomain: config.consoleDomain }, formatProblems);
    if (messages.length > 0) groups.push({ webhook, messages });
  }
  for (const problem of formatProblems) say(formatProblem(problem));
  problems.push(...formatProblems);
  const several = groups.length > 1;
  const labelOf = (webhook: string) => (several ? `webhook ${webhook}: ` : '');

  if (dryRun) {
    for (const { webhook, messages } of groups) {
      if (several) say(`${labelOf(webhook)}${messages.length} message(s) follow on stdout`);
      for (const { message } of messages) deps.writeOut(`${JSON.stringify(message)}\n`);
    }
  }
  if (options.html !== undefined) {
    const subtitle = `cloudtrail-slack replay of ${args.length} input${args.length === 1 ? '' : 's'}`;
    const page = renderHtmlGroups(
      groups.map(({ webhook, messages }) => ({ heading: several ? `webhook ${webhook}` : '', payloads: messages.map((m) => m.message) })),
      { subtitle },
    );
    const path = resolve(cwd, options.html);
    try {
      writeFileSync(path, page);
    } catch (error) {
      say(`--html ${options.html}: cannot write the page (${(error as NodeJS.ErrnoException).code ?? String(error)}); choose a writable path`);
      return EXIT_CONFIG;
    }
    say(`wrote the HTML preview of ${groups.reduce((n, g) => n + g.messages.length, 0)} message(s) to ${path}`);
  }

  let delivered = groups.map((g) => g.messages);
  let rejected = 0;
  let refused = false;
  if (options.post) {
    const missing = groups.find((g) => config.slack.webhooks[g.webhook] === undefined);
    if (missing !== undefined) {
      throw new ConfigError(`replay --post: events go to the webhook named ${missing.webhook}, which has no URL: set it in the config file's slack.webhooks`);
    }
    const log = deps.log ?? createLogger({ level: 'warn', destination: pino.destination({ dest: 2, sync: true }) });
    const results = await Promise.all(
      groups.map(({ webhook, messages }) =>
        postMessages(messages, {
          webhookUrl: config.slack.webhooks[webhook] as string,
          perSecond: config.slackMessagesPerSecond,
          clock: deps.clock ?? systemClock,
          log,
          fetch: deps.fetch,
          say,
          label: labelOf(webhook),
        }),
      ),
    );
    delivered = results.map((r) => r.accepted);
    rejected = results.reduce((n, r) => n + r.rejected, 0);
    refused = results.some((r) => r.refused);
  }

  const verb = options.post ? 'posted' : dryRun ? 'printed' : 'rendered';
  const problemCount = problems.reduce((sum, p) => sum + (p.count ?? 1), 0) + rejected;
  say(describeRun({ files: expanded.inputs.length, records, verb, delivered: delivered.flat(), webhooks: delivered.filter((list) => list.length > 0).length, tally, otherItems, problems: problemCount }));
  if (refused) return EXIT_FATAL;
  return problemCount > 0 ? EXIT_FAILURE : EXIT_OK;
}

/** The CLI handler: real environment and streams. */
export function runReplayCommand(files: string[], flags: Record<string, unknown>): Promise<number> {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const list = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined);
  return runReplay(
    files,
    {
      post: flags.post === true,
      dryRun: flags.dryRun === true,
      html: text(flags.html),
      config: text(flags.config),
      rules: list(flags.rules),
      builtin: flags.builtin === false ? false : undefined,
      webhook: text(flags.webhook),
    },
    { env: process.env, writeOut: (s) => void process.stdout.write(s), writeErr: (s) => void process.stderr.write(s) },
  );
}
