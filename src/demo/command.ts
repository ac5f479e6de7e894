import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { createLookupClient } from '../cloudtrail/client';
import { createTrailClient } from '../monitors/trail-client';
import { runDaemon } from '../daemon/run-daemon';
import type { SignalSource } from '../daemon/signals';
import { systemClock, type Clock } from '../lib/clock';
import { EXIT_FAILURE, EXIT_OK } from '../lib/errors';
import { createLogger } from '../logging/logger';
import { renderHtmlPage } from '../preview/html';
import { shouldUseColour } from '../preview/terminal';
import { startCloudTrailSimulator } from '../sim/cloudtrail-server';
import { buildDemoConfig } from './config';
import { checkDeliveries, digestSize } from './delivered';
import { createSampleDecider } from './expected';
import { describeFinish, describeSetup, noteForLate } from './messages';
import { DEMO_REGIONS, planSampleEvents, readSampleRecords, SAMPLE_FILE, type PlannedEvent } from './sample';
import { startDemoSink } from './sink';
import { startDemoAws } from './aws-sims';
import { whoAmI } from '../aws/identity';
import { SimAccountBook } from '../sim/account-book';
import { setUpDemoAccounts, type DemoAccountsSetup } from './accounts';

/**
 * `cloudtrail-slack demo`: the real daemon (runDaemon, unchanged) against a local CloudTrail simulator loaded
 * with real sample events and a local Slack sink that prints each message. Only 127.0.0.1 is ever contacted:
 * the client gets the simulator's endpoint and dummy static credentials, and the config never sees the user's
 * environment (see buildDemoConfig).
 */

export interface DemoOptions {
  once?: boolean;
  /** Write the messages as an HTML page here when the demo ends. */
  html?: string;
  /** Watch this many accounts (1 to MAX_DEMO_ACCOUNTS, accounts.ts) instead of the credentials' one. */
  accounts?: number;
}

export interface DemoDeps {
  out: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  err: { write(text: string): unknown };
  /** Read for NO_COLOR only. */
  env: Record<string, string | undefined>;
  /** Ctrl-C (SIGINT) and friends stop the daemon; tests pass an EventEmitter. */
  proc: SignalSource;
  clock?: Clock;
  /** Where the demo's temporary folder is made; default the OS temp folder. */
  tmpRoot?: string;
  samplePath?: string;
  /** Seconds between polls; default 5. */
  pollIntervalSeconds?: number;
  lateAfterMs?: readonly number[];
  forceExit?(code: number): void;
}

/** Dummy credentials: the simulator reads the region from the SigV4 scope and checks nothing else. */
const DEMO_CREDENTIALS = { accessKeyId: 'AKIDDEMO', secretAccessKey: 'demo-secret-not-a-real-key' };
const DEFAULT_POLL_SECONDS = 5;

export async function runDemo(options: DemoOptions, deps: DemoDeps): Promise<number> {
  const clock = deps.clock ?? systemClock;
  const once = options.once === true;
  const dir = mkdtempSync(join(deps.tmpRoot ?? tmpdir(), 'cloudtrail-slack-demo-'));
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir, { mode: 0o700 });
  const payloadFile = join(dir, 'slack-payloads.jsonl');
  const logFile = join(dir, 'daemon.log');
  const pollIntervalSeconds = deps.pollIntervalSeconds ?? DEFAULT_POLL_SECONDS;
  const write = (text: string) => void deps.out.write(text);

  const startedAt = clock.now();
  const records = readSampleRecords(deps.samplePath ?? SAMPLE_FILE);
  // Set once the daemon's decisions are known (below), before the daemon starts and any message arrives.
  let late: PlannedEvent[] = [];
  let expected = 0;
  let carried = 0;
  let announced = false;

  // demo --accounts: one account book for STS and CloudTrail (each key sees its own account's events).
  const book = options.accounts === undefined ? undefined : new SimAccountBook();
  const cloudtrail = await startCloudTrailSimulator({ host: '127.0.0.1', now: () => clock.now(), ...(book === undefined ? {} : { book }) });
  const sink = await startDemoSink({
    // Events carried so far: a digest's count, 1 for a message about one event (delivered.ts).
    onAccepted: (payload) => void (carried += digestSize(payload) ?? 1),
    write: (text) => {
      write(text);
      if (!once && !announced && expected > 0 && carried >= expected) {
        announced = true;
        write(`All ${expected} expected events are in (${late.length} arrived late). The daemon keeps polling every ${pollIntervalSeconds} s; press Ctrl-C to stop.\n\n`);
      }
    },
    color: shouldUseColour(deps.out, deps.env),
    width: deps.out.columns ?? 100,
    payloadFile,
    noteFor: (raw) => noteForLate(raw, late, startedAt, once),
  }).catch(async (error: unknown) => {
    await cloudtrail.close();
    throw error;
  });
  const aws = await startDemoAws(cloudtrail.url, process.env, book).catch(async (error: unknown) => {
    await Promise.all([cloudtrail.close(), sink.close()]);
    throw error;
  });
  const fileLog = pino.destination({ dest: logFile, sync: true });
  const log = createLogger({
    level: 'info',
    destination: pino.multistream([
      { level: 'info', stream: fileLog },
      { level: 'warn', stream: deps.err }, // only what needs attention interrupts the messages
      // The HTTP endpoint binds port 0 as the daemon starts: its real URL is known from this one log line.
      { level: 'info', stream: { write: (line: string) => announceStatusPage(line, once, write) } },
    ]),
  });

  let code: number;
  let planned: PlannedEvent[] = [];
  let accounts: DemoAccountsSetup | undefined;
  try {
    if (book !== undefined && options.accounts !== undefined) {
      accounts = setUpDemoAccounts({ count: options.accounts, book, base: DEMO_CREDENTIALS, stsUrl: aws.stsUrl, stsRegion: DEMO_REGIONS[0] ?? 'us-east-1', dir, clock });
    }
    const config = buildDemoConfig({ stateDir, cloudtrailUrl: cloudtrail.url, webhookUrl: sink.url, once, pollIntervalSeconds, ...(accounts === undefined ? {} : { accounts: accounts.specs }) });
    // The daemon's own rules, mutes and routes decide what the demo expects (not a number written down once).
    const decisions = await createSampleDecider(config);
    for (const error of decisions.errors) deps.err.write(`demo: a built-in rule could not be loaded: ${error}\n`);
    planned = planSampleEvents(records, { now: startedAt, once, lateAfterMs: deps.lateAfterMs, decide: decisions.decide });
    late = planned.filter((p) => p.late);
    expected = planned.filter((p) => p.expected).length;
    const owners = accounts?.withEvents ?? [];
    planned.forEach((p, i) => {
      const account = owners.length === 0 ? undefined : owners[i % owners.length];
      // Each event in its account's own Event history, saying so itself (recipientAccountId), as CloudTrail's do.
      const record = account === undefined ? p.record : { ...p.record, recipientAccountId: account };
      cloudtrail.addRecord(record, { region: p.region, eventTime: p.eventTime, visibleAt: p.visibleAt, ...(account === undefined ? {} : { account }) });
    });
    write(describeSetup({
      planned, startedAt, cloudtrailUrl: cloudtrail.url, sinkUrl: sink.url, aws: aws.describe(), dir, payloadFile, logFile, once, pollIntervalSeconds,
      ...(accounts === undefined ? {} : { accounts: accounts.describe() }),
    }));
    code = await runDaemon(config, {
      clock,
      log,
      proc: deps.proc,
      writeOut: () => undefined, // only --dry-run writes here, and the demo posts
      // Many accounts: each account's own credentials (its assumed role's session, its profile's keys).
      createClient: (region, account) => createLookupClient({ region, endpoint: cloudtrail.url, credentials: account?.credentials ?? DEMO_CREDENTIALS, requestTimeoutMs: 10_000 }),
      ...(accounts === undefined ? {} : { accountCredentials: accounts.accountCredentials, whoAmIWith: accounts.whoAmIWith }),
      // The trail monitor looks at the simulator's trail too (never at the user's AWS credentials or account).
      createTrailClient: (region) => createTrailClient({ region, endpoint: cloudtrail.url, credentials: DEMO_CREDENTIALS, requestTimeoutMs: 10_000 }),
      forceExit: deps.forceExit,
      // Who am I, from the STS simulator (reached through AWS_ENDPOINT_URL_STS, as the real daemon would be).
      whoAmI: (signal) => whoAmI({ region: config.regions[0] ?? 'us-east-1', credentials: DEMO_CREDENTIALS }, signal),
    });
  } finally {
    accounts?.restore();
    await Promise.all([cloudtrail.close(), sink.close(), aws.close()]);
    fileLog.end();
  }

  const html = options.html === undefined ? undefined : resolve(options.html);
  if (html !== undefined) {
    const subtitle = `cloudtrail-slack demo, ${new Date(clock.now()).toISOString().replace(/\.\d+Z$/, 'Z')}`;
    writeFileSync(html, renderHtmlPage(sink.payloads, { subtitle }));
  }
  const ids = (list: readonly PlannedEvent[]) => new Set(list.map((p) => String(p.record.eventID)));
  // Every posted event in exactly one message (alone or in a digest), and no muted or read-only one in any.
  const check = checkDeliveries(sink.payloads, ids(planned.filter((p) => p.expected)), ids(planned.filter((p) => !p.expected)));
  write(describeFinish({ check, expected, once, seconds: (clock.now() - startedAt) / 1000, payloadFile, html }));
  // --once doubles as a smoke test: every expected event must have arrived, once.
  if (code === EXIT_OK && once && !check.complete) return EXIT_FAILURE;
  // The refused account's regions were never polled, so the daemon's --once pass fails (exit 1), as it must; that
  // is the demo's point, not its failure, when everything else arrived.
  if (code === EXIT_FAILURE && once && check.complete && accounts?.refused !== undefined) {
    write(`  The daemon's own --once pass exits 1 because ${accounts.refused} was paused and never read: expected here.\n`);
    return EXIT_OK;
  }
  return code;
}

/** The CLI handler: real stdout, stderr, environment and signals. */
export function runDemoCommand(flags: Record<string, unknown>): Promise<number> {
  return runDemo(
    {
      once: flags.once === true,
      html: typeof flags.html === 'string' ? flags.html : undefined,
      ...(typeof flags.accounts === 'number' ? { accounts: flags.accounts } : {}),
    },
    {
      out: process.stdout,
      err: process.stderr,
      env: process.env,
      proc: process,
      forceExit: (code) => process.exit(code),
    },
  );
}

/** Prints the status page's URL from the daemon's 'http endpoint listening' log line (JSON); ignores the rest. */
function announceStatusPage(line: string, once: boolean, write: (text: string) => void): void {
  if (!line.includes('"http endpoint listening"')) return;
  const url = (JSON.parse(line) as { url?: unknown }).url;
  if (typeof url !== 'string' || !/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) return;
  const until = once ? 'until this pass ends (without --once: until Ctrl-C)' : 'until Ctrl-C';
  write(`  status page  ${url}/ (and ${url}/metrics for Prometheus), ${until}\n\n`);
}
