import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { EXIT_CONFIG, EXIT_FATAL } from '../src/lib/errors';
import {
  daemonEnv,
  isRunning,
  killIfRunning,
  logMessages,
  readLogLines,
  readPid,
  ROOT,
  runCliToEnd,
  waitFor,
} from './support/cli-process';
import { ensureDist } from './support/dist';
import { startSims } from './support/sims';

// The compiled daemon (dist/, as installed): run by the real pm2 7 from ecosystem.config.js, and detached by
// bin/cloudtrail-slack -d, against the simulators in this process.

const run = promisify(execFile);
const PM2 = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const APP = 'cloudtrail-slack';
const ecosystem = require('../ecosystem.config.js') as { apps: Array<Record<string, unknown>> };
const app = ecosystem.apps[0] ?? {};

interface Pm2Process {
  pid: number;
  pm2_env: { status: string; restart_time: number; exit_code?: number; unstable_restarts: number };
}

describe('the compiled daemon', () => {
  // Short: pm2's unix sockets live here, and their paths are limited to about 107 bytes.
  const home = mkdtempSync('/tmp/p2-');
  const dir = join(home, 'd');
  const pidFile = join(dir, 'run.pid');
  const outLog = join(home, 'logs', `${APP}-out.log`);
  const errLog = join(home, 'logs', `${APP}-error.log`);
  let env: NodeJS.ProcessEnv = {};
  let sims: Awaited<ReturnType<typeof startSims>>;

  const pm2 = async (...args: string[]) => (await run(process.execPath, [PM2, ...args], { cwd: ROOT, env })).stdout;
  const list = async (): Promise<Pm2Process[]> => {
    const out = await pm2('jlist');
    return JSON.parse(out.slice(out.indexOf('['))) as Pm2Process[];
  };
  const ours = async () => (await list())[0];

  const cleanups: Array<() => unknown> = [];

  before(async () => {
    ensureDist();
    sims = await startSims({ after: (fn) => cleanups.push(fn) });
    env = daemonEnv(dir, {
      PM2_HOME: home,
      SLACK_WEBHOOK_URL: sims.slack.url,
      AWS_ENDPOINT_URL_CLOUDTRAIL: sims.cloudtrail.url,
      CLOUDTRAIL_SLACK_ARGS: `-r us-east-1,eu-west-1 --endpoint ${sims.cloudtrail.url} -s ${join(dir, 'state')} -p ${pidFile}`,
    });
  });

  after(async () => {
    killIfRunning(readPid(pidFile));
    await pm2('kill').catch(() => undefined);
    for (const cleanup of cleanups.reverse()) await cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  test('bin/cloudtrail-slack -d detaches from dist too, and SIGTERM stops it', async (t) => {
    const cwd = join(home, 'bin-d');
    mkdirSync(cwd);
    const args = ['-d', '-p', 'bin.pid', '-l', 'bin.log', '-r', 'us-east-1', '--endpoint', sims.cloudtrail.url, '-s', 'state'];
    const result = await runCliToEnd(t, args, { cwd, env: daemonEnv(cwd, { SLACK_WEBHOOK_URL: sims.slack.url }), kind: 'dist' });
    assert.equal(result.code, 0, result.stderr);
    const pid = readPid(join(cwd, 'bin.pid'));
    t.after(() => killIfRunning(pid));
    assert.ok(pid !== undefined && isRunning(pid));
    process.kill(pid, 'SIGTERM');
    await waitFor('the pid file to go', () => !existsSync(join(cwd, 'bin.pid')));
    assert.deepEqual(logMessages(join(cwd, 'bin.log')).slice(-3), ['stopping', 'stopped', 'pid file removed']);
  });

  test('ecosystem.config.js: kill_timeout above the shutdown timeout, 77 and 78 stop, exponential backoff', () => {
    // The daemon reads CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT itself (default 10 s); kill_timeout must stay above it.
    assert.ok(!(app.args as string[]).includes('--shutdown-timeout'), 'the variable, not a flag: errors name it');
    assert.ok((app.kill_timeout as number) > 10 * 1000, 'pm2 must not SIGKILL a graceful stop');
    assert.deepEqual(app.stop_exit_codes, [EXIT_FATAL, EXIT_CONFIG]);
    assert.ok((app.exp_backoff_restart_delay as number) > 0);
    assert.equal(app.autorestart, true);
    assert.match(String(app.script), /bin[/\\]cloudtrail-slack$/);
  });

  test('starts; kill -QUIT stops it gracefully and pm2 starts it again', async () => {
    await pm2('start', join(ROOT, 'ecosystem.config.js'));
    const first = await waitFor('online with a pid', async () => {
      const p = await ours();
      return p?.pm2_env.status === 'online' && p.pid > 0 && readPid(pidFile) === p.pid ? p : undefined;
    });
    assert.ok(logMessages(outLog).includes('ready'), 'wait_ready: online once the daemon said ready');
    const stateFiles = ['us-east-1', 'eu-west-1'].map((region) => join(dir, 'state', `.default.${region}.cloudtrail.state`));
    await waitFor('a first scan of each region, saved', () => stateFiles.every((file) => existsSync(file)));

    process.kill(first.pid, 'SIGQUIT');
    const second = await waitFor('a new pid online', async () => {
      const p = await ours();
      return p?.pm2_env.status === 'online' && p.pid > 0 && p.pid !== first.pid && readPid(pidFile) === p.pid ? p : undefined;
    });
    assert.equal(second.pm2_env.restart_time, 1);
    const old = readLogLines(outLog).filter((line) => line.pid === first.pid).map((line) => String(line.msg));
    assert.deepEqual(old.slice(-3), ['stopping', 'stopped', 'pid file removed'], 'graceful: pollers done, pid file removed');
    for (const file of stateFiles) assert.doesNotThrow(() => JSON.parse(readFileSync(file, 'utf8')), `${file} intact`);
  });

  test('pm2 stop: a graceful exit, status stopped', async () => {
    const running = await ours();
    assert.ok(running && running.pid > 0 && isRunning(running.pid));
    await pm2('stop', APP);
    const stopped = await ours();
    assert.equal(stopped?.pm2_env.status, 'stopped');
    const lines = readLogLines(outLog).filter((line) => line.pid === running.pid);
    assert.deepEqual(lines.slice(-3).map((line) => line.msg), ['stopping', 'stopped', 'pid file removed']);
    assert.equal(lines.at(-3)?.signal, 'SIGINT', "pm2's stop signal");
    assert.equal(existsSync(pidFile), false);
  });

  test('a bad webhook URL: exit 78, the reason in pm2\'s error log, and no restart', async () => {
    await pm2('delete', APP);
    env = { ...env, SLACK_WEBHOOK_URL: 'hooks.slack.com/services/T0/B0/SECRETTOKEN123' };
    await pm2('start', join(ROOT, 'ecosystem.config.js'));
    const exited = await waitFor('exit code 78', async () => {
      const p = await ours();
      return p?.pm2_env.exit_code === EXIT_CONFIG ? p : undefined;
    });
    await waitFor('the reason in the error log', () =>
      existsSync(errLog) && readFileSync(errLog, 'utf8').includes('SLACK_WEBHOOK_URL is not an http(s) URL'),
    );
    assert.ok(!readFileSync(errLog, 'utf8').includes('SECRETTOKEN123'), 'the bad value is not echoed');
    // The one timed wait: "no restart" has no event to wait for. pm2 would restart after exp_backoff_restart_delay.
    await new Promise((resolve) => setTimeout(resolve, 2 * (app.exp_backoff_restart_delay as number) + 500));
    const later = await ours();
    assert.equal(later?.pm2_env.restart_time, exited.pm2_env.restart_time);
    assert.equal(later?.pm2_env.restart_time, 0);
    assert.equal(later?.pid, 0, 'not running');
    // pm2 7.0.4 shows 'waiting restart' for a stop_exit_codes exit when exp_backoff_restart_delay is set, though it
    // schedules nothing (God.handleExit sets the status before checking `stopping`).
    assert.ok(['stopped', 'errored', 'waiting restart'].includes(later?.pm2_env.status ?? ''), later?.pm2_env.status);
  });
});
