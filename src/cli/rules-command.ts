import { loadConfig } from '../config/load';
import type { Config } from '../config/types';
import type { TrailEvent } from '../events/types';
import { EXIT_FAILURE, EXIT_OK } from '../lib/errors';
import { buildDecider } from '../rules/build-decider';
import type { Decision } from '../rules/decision';
import { loadRuleSet, type RuleSet } from '../rules/load-rule-set';
import { expandInputs, readInput, type ReadInputOptions } from '../replay/inputs';
import { formatProblem, type ReplayProblem } from '../replay/read';
import { makeVisible } from '../slack/visible';
import { displayPath, formatTable, jsonLine, visibleCell } from './rules-output';

/**
 * `cloudtrail-slack rules lint` and `rules test` (issue 8 item 7): read-only and offline. They load the rules the
 * daemon would load (the built-in pack unless `rules.builtin` is false, then `rules.paths` and every `--rules`),
 * with the config file's routes and mutes (`--config`, else CLOUDTRAIL_SLACK_CONFIG).
 *
 * - lint: one line per rule file (per rule for a file of several), loaded or the reason it was refused; exit 0
 *   when every one loaded, else 1. `--json`: `{"file", "id", "ok", "error"?}` per line.
 * - test: every record of the files (replay's formats, folders and `-`, read-only records included) through the
 *   rules, mutes and routes: a table, or with `--json` `{"eventID", "eventName", "matched": [{"id", "title",
 *   "level"}], "routes", "muted"}` per record. Exit 0, or 1 when an input, line or record could not be read or a
 *   rule file was refused (each said on stderr, the rest still run).
 * A usage or configuration error (a ConfigError from loadConfig) is left to runCli: one line, exit 78.
 */

export interface RulesFlags {
  rules?: string[];
  config?: string;
  json?: boolean;
  /** false from `rules test --no-builtin`; otherwise the config's `rules.builtin` decides. */
  builtin?: boolean;
}

export interface RulesDeps extends ReadInputOptions {
  env: Record<string, string | undefined>;
  writeOut(text: string): void;
  writeErr(text: string): void;
  cwd?: string;
}

/** The config as the daemon would read it, without asking for a webhook (nothing is posted). */
function configFor(flags: RulesFlags, deps: RulesDeps, cwd: string): Config {
  return loadConfig({ flags: { configFile: flags.config, rules: flags.rules, dryRun: true }, env: deps.env, cwd });
}

export async function runRulesLint(flags: RulesFlags, deps: RulesDeps): Promise<number> {
  const cwd = deps.cwd ?? process.cwd();
  const config = configFor(flags, deps, cwd);
  const set = await loadRuleSet(config.rules);
  const entries = [
    ...set.rules.map((rule) => ({ file: rule.file, id: rule.id as string | null, ok: true, detail: `${rule.title} (${rule.level})` })),
    ...set.errors.map((error) => ({ file: error.file, id: error.id, ok: false, detail: error.error })),
  ].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)); // stable: a file's rules stay in order

  for (const entry of entries) {
    const file = displayPath(entry.file, cwd);
    if (flags.json) {
      deps.writeOut(jsonLine(entry.ok ? { file, id: entry.id, ok: true } : { file, id: entry.id, ok: false, error: entry.detail }));
    } else if (entry.ok) {
      deps.writeOut(`${makeVisible(`ok       ${file}: ${entry.id ?? ''} ${entry.detail}`)}\n`);
    } else {
      deps.writeOut(`${makeVisible(`refused  ${file}: ${entry.detail}`)}\n`);
    }
  }
  const say = sayer(deps, 'rules lint');
  say(`${set.rules.length} rule(s) loaded, ${set.errors.length} refused${config.rules.builtin ? ' (built-in pack included)' : ''}`);
  return set.errors.length === 0 ? EXIT_OK : EXIT_FAILURE;
}

export async function runRulesTest(files: readonly string[], flags: RulesFlags, deps: RulesDeps): Promise<number> {
  const cwd = deps.cwd ?? process.cwd();
  const config = configFor(flags, deps, cwd);
  const say = sayer(deps, 'rules test');
  const set: RuleSet = await loadRuleSet(flags.builtin === false ? { ...config.rules, builtin: false } : config.rules);
  for (const error of set.errors) say(`${displayPath(error.file, cwd)}: ${error.error}`);

  const expanded = expandInputs(files, cwd);
  const problems: ReplayProblem[] = [...expanded.problems];
  const events: TrailEvent[] = [];
  for (const input of expanded.inputs) {
    try {
      const read = await readInput(input, deps);
      problems.push(...read.problems);
      events.push(...read.events);
    } catch (error) {
      problems.push({ file: input.name, message: `could not be read (${error instanceof Error ? error.message : String(error)})` });
    }
  }
  for (const note of expanded.notes) say(note);
  for (const problem of problems) say(formatProblem(problem));

  let ruleFailures = 0;
  const decide = buildDecider(config, set.index, (error, event) => {
    ruleFailures += 1;
    say(`event ${event.id}: the rules failed on it (${error instanceof Error ? error.name : typeof error}); shown as matching none`);
  });
  const results = events.map((event) => ({ event, decision: decide(event, { region: event.region }) }));
  if (flags.json) {
    for (const { event, decision } of results) deps.writeOut(jsonLine(toJson(event, decision)));
  } else if (results.length > 0) {
    deps.writeOut(testTable(results));
  }

  const matched = results.filter((r) => r.decision.matched.length > 0).length;
  const muted = results.filter((r) => r.decision.muted).length;
  const problemCount = problems.reduce((sum, p) => sum + (p.count ?? 1), 0) + set.errors.length + ruleFailures;
  say(
    `${expanded.inputs.length} file(s), ${results.length} record(s): ${matched} matched a rule, ${muted} muted; ` +
      `${set.rules.length} rule(s) loaded${problemCount > 0 ? `, ${problemCount} problem(s)` : ''}`,
  );
  return problemCount > 0 ? EXIT_FAILURE : EXIT_OK;
}

/** The issue's shape, exactly: no other key. */
function toJson(event: TrailEvent, decision: Decision) {
  return {
    eventID: event.id,
    eventName: event.name,
    matched: decision.matched.map((hit) => ({ id: hit.id, title: hit.title, level: hit.level })),
    routes: decision.routes.map((route) => route.webhook),
    muted: decision.muted,
  };
}

const TEST_COLUMNS = [
  { title: 'EVENT ID', max: 40 },
  { title: 'EVENT NAME', max: 40 },
  { title: 'LEVEL', max: 13 },
  { title: 'MUTED', max: 48 },
  { title: 'ROUTES', max: 40 },
  { title: 'RULES', max: 240 },
];

function testTable(results: ReadonlyArray<{ event: TrailEvent; decision: Decision }>): string {
  const rows = results.map(({ event, decision }) => [
    event.id,
    event.name === '' ? '(no name)' : event.name,
    decision.level,
    decision.muted ? `yes: ${decision.muteReason ?? 'muted'}` : 'no',
    decision.routes.map((route) => (route.mention === undefined ? route.webhook : `${route.webhook} ${route.mention}`)).join(', ') || '-',
    decision.matched.map((hit) => `${hit.title} (${hit.level})`).join('; ') || '-',
  ]);
  return formatTable(TEST_COLUMNS, rows);
}

/** One stderr line, prefixed, with nothing from event data or files able to drive the terminal. */
function sayer(deps: RulesDeps, command: string): (line: string) => void {
  return (line) => deps.writeErr(`cloudtrail-slack ${command}: ${visibleCell(line, 2000)}\n`);
}

/** The CLI handlers: the real environment and streams. */
export function runRulesLintCommand(flags: RulesFlags): Promise<number> {
  return runRulesLint(flags, realDeps());
}

export function runRulesTestCommand(files: string[], flags: RulesFlags): Promise<number> {
  return runRulesTest(files, flags, realDeps());
}

function realDeps(): RulesDeps {
  return { env: process.env, writeOut: (s) => void process.stdout.write(s), writeErr: (s) => void process.stderr.write(s) };
}
