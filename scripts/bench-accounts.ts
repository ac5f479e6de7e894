/**
 * Benchmark 8 (issue 10): 100 accounts, each reached by AssumeRole through the STS simulator, × the 17 default
 * regions = 1,700 targets. Prints figures; asserts nothing. Runnable alone: `node --import tsx scripts/bench-accounts.ts`.
 *
 * a. Quiet, simulated (BENCH_ACCOUNTS_COUNT accounts, default 100, for BENCH_ACCOUNTS_HOURS, default 0.25; then 5
 *    accounts for BENCH_ACCOUNTS_SESSION_HOURS, default 3, for the AssumeRole rate) (the real daemon, runDaemon, against the account-aware simulators on 127.0.0.1, on a
 *    simulated clock): LookupEvents requests per target per poll (goal ≤ 1.2), throttled answers (goal 0; the
 *    CloudTrail simulator allows 2 requests/s per account and region, API-FACTS A.4), and AssumeRole calls per
 *    account per hour (goal ≤ 1 with 1-hour sessions, API-FACTS K.3/K.4).
 * b. A burst on the same daemon: BENCH_ACCOUNTS_BURST events (default 1,700) spread over the 1,700 targets; the
 *    simulated time until every one is posted or digested, the requests, the throttled answers.
 * c. Quiet, real time: the built daemon (dist/) as a child process with the same 1,700 targets and the default
 *    poll interval, for BENCH_ACCOUNTS_IDLE_SECONDS (default 90) after every target has scanned once: CPU % of one
 *    core (goal ≤ 10 %) and RSS now and at peak (goal ≤ 300 MB). See bench-accounts-idle.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { loadConfig } from '../src/config/load';
import { DEFAULT_REGIONS } from '../src/config/types';
import { createLookupClient } from '../src/cloudtrail/client';
import { createAccountCredentials, ROLE_SESSION_SECONDS } from '../src/aws/account-credentials';
import { whoAmI } from '../src/aws/identity';
import { runDaemon } from '../src/daemon/run-daemon';
import { noTelemetry, type Telemetry } from '../src/observability/telemetry';
import { BenchClock } from './bench-clock';
import { startBenchAccountSims, roleAccounts, burstRecords, STS_REGION } from './bench-accounts-sims';
import { benchAccountsIdle } from './bench-accounts-idle';

const MIN = 60_000;
const HOUR = 60 * MIN;

/** One simulated run: `count` accounts × 17 regions, quiet for `hours` simulated hours, then `burst` events (0: none). */
export async function benchAccountsSimulated(run: { count: number; hours: number; burst: number }): Promise<void> {
  const { hours, burst } = run;
  const clock = new BenchClock();
  const sims = await startBenchAccountSims(() => clock.now());
  const accounts = roleAccounts(sims, run.count);
  const stateDir = mkdtempSync(join(tmpdir(), 'cts-bench-accounts-'));
  const config = loadConfig({
    flags: { regions: [...DEFAULT_REGIONS], stateDir, endpoint: sims.cloudtrail.url, configFile: 'bench.json' },
    env: { SLACK_WEBHOOK_URL: sims.slack.url },
    readFile: () => JSON.stringify({ trailMonitor: { enabled: false }, accounts }),
  });
  const targets = accounts.length * DEFAULT_REGIONS.length;
  let scans = 0;
  let lookups = 0;
  let throttled = 0;
  let delivered = 0;
  const telemetry: Telemetry = {
    ...noTelemetry,
    scanSucceeded: () => void (scans += 1),
    lookupRequest: (_target, outcome) => {
      lookups += 1;
      if (outcome === 'throttled') throttled += 1;
    },
    events: (_target, outcome, count) => {
      if (outcome === 'posted' || outcome === 'digested') delivered += count;
    },
  };
  const proc = new EventEmitter();
  const credentials = createAccountCredentials({ base: sims.baseKeys, stsRegion: STS_REGION, stsEndpoint: sims.sts.url, clock });
  const started = clock.now();
  const untrackHttp = clock.trackHttp();
  const stopDriving = clock.drive();
  const done = runDaemon(config, {
    clock,
    log: pino({ level: 'silent' }),
    proc,
    writeOut: () => undefined,
    telemetry,
    monitors: () => [],
    accountCredentials: credentials,
    createClient: (region, account) =>
      createLookupClient({ region, endpoint: sims.cloudtrail.url, credentials: account?.credentials ?? sims.baseKeys, now: () => clock.now() }),
    whoAmIWith: (creds, signal) => whoAmI({ region: STS_REGION, credentials: creds, endpoint: sims.sts.url }, signal),
    fetch: (input, init) => clock.busy(fetch(input, init)),
  });
  const until = async (condition: () => boolean) => {
    let shown = Date.now();
    while (!condition()) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (process.env.BENCH_DEBUG !== undefined && Date.now() - shown > 2000) {
        shown = Date.now();
        console.error(`  [t+${((clock.now() - started) / 1000).toFixed(0)} s] scans ${scans} lookups ${lookups} throttled ${throttled} assume ${sims.book.assumeRoleCalls()} ${clock.debug()}`);
      }
    }
  };
  try {
    // Start-up (the 100 accounts' checks, paced through STS, and every target's first scan) is shown apart.
    await until(() => scans >= targets);
    const startMs = clock.now() - started;
    const quiet0 = { at: clock.now(), scans, lookups, throttled, assume: sims.book.assumeRoleCalls() };
    const realQuiet = Date.now();
    await until(() => clock.now() - started >= hours * HOUR);
    const quietScans = scans - quiet0.scans;
    const quietLookups = lookups - quiet0.lookups;
    const simHours = (clock.now() - started) / HOUR;
    const assume = sims.book.assumeRoleCalls();
    console.log(`\n8. ${accounts.length} accounts × ${DEFAULT_REGIONS.length} regions (bench-accounts.ts): ${targets} targets, roles assumed through the STS simulator, simulated clock`);
    console.log(`   start-up: every target scanned once after ${(startMs / 1000).toFixed(0)} simulated s (${quiet0.assume} AssumeRole calls, ${quiet0.lookups} requests)`);
    console.log(`   quiet: ${((clock.now() - quiet0.at) / MIN).toFixed(0)} simulated minutes (${((Date.now() - realQuiet) / 1000).toFixed(0)} s real), ${quietScans} polls, ${quietLookups} LookupEvents requests`);
    console.log(`   → ${(quietLookups / quietScans).toFixed(2)} requests per target per poll (goal ≤ 1.2); throttled: ${throttled} (goal 0)`);
    console.log(`   → AssumeRole: ${assume} calls over ${simHours.toFixed(1)} simulated hours = ${(assume / accounts.length / simHours).toFixed(2)} per account per hour` +
      ` (goal ≤ 1 with ${ROLE_SESSION_SECONDS / 3600}-hour sessions); median gap between one account's calls ${medianGapMinutes(sims).toFixed(1)} min`);

    if (burst === 0) return;
    const b0 = { at: clock.now(), lookups, throttled, delivered, real: Date.now() };
    const records = burstRecords(burst);
    for (let i = 0; i < burst; i += 1) {
      const account = accounts[i % accounts.length]!.id;
      const region = DEFAULT_REGIONS[Math.floor(i / accounts.length) % DEFAULT_REGIONS.length]!;
      sims.cloudtrail.addRecord(records[i % records.length]!, { account, region, eventId: `burst-${i}`, eventTime: clock.now() - 30_000 });
    }
    // Bounded in real time: a burst that does not drain is a figure too (how many got through), never a hung bench.
    const limitMs = Number(process.env.BENCH_ACCOUNTS_BURST_SECONDS ?? 120) * 1000;
    await until(() => delivered - b0.delivered >= burst || Date.now() - b0.real > limitMs);
    const got = delivered - b0.delivered;
    console.log(`   burst: ${burst} events over ${targets} targets, ${got >= burst ? 'all' : `only ${got}`} delivered after ${((clock.now() - b0.at) / 1000).toFixed(0)} simulated s` +
      ` (${((Date.now() - b0.real) / 1000).toFixed(0)} s real), ${lookups - b0.lookups} requests, throttled: ${throttled - b0.throttled}; Slack messages: ${sims.slack.received.length}`);
  } finally {
    proc.emit('SIGTERM', 'SIGTERM');
    await done;
    stopDriving();
    untrackHttp();
    await sims.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** The median time between two AssumeRole calls for the same role, in minutes (the session's real lifetime). */
function medianGapMinutes(sims: Awaited<ReturnType<typeof startBenchAccountSims>>): number {
  const byRole = new Map<string, number[]>();
  for (const r of sims.sts.requests) {
    const role = r.operation === 'AssumeRole' ? (r.params as Record<string, string> | undefined)?.RoleArn : undefined;
    if (role === undefined) continue;
    byRole.set(role, [...(byRole.get(role) ?? []), r.at]);
  }
  const gaps = [...byRole.values()].flatMap((ats) => ats.slice(1).map((at, i) => at - ats[i]!)).sort((a, b) => a - b);
  return gaps.length === 0 ? Number.NaN : gaps[Math.floor(gaps.length / 2)]! / MIN;
}

export async function benchAccounts(): Promise<void> {
  // 1,700 targets for the per-poll figures and the burst; the AssumeRole rate per account needs simulated hours,
  // which 100 accounts make too slow to run here, and it does not depend on the number of accounts: 5 accounts.
  await benchAccountsSimulated({
    count: Number(process.env.BENCH_ACCOUNTS_COUNT ?? 100),
    hours: Number(process.env.BENCH_ACCOUNTS_HOURS ?? 0.25),
    burst: Number(process.env.BENCH_ACCOUNTS_BURST ?? 1700),
  });
  await benchAccountsSimulated({ count: 5, hours: Number(process.env.BENCH_ACCOUNTS_SESSION_HOURS ?? 3), burst: 0 });
  await benchAccountsIdle();
}

if (require.main === module) {
  benchAccounts().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
