/**
 * Benchmark 8c (issue 10): the quiet cost of the built daemon (bin/cloudtrail-slack → dist/, rebuilt when stale)
 * watching 100 accounts by role × the 17 default regions = 1,700 targets, default poll interval, HTTP endpoint on,
 * against the STS, CloudTrail and Slack simulators on 127.0.0.1 (real clock). CPU from /proc/<pid>/stat over wall
 * time once /readyz says 200 (every target scanned; start-up shown apart), RSS from /proc/<pid>/status (VmRSS now,
 * VmHWM the peak). Goals: ≤ 10 % of one core, ≤ 300 MB. BENCH_ACCOUNTS_IDLE_SECONDS (default 90).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_REGIONS } from '../src/config/types';
import { cliArgv, daemonEnv } from '../test/support/cli-process';
import { ensureDist } from '../test/support/dist';
import { freePort } from '../test/support/real-daemon';
import { roleAccounts, startBenchAccountSims } from './bench-accounts-sims';
import { clockTicksPerSecond, cpuTicks, statusMb } from './proc-stats';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function benchAccountsIdle(): Promise<void> {
  const seconds = Number(process.env.BENCH_ACCOUNTS_IDLE_SECONDS ?? 90);
  ensureDist();
  const sims = await startBenchAccountSims(Date.now);
  const accounts = roleAccounts(sims, 100);
  const dir = mkdtempSync(join(tmpdir(), 'cts-bench-accounts-idle-'));
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ accounts }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const snapshotDir = process.env.BENCH_ACCOUNTS_HEAPSNAPSHOT; // where the daemon writes a heap snapshot once quiet
  const child = spawn(process.execPath, [...(snapshotDir === undefined ? [] : [`--diagnostic-dir=${snapshotDir}`, '--heapsnapshot-signal=SIGUSR2']), ...cliArgv('dist'), '--config', configFile, '--endpoint', sims.cloudtrail.url,
    '--state-dir', join(dir, 'state'), '--regions', DEFAULT_REGIONS.join(','), '--http', `127.0.0.1:${port}`, '--log-level', 'warn'], {
    env: daemonEnv(dir, {
      AWS_ACCESS_KEY_ID: sims.baseKeys.accessKeyId,
      AWS_SECRET_ACCESS_KEY: sims.baseKeys.secretAccessKey,
      AWS_ENDPOINT_URL_STS: sims.sts.url,
      SLACK_WEBHOOK_URL: sims.slack.url,
    }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const pid = child.pid as number;
  const hz = clockTicksPerSecond();
  try {
    const started = Date.now();
    for (;;) {
      const status = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
      if (status === 200) break;
      if (child.exitCode !== null) throw new Error(`the daemon exited with ${child.exitCode}`);
      if (Date.now() - started > 300_000) throw new Error('the daemon did not become ready within 300 s');
      await pause(500);
    }
    const startupMs = Date.now() - started;
    const startupCpuS = cpuTicks(pid) / hz;
    const startupPeak = statusMb(pid, 'VmHWM');
    const t0 = Date.now();
    const cpu0 = cpuTicks(pid);
    const lookups0 = sims.cloudtrail.requests.length;
    let scrapes = 0;
    while (Date.now() - t0 < seconds * 1000) {
      await (await fetch(`${url}/metrics`)).text();
      scrapes += 1;
      await pause(5_000);
    }
    const wallS = (Date.now() - t0) / 1000;
    const cpuS = (cpuTicks(pid) - cpu0) / hz;
    const lookups = sims.cloudtrail.requests.length - lookups0;
    console.log(`   real time, built daemon, ${accounts.length * DEFAULT_REGIONS.length} targets, no events, HTTP on, /metrics every 5 s:`);
    console.log(`   start-up until /readyz 200: ${(startupMs / 1000).toFixed(1)} s wall, ${startupCpuS.toFixed(1)} s CPU, peak RSS so far ${startupPeak.toFixed(0)} MB`);
    console.log(`   quiet: ${wallS.toFixed(0)} s wall, ${lookups} LookupEvents requests (${(lookups / wallS).toFixed(1)}/s), ${scrapes} scrapes`);
    console.log(`   CPU: ${((cpuS / wallS) * 100).toFixed(1)} % of one core (goal ≤ 10 %)`);
    console.log(`   RSS: ${statusMb(pid, 'VmRSS').toFixed(0)} MB now, ${statusMb(pid, 'VmHWM').toFixed(0)} MB peak (goal ≤ 300 MB); AssumeRole calls: ${sims.book.assumeRoleCalls()}` +
      `; non-200 CloudTrail answers: ${sims.cloudtrail.requests.filter((r) => r.status !== 200).length}`);
    // After the figures: writing the snapshot costs seconds of CPU and doubles the heap for a while.
    if (snapshotDir !== undefined) await takeHeapSnapshot(pid, snapshotDir);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await sims.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** SIGUSR2 (--heapsnapshot-signal), then waits until the snapshot file stops growing (written synchronously). */
async function takeHeapSnapshot(pid: number, dir: string): Promise<void> {
  process.kill(pid, 'SIGUSR2');
  let last = -1;
  for (;;) {
    await pause(2_000);
    const files = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')).map((f) => statSync(join(dir, f)).size);
    const size = Math.max(0, ...files);
    if (size > 0 && size === last) return;
    last = size;
  }
}
