import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pino from 'pino';
import { formatWithFallback, postWithFallback } from '../cloudtrail/deliver';
import { loadConfig } from '../config/load';
import type { TrailEvent } from '../events/types';
import { systemClock, type Clock } from '../lib/clock';
import { ConfigError, EXIT_CONFIG, EXIT_FAILURE, EXIT_FATAL, EXIT_OK, FatalError } from '../lib/errors';
import { createLogger, type Logger } from '../logging/logger';
import { renderHtmlPage } from '../preview/html';
import { createEventFilter } from '../rules/filter';
import { neutraliseControls } from '../slack/escape';
import { formatEventMessage, formatPlainMessage } from '../slack/format';
import { createSlackSender } from '../slack/sender';
import type { SlackMessage } from '../slack/types';
import { formatProblem, readEventFile, type ReplayProblem } from './read';

/**
 * `cloudtrail-slack replay <files…>`: CloudTrail events from files through the daemon's own filter and
 * formatter. Prints the payloads as JSON lines (--dry-run, the default), posts them paced like the daemon
 * (--post), and/or writes the HTML preview (--html). Events go oldest first; an event ID seen twice goes once.
 * Exit code: 0 when every file was read cleanly (and every post accepted), 1 when any file, line or record was
 * bad or a message was refused, 77 when Slack refused the webhook itself, 78 for a usage or config error.
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
}

interface Tally {
  records: number;
  readOnly: number;
  excluded: number;
  duplicates: number;
}

export async function runReplay(files: readonly string[], options: ReplayOptions, deps: ReplayDeps): Promise<number> {
  if (options.post && options.dryRun) throw new ConfigError('replay: --post and --dry-run contradict each other; choose one');
  const cwd = deps.cwd ?? process.cwd();
  // Without --post nothing is sent, so no webhook is needed (dryRun); --config adds its exclusions either way.
  const config = loadConfig({ flags: { configFile: options.config, dryRun: !options.post }, env: deps.env, cwd });
  const dryRun = options.dryRun === true || (!options.post && options.html === undefined);

  const say = (line: string) => deps.writeErr(`cloudtrail-slack replay: ${neutraliseControls(line)}\n`);

  const problems: ReplayProblem[] = [];
  const tally: Tally = { records: 0, readOnly: 0, excluded: 0, duplicates: 0 };
  const events: TrailEvent[] = [];
  for (const file of files) {
    try {
      const read = readEventFile(file, resolve(cwd, file), { maxBytes: deps.maxFileBytes });
      problems.push(...read.problems);
      tally.records += read.records;
      events.push(...read.events);
    } catch (error) {
      // readEventFile reports what it can; anything else is still this file's problem, not the run's.
      const why = error instanceof Error ? error.message : String(error);
      problems.push({ file, message: `could not be read (${why}): check the file, or split it into smaller ones` });
    }
  }
  for (const problem of problems) say(formatProblem(problem));

  const messages = selectMessages(events, config.exclude, tally, config.consoleDomain);
  if (dryRun) for (const { message } of messages) deps.writeOut(`${JSON.stringify(message)}\n`);
  if (options.html !== undefined) {
    const subtitle = `cloudtrail-slack replay of ${files.length} file${files.length === 1 ? '' : 's'}`;
    const page = renderHtmlPage(messages.map((m) => m.message), { subtitle });
    try {
      writeFileSync(resolve(cwd, options.html), page);
    } catch (error) {
      say(`--html ${options.html}: cannot write the page (${(error as NodeJS.ErrnoException).code ?? String(error)}); choose a writable path`);
      return EXIT_CONFIG;
    }
  }
  let rejected = 0;
  if (options.post) {
    const webhookUrl = config.slack.webhookUrl as string; // loadConfig demands one unless dryRun
    const posted = await postAll(messages, webhookUrl, config.slackMessagesPerSecond, deps, say);
    if (posted === 'refused') return EXIT_FATAL;
    rejected = posted;
  }

  const verb = options.post ? 'posted' : dryRun ? 'printed' : 'rendered';
  const problemCount = problems.reduce((sum, p) => sum + (p.count ?? 1), 0) + rejected;
  say(
    `${files.length} file(s), ${tally.records} record(s): ${messages.length - rejected} ${verb}, ` +
      `${tally.readOnly} read-only, ${tally.excluded} excluded, ${tally.duplicates} duplicate(s)` +
      `${problemCount > 0 ? `, ${problemCount} problem(s)` : ''}`,
  );
  return problems.length > 0 || rejected > 0 ? EXIT_FAILURE : EXIT_OK;
}

/** The daemon's formatters, linking to the configured console; no log, so nothing but `say` reaches stderr. */
function formattersFor(consoleDomain: string | undefined) {
  return { format: (event: TrailEvent) => formatEventMessage(event, { consoleDomain }), formatPlain: formatPlainMessage };
}

/** Oldest first (stable, so file order breaks ties), each ID once, through the daemon's filter and formatter. */
function selectMessages(events: TrailEvent[], exclude: Parameters<typeof createEventFilter>[0], tally: Tally, consoleDomain: string | undefined) {
  const filter = createEventFilter(exclude);
  const seen = new Set<string>();
  const out: Array<{ event: TrailEvent; message: SlackMessage }> = [];
  for (const event of [...events].sort((a, b) => a.time - b.time)) {
    if (seen.has(event.id)) {
      tally.duplicates += 1;
      continue;
    }
    seen.add(event.id);
    const verdict = filter(event);
    if (!verdict.post) {
      if (event.readOnly === true) tally.readOnly += 1;
      else tally.excluded += 1;
      continue;
    }
    // As the daemon does: a formatter bug must not lose the event.
    out.push({ event, message: formatWithFallback(formattersFor(consoleDomain), event) });
  }
  return out;
}

/** Posts through the daemon's sender (1 message/s, Retry-After, backoff); returns how many Slack rejected. */
async function postAll(
  messages: ReadonlyArray<{ event: TrailEvent; message: SlackMessage }>,
  webhookUrl: string,
  perSecond: number,
  deps: ReplayDeps,
  say: (line: string) => void,
): Promise<number | 'refused'> {
  const log = deps.log ?? createLogger({ level: 'warn', destination: pino.destination({ dest: 2, sync: true }) });
  const sender = createSlackSender({ webhookUrl, clock: deps.clock ?? systemClock, log, fetch: deps.fetch, messagesPerSecond: perSecond, onRefused: 'throw' });
  let rejected = 0;
  try {
    for (const { event, message } of messages) {
      // The message already formatted (as printed or rendered); a plain-text retry if Slack rejects it.
      const outcome = await postWithFallback({ format: () => message, formatPlain: formatPlainMessage, send: (m) => sender.send(m) }, event);
      if (outcome.delivered) continue;
      rejected += 1;
      say(`event ${event.id}: Slack rejected the message (${outcome.error})`);
    }
  } catch (error) {
    if (!(error instanceof FatalError)) throw error;
    say(error.message);
    return 'refused';
  }
  return rejected;
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
