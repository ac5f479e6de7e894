import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pino from 'pino';
import { formatWithFallback } from '../cloudtrail/deliver';
import { loadConfig } from '../config/load';
import { isInsightRecord } from '../events/insight';
import type { TrailEvent } from '../events/types';
import { systemClock, type Clock } from '../lib/clock';
import { ConfigError, EXIT_CONFIG, EXIT_FAILURE, EXIT_FATAL, EXIT_OK } from '../lib/errors';
import { createLogger, type Logger } from '../logging/logger';
import { renderHtmlPage } from '../preview/html';
import { createEventFilter } from '../rules/filter';
import { neutraliseControls } from '../slack/escape';
import { formatEventMessage, formatPlainMessage } from '../slack/format';
import { unnamedParts } from '../slack/format-unnamed';
import type { SlackMessage } from '../slack/types';
import { expandInputs, readInput } from './inputs';
import { postMessages } from './post';
import { formatProblem, type ReplayProblem } from './read';

/**
 * `cloudtrail-slack replay <files, folders or ->`: CloudTrail events from files (a folder: every file in it that
 * looks like CloudTrail data, see inputs.ts; `-`: standard input) through the daemon's own filter and formatter. Prints the payloads as JSON lines (--dry-run, the default), posts them paced like the daemon
 * (--post), and/or writes the HTML preview (--html). Events go oldest first; an event ID seen twice goes once.
 * Exit code: 0 when every file was read cleanly (and every post accepted), 1 when any file, line or record was
 * bad or a message was refused (a record with nothing to describe is skipped and counted, not a problem), 77 when Slack refused the webhook itself, 78 for a usage or config error.
 * Every stderr line goes through `say`, which makes control and bidi characters from event data or Slack's
 * answers inert: an event ID must not be able to drive the terminal.
 */

export interface ReplayOptions {
  post?: boolean;
  dryRun?: boolean;
  html?: string;
  config?: string;
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

interface Tally {
  records: number;
  readOnly: number;
  excluded: number;
  duplicates: number;
  /** Records with nothing to describe (no eventName, eventType, eventSource or insightDetails). */
  skipped: number;
}

const SKIPPED_REASON = 'no eventName, eventType, eventSource or insightDetails';

export async function runReplay(args: readonly string[], options: ReplayOptions, deps: ReplayDeps): Promise<number> {
  if (options.post && options.dryRun) throw new ConfigError('replay: --post and --dry-run contradict each other; choose one');
  const cwd = deps.cwd ?? process.cwd();
  // Without --post nothing is sent, so no webhook is needed (dryRun); --config adds its exclusions either way.
  const config = loadConfig({ flags: { configFile: options.config, dryRun: !options.post }, env: deps.env, cwd });
  // Replay does not route: --post sends everything to `default`, which named webhooks with a catch-all route lack.
  const webhookUrl = config.slack.webhookUrl;
  if (options.post && webhookUrl === undefined) {
    throw new ConfigError(
      'replay --post posts every message to the webhook named default: set SLACK_WEBHOOK_URL, or slack.webhookUrl or slack.webhooks.default in the config file',
    );
  }
  const dryRun = options.dryRun === true || (!options.post && options.html === undefined);

  const say = (line: string) => deps.writeErr(`cloudtrail-slack replay: ${neutraliseControls(line)}\n`);

  const expanded = expandInputs(args, cwd);
  const problems: ReplayProblem[] = [...expanded.problems];
  const tally: Tally = { records: 0, readOnly: 0, excluded: 0, duplicates: 0, skipped: 0 };
  const events: TrailEvent[] = [];
  for (const input of expanded.inputs) {
    try {
      const read = await readInput(input, deps);
      problems.push(...read.problems);
      tally.records += read.records;
      events.push(...read.events);
    } catch (error) {
      // readEventFile reports what it can; anything else is still this input's problem, not the run's.
      const why = error instanceof Error ? error.message : String(error);
      problems.push({ file: input.name, message: `could not be read (${why}): check the file, or split it into smaller ones` });
    }
  }
  for (const note of expanded.notes) say(note);
  for (const problem of problems) say(formatProblem(problem));

  const messages = selectMessages(events, config.exclude, tally, problems, config.consoleDomain);
  if (dryRun) for (const { message } of messages) deps.writeOut(`${JSON.stringify(message)}\n`);
  if (options.html !== undefined) {
    const subtitle = `cloudtrail-slack replay of ${args.length} input${args.length === 1 ? '' : 's'}`;
    const page = renderHtmlPage(messages.map((m) => m.message), { subtitle });
    const path = resolve(cwd, options.html);
    try {
      writeFileSync(path, page);
    } catch (error) {
      say(`--html ${options.html}: cannot write the page (${(error as NodeJS.ErrnoException).code ?? String(error)}); choose a writable path`);
      return EXIT_CONFIG;
    }
    say(`wrote the HTML preview of ${messages.length} message(s) to ${path}`);
  }
  let rejected = 0;
  if (options.post && webhookUrl !== undefined) {
    const log = deps.log ?? createLogger({ level: 'warn', destination: pino.destination({ dest: 2, sync: true }) });
    const posted = await postMessages(messages, {
      webhookUrl,
      perSecond: config.slackMessagesPerSecond,
      clock: deps.clock ?? systemClock,
      log,
      fetch: deps.fetch,
      say,
    });
    if (posted === 'refused') return EXIT_FATAL;
    rejected = posted;
  }

  const verb = options.post ? 'posted' : dryRun ? 'printed' : 'rendered';
  const problemCount = problems.reduce((sum, p) => sum + (p.count ?? 1), 0) + rejected;
  say(
    `${expanded.inputs.length} file(s), ${tally.records} record(s): ${messages.length - rejected} ${verb}, ` +
      `${tally.readOnly} read-only, ${tally.excluded} excluded, ${tally.duplicates} duplicate(s)` +
      `${tally.skipped > 0 ? `, ${tally.skipped} skipped (${SKIPPED_REASON})` : ''}` +
      `${problemCount > 0 ? `, ${problemCount} problem(s)` : ''}`,
  );
  return problems.length > 0 || rejected > 0 ? EXIT_FAILURE : EXIT_OK;
}

/** The daemon's formatters, linking to the configured console; no log, so nothing but `say` reaches stderr. */
function formattersFor(consoleDomain: string | undefined) {
  return { format: (event: TrailEvent) => formatEventMessage(event, { consoleDomain }), formatPlain: formatPlainMessage };
}

/** A record that says nothing we could describe: not an Insight, and no name, type, category or source. */
function hasNothingToDescribe(event: TrailEvent): boolean {
  return event.name === '' && !isInsightRecord(event.record) && Object.keys(unnamedParts(event)).length === 0;
}

/**
 * Oldest first (stable, so file order breaks ties), each ID once, through the daemon's filter and formatter. An
 * event that cannot be formatted at all is a problem (the daemon records it as undeliverable), not a crash.
 */
function selectMessages(
  events: TrailEvent[],
  exclude: Parameters<typeof createEventFilter>[0],
  tally: Tally,
  problems: ReplayProblem[],
  consoleDomain: string | undefined,
) {
  const formatters = formattersFor(consoleDomain);
  const filter = createEventFilter(exclude);
  const seen = new Set<string>();
  const out: Array<{ event: TrailEvent; message: SlackMessage }> = [];
  for (const event of [...events].sort((a, b) => a.time - b.time)) {
    if (seen.has(event.id)) {
      tally.duplicates += 1;
      continue;
    }
    seen.add(event.id);
    if (hasNothingToDescribe(event)) {
      tally.skipped += 1;
      continue;
    }
    const verdict = filter(event);
    if (!verdict.post) {
      if (event.readOnly === true) tally.readOnly += 1;
      else tally.excluded += 1;
      continue;
    }
    try {
      // As the daemon does: a formatter bug must not lose the event, so the plain version if the rich one throws.
      out.push({ event, message: formatWithFallback(formatters, event) });
    } catch (error) {
      problems.push({ file: `event ${event.id}`, message: `could not be formatted (${error instanceof Error ? error.name : typeof error})` });
    }
  }
  return out;
}

/** The CLI handler: real environment and streams. */
export function runReplayCommand(files: string[], flags: Record<string, unknown>): Promise<number> {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return runReplay(
    files,
    { post: flags.post === true, dryRun: flags.dryRun === true, html: text(flags.html), config: text(flags.config) },
    { env: process.env, writeOut: (s) => void process.stdout.write(s), writeErr: (s) => void process.stderr.write(s) },
  );
}
