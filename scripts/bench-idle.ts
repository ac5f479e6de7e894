/**
 * Benchmark 7 (issue 9): the idle cost of the daemon with 17 regions, no events, and the HTTP endpoint on, scraped
 * every 5 s like Prometheus would. The real built daemon (bin/cloudtrail-slack → dist/, rebuilt when stale) runs
 * as a child process against the local CloudTrail and Slack simulators (real clock, 127.0.0.1); its CPU comes from
 * /proc/<pid>/stat (user + system ticks) over wall time, after every region scanned once (start-up excluded and
 * shown apart), and its peak RSS from /proc/<pid>/status VmHWM. Goals: < 1 % of one core, ≤ 100 MB. Prints
 * figures; asserts nothing. BENCH_IDLE_SECONDS shortens or lengthens the measured period (default 60).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_REGIONS } from '../src/config/types';
import { startCloudTrailSimulator } from '../src/sim/cloudtrail-server';
import { startSlackSimulator } from '../src/sim/slack-server';
import { cliArgv, daemonEnv } from '../test/support/cli-process';
import { ensureDist } from '../test/support/dist';
import { freePort } from '../test/support/real-daemon';
import { clockTicksPerSecond, cpuTicks, statusMb } from './proc-stats';

const SCRAPE_EVERY_MS = 5_000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function benchIdle(): Promise<void> {
  const seconds = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
  ensureDist();
  const cloudtrail = await startCloudTrailSimulator();
  const slack = await startSlackSimulator();
  const dir = mkdtempSync(join(tmpdir(), 'cts-bench-idle-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [...cliArgv('dist'), '--endpoint', cloudtrail.url, '--state-dir', join(dir, 'state'),
    '--regions', DEFAULT_REGIONS.join(','), '--http', `127.0.0.1:${port}`, '--log-level', 'warn'], {
    env: daemonEnv(dir, { SLACK_WEBHOOK_URL: slack.url }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const pid = child.pid as number;
  const hz = clockTicksPerSecond();
  try {
    const started = Date.now();
    // Start-up: every region has scanned once (its first 20-minute lookback) when /readyz says 200.
    for (;;) {
      const status = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
      if (status === 200) break;
      if (Date.now() - started > 60_000) throw new Error('the daemon did not become ready within 60 s');
      await pause(200);
    }
    const startupMs = Date.now() - started;
    const startupCpuS = cpuTicks(pid) / hz;
    const t0 = Date.now();
    const cpu0 = cpuTicks(pid);
    let scrapes = 0;
    while (Date.now() - t0 < seconds * 1000) {
      const res = await fetch(`${url}/metrics`);
      await res.text();
      scrapes += 1;
      await pause(SCRAPE_EVERY_MS);
    }
    const wallS = (Date.now() - t0) / 1000;
    const cpuS = (cpuTicks(pid) - cpu0) / hz;
    const lookups = cloudtrail.requests.length;
    console.log(`\n7. Idle daemon (bench-idle.ts): built daemon, ${DEFAULT_REGIONS.length} regions, no events, HTTP on, /metrics every ${SCRAPE_EVERY_MS / 1000} s`);
    console.log(`   start-up until /readyz 200: ${(startupMs / 1000).toFixed(1)} s wall, ${startupCpuS.toFixed(2)} s CPU (Node start, SDK clients, 17 first scans)`);
    console.log(`   idle: ${wallS.toFixed(0)} s wall, ${scrapes} scrapes, ${lookups} LookupEvents requests in all`);
    console.log(`   CPU: ${((cpuS / wallS) * 100).toFixed(2)} % of one core (goal < 1 %)`);
    // The goal is for the idle daemon: RSS now, after a minute of idling; the peak includes start-up (17 clients,
    // 17 first scans, the trail monitor's first check), which the kernel keeps as the high-water mark.
    console.log(`   RSS when idle: ${statusMb(pid, 'VmRSS').toFixed(1)} MB (goal ≤ 100 MB); peak since start: ${statusMb(pid, 'VmHWM').toFixed(1)} MB`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await cloudtrail.close();
    await slack.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchIdle().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
