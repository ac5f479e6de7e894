/**
 * Benchmark: prints figures, asserts nothing. Run with `npm run bench`.
 *
 * 1. LookupEvents requests per 1000 events delivered while catching up a backlog.
 * 2. LookupEvents requests per hour for 17 quiet regions (no events), default settings.
 * 3. CPU milliseconds per 1000 events through parse → filter → format.
 * 4. CPU milliseconds per 1000 records through the Sigma rule index (the 32 test rules of test/fixtures/sigma).
 * 5. Remembering 5,000 delivered events on disk: journal commits now vs a full save per event before
 *    (scripts/bench-state.ts).
 * 6. Issue 8's pipeline (scripts/bench-pipeline.ts): the 500-event burst, CPU per 1000 events through
 *    parse → rules → plan → format, and --dry-run of 2,500 and 5,000 events end to end.
 * 7. Issue 9 (scripts/bench-idle.ts): idle CPU and peak RSS of the built daemon with 17 regions and the HTTP
 *    endpoint on, scraped every 5 s, for 60 s of real time (BENCH_IDLE_SECONDS).
 * 8. Issue 10 (scripts/bench-accounts.ts): 100 accounts by role × 17 regions = 1,700 targets: requests per target
 *    per poll, throttled answers and AssumeRole calls per account per hour (simulated, BENCH_ACCOUNTS_HOURS), a
 *    burst (BENCH_ACCOUNTS_BURST events), then CPU and RSS of the built daemon in real time
 *    (BENCH_ACCOUNTS_IDLE_SECONDS).
 *
 * 1 and 2 run the real daemon (runDaemon) against the local CloudTrail and Slack simulators on 127.0.0.1 with a
 * manual clock, so simulated hours take seconds; 3 and 4 run pure code on the real fixture records.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config/load';
import { DEFAULT_REGIONS } from '../src/config/types';
import { createLookupClient } from '../src/cloudtrail/client';
import { runDaemon } from '../src/daemon/run-daemon';
import { fromLookupEvent, type LookupEvent } from '../src/events/parse';
import { createEventFilter } from '../src/rules/filter';
import { buildRuleIndex, loadRulePaths } from '../src/rules/sigma';
import { formatEventMessage } from '../src/slack/format';
import { startCloudTrailSimulator } from '../src/sim/cloudtrail-server';
import { startSlackSimulator } from '../src/sim/slack-server';
import { ManualClock } from '../test/support/manual-clock';
import { benchStateCommits } from './bench-state';
import { loadFixtureRecords, toLookupEvent } from '../test/support/fixtures';
import { benchIssue8Pipeline } from './bench-pipeline';
import { benchIdle } from './bench-idle';
import { benchAccounts } from './bench-accounts';

const MIN = 60_000;
const credentials = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' };

async function withDaemon(
  regions: readonly string[],
  fileConfig: Record<string, unknown>,
  seed: (sim: Awaited<ReturnType<typeof startCloudTrailSimulator>>, clock: ManualClock) => void,
  until: (clock: ManualClock, delivered: number) => boolean,
  minSleepers = 1,
  once = false,
) {
  const clock = new ManualClock();
  const cloudtrail = await startCloudTrailSimulator({ now: () => clock.now() });
  const slack = await startSlackSimulator({ now: () => clock.now() });
  const stateDir = mkdtempSync(join(tmpdir(), 'cts-bench-'));
  seed(cloudtrail, clock);
  const config = loadConfig({
    flags: { regions: [...regions], stateDir, endpoint: cloudtrail.url, configFile: 'bench.json', once },
    env: { SLACK_WEBHOOK_URL: slack.url },
    // LookupEvents is what is measured: the trail monitor (3 calls per 15 minutes, another quota) stays off, and
    // its long sleep would let the manual clock move while a poller's request is in flight.
    readFile: () => JSON.stringify({ trailMonitor: { enabled: false }, ...fileConfig }),
  });
  const proc = new EventEmitter();
  const stopAuto = clock.autoAdvance({ minSleepers });
  const started = clock.now();
  const done = runDaemon(config, {
    clock,
    log: pino({ level: 'silent' }),
    proc,
    writeOut: () => undefined,
    createClient: (region) => createLookupClient({ region, endpoint: cloudtrail.url, credentials, now: () => clock.now() }),
  });
  if (!once) {
    while (!until(clock, slack.received.length)) await new Promise((r) => setTimeout(r, 5));
    proc.emit('SIGTERM', 'SIGTERM');
  }
  await done;
  stopAuto();
  const result = {
    requests: cloudtrail.requests.length,
    throttled: cloudtrail.requests.filter((r) => r.status !== 200).length,
    delivered: slack.received.length,
    simulatedMs: clock.now() - started,
  };
  await cloudtrail.close();
  await slack.close();
  rmSync(stateDir, { recursive: true, force: true });
  return result;
}

async function benchCatchUp(): Promise<void> {
  const writes = loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin');
  const total = 3000;
  const r = await withDaemon(
    ['us-east-1'],
    { initialLookbackMinutes: 180 },
    (sim, clock) => {
      for (let i = 0; i < total; i += 1) {
        const record = writes[i % writes.length]!;
        sim.addRecord(record, {
          region: 'us-east-1',
          eventId: `bench-${i}`,
          eventTime: clock.now() - 175 * MIN + Math.floor((i * 170 * MIN) / total),
        });
      }
    },
    (_clock, delivered) => delivered >= total,
  );
  const perThousand = (r.requests / r.delivered) * 1000;
  console.log(`catch-up: ${r.delivered} events delivered over a 3-hour backlog with ${r.requests} LookupEvents requests`);
  console.log(`  → ${perThousand.toFixed(1)} requests per 1000 events delivered (floor: 20, at 50 events a page); throttled: ${r.throttled}`);
}

async function benchLongDowntime(): Promise<void> {
  const day = 24 * 60 * MIN;
  const r = await withDaemon(
    ['us-east-1'],
    { initialLookbackMinutes: 30 * 24 * 60 },
    (sim, clock) => {
      const record = loadFixtureRecords().find((x) => x.readOnly === false && x.eventName !== 'ConsoleLogin')!;
      sim.addRecord(record, { region: 'us-east-1', eventTime: clock.now() - 20 * day });
    },
    () => true,
    1,
    true, // --once: one pass, which includes the whole catch-up
  );
  console.log(`long downtime: a quiet region 30 days behind caught up with ${r.requests} LookupEvents requests (one-hour chunks would take 720)`);
}

async function benchQuiet(): Promise<void> {
  const hour = 60 * MIN;
  const r = await withDaemon(
    DEFAULT_REGIONS,
    {},
    () => undefined,
    (clock) => clock.now() >= Date.UTC(2026, 10, 26, 12) + hour,
    DEFAULT_REGIONS.length, // advance only while every poller sleeps
  );
  const perHour = (r.requests / r.simulatedMs) * hour;
  console.log(`quiet: ${DEFAULT_REGIONS.length} regions, no events, ${(r.simulatedMs / MIN).toFixed(0)} simulated minutes: ${r.requests} requests`);
  console.log(`  → ${perHour.toFixed(0)} requests per hour in all (${(perHour / DEFAULT_REGIONS.length).toFixed(1)} per region); throttled: ${r.throttled}`);
}

function benchPipeline(): void {
  const records = loadFixtureRecords();
  const wire: LookupEvent[] = records.map(toLookupEvent);
  const filter = createEventFilter({ eventNames: [], eventSources: [], userNames: [] });
  const rounds = 20;
  let formatted = 0;
  const before = process.cpuUsage();
  for (let round = 0; round < rounds; round += 1) {
    for (const raw of wire) {
      const event = fromLookupEvent(raw, 'us-east-1');
      if (event && filter(event).post) {
        formatEventMessage(event);
        formatted += 1;
      }
    }
  }
  const used = process.cpuUsage(before);
  const cpuMs = (used.user + used.system) / 1000;
  const events = rounds * wire.length;
  console.log(`pipeline: ${events} events parsed and filtered, ${formatted} formatted, ${cpuMs.toFixed(0)} ms CPU`);
  console.log(`  → ${((cpuMs / events) * 1000).toFixed(1)} ms CPU per 1000 events through parse → filter (all) → format (writes)`);
  console.log(`  → ${((cpuMs / formatted) * 1000).toFixed(1)} ms CPU per 1000 posted events`);
}

async function benchSigmaIndex(): Promise<void> {
  const { rules, errors } = await loadRulePaths([join(__dirname, '..', 'test', 'fixtures', 'sigma')]);
  if (errors.length > 0) throw new Error(`test rules did not load: ${errors[0]!.error}`);
  const records = loadFixtureRecords();
  const index = buildRuleIndex(rules);
  const rounds = 20;
  const measure = (run: (record: unknown) => number): { cpuMs: number; matches: number } => {
    let matches = 0;
    for (const record of records) matches += run(record); // warm-up round, not counted
    matches = 0;
    const before = process.cpuUsage();
    for (let round = 0; round < rounds; round += 1) for (const record of records) matches += run(record);
    const used = process.cpuUsage(before);
    return { cpuMs: (used.user + used.system) / 1000, matches: matches / rounds };
  };
  const indexed = measure((record) => index.match(record).length);
  const loop = measure((record) => rules.filter((rule) => rule.matches(record)).length);
  const perThousand = (ms: number) => ((ms / (rounds * records.length)) * 1000).toFixed(1);
  console.log(`sigma: ${rules.length} rules × ${records.length} records × ${rounds} rounds, ${indexed.matches} matches per round`);
  console.log(`  → ${perThousand(indexed.cpuMs)} ms CPU per 1000 records through the rule index (a loop over every rule: ${perThousand(loop.cpuMs)} ms)`);
}

async function main(): Promise<void> {
  console.log(`node ${process.version}`);
  benchPipeline();
  await benchSigmaIndex();
  await benchCatchUp();
  await benchLongDowntime();
  await benchQuiet();
  await benchStateCommits();
  await benchIssue8Pipeline();
  await benchIdle();
  await benchAccounts();
}

void main();
