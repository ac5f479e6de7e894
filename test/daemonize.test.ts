import assert from 'node:assert/strict';
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { buildProgram, type CliFlags } from '../src/cli/program';
import { loadConfig } from '../src/config/load';
import { toChildArgs } from '../src/daemon/child-args';
import { EXIT_CONFIG, EXIT_FAILURE, EXIT_OK } from '../src/lib/errors';
import {
  daemonEnv,
  isRunning,
  killIfRunning,
  logMessages,
  readPid,
  runCliToEnd,
  tempDir,
  waitFor,
} from './support/cli-process';
import { startSims } from './support/sims';

async function setup(t: TestContext) {
  const dir = tempDir(t, 'cts-daemon-');
  const sims = await startSims(t);
  const env = daemonEnv(dir, { SLACK_WEBHOOK_URL: sims.slack.url });
  const args = ['-r', 'us-east-1', '--endpoint', sims.cloudtrail.url, '-s', 'state'];
  const pidFile = join(dir, 'run.pid');
  // A detached daemon is nobody's child here: kill it by its pid file if a test failed before stopping it.
  t.after(() => killIfRunning(readPid(pidFile)));
  return { dir, sims, env, args, pidFile, logFile: join(dir, 'run.log') };
}

test('-d -p run.pid -l run.log returns at once with exit 0; SIGHUP reopens the moved log; SIGQUIT removes the pid file', async (t) => {
  const { dir, env, args, pidFile, logFile } = await setup(t);
  const run = await runCliToEnd(t, [...args, '-d', '-p', 'run.pid', '-l', 'run.log'], { cwd: dir, env });
  assert.equal(run.code, EXIT_OK, run.stderr);
  // The parent returned only after the child reported ready, so the pid file is there already: no waiting.
  const pid = readPid(pidFile);
  assert.ok(pid !== undefined && isRunning(pid), 'the pid file names a live daemon');
  assert.match(run.stderr, new RegExp(`running in the background as pid ${pid}`));
  assert.ok(logMessages(logFile).includes('ready'), 'relative -l resolved against the caller\'s folder');

  renameSync(logFile, `${logFile}.1`);
  process.kill(pid, 'SIGHUP');
  await waitFor('a new log file', () => logMessages(logFile).includes('log file reopened'));

  process.kill(pid, 'SIGQUIT');
  await waitFor('the pid file to go', () => !existsSync(pidFile));
  await waitFor('the daemon to exit', () => !isRunning(pid));
  assert.deepEqual(logMessages(logFile).slice(-3), ['stopping', 'stopped', 'pid file removed']);
});

test('-d with a bad config exits 78 with the one-line reason on stderr, and starts nothing', async (t) => {
  const { dir, env, args, pidFile, logFile } = await setup(t);
  const run = await runCliToEnd(t, [...args, '-d', '-p', 'run.pid', '-l', 'run.log'], {
    cwd: dir,
    env: { ...env, SLACK_WEBHOOK_URL: 'hooks.slack.com/services/T0/B0/SECRETTOKEN123' },
  });
  assert.equal(run.code, EXIT_CONFIG);
  assert.equal(run.stderr, 'cloudtrail-slack: SLACK_WEBHOOK_URL is not an http(s) URL (value not shown: it is a secret)\n');
  assert.equal(existsSync(pidFile), false);
  assert.equal(existsSync(logFile), false, 'validated in the parent, before anything was spawned');
});

test('-d when the daemon cannot start: the parent prints the child\'s reason and its exit code', async (t) => {
  const { dir, env, args, pidFile } = await setup(t);
  writeFileSync(pidFile, `${process.pid}\n`); // held by this live test process
  const run = await runCliToEnd(t, [...args, '-d', '-p', 'run.pid'], { cwd: dir, env });
  assert.equal(run.code, EXIT_FAILURE);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 2, run.stderr);
  assert.match(lines[0] ?? '', /without --log: the daemon's logs are discarded/);
  assert.match(lines[1] ?? '', new RegExp(`^cloudtrail-slack: already running \\(pid ${process.pid}\\)`));
});

test('-d under a supervisor that holds an IPC channel (pm2) is refused: exit 78, nothing detached', async (t) => {
  const { dir, env, args, pidFile } = await setup(t);
  const run = await runCliToEnd(t, [...args, '-d', '-p', 'run.pid'], { cwd: dir, env, ipc: true });
  assert.equal(run.code, EXIT_CONFIG);
  assert.match(run.stderr, /^cloudtrail-slack: --daemonize: this process is supervised/);
  assert.equal(existsSync(pidFile), false);
});

test('the background child gets the same flags minus -d, with absolute paths', async (t) => {
  const dir = tempDir(t, 'cts-args-');
  const flags: CliFlags = {
    credsProfile: '-odd-profile',
    regions: ['us-east-1', 'eu-west-1'],
    stateDir: 'state',
    pidFile: 'run/x.pid',
    logFile: 'logs/x.log',
    daemonize: true,
    configFile: 'conf.json',
    once: true,
    dryRun: true,
    pollIntervalSeconds: 2.5,
    logLevel: 'warn',
    debug: true,
    endpoint: 'http://127.0.0.1:9',
    shutdownTimeoutSeconds: 4,
    rules: ['my-rules', '/etc/cts/extra.yml'],
    http: '127.0.0.1:9464',
    shard: '1/3',
  };
  const config = loadConfig({ flags, env: {}, cwd: dir, readFile: () => '{}' });
  const args = toChildArgs(flags, config, dir);
  let parsed: CliFlags | undefined;
  await buildProgram({ run: async (f) => ((parsed = f), 0) }).parseAsync(args, { from: 'user' });
  assert.deepEqual(parsed, {
    ...flags,
    daemonize: undefined,
    stateDir: join(dir, 'state'),
    pidFile: join(dir, 'run/x.pid'),
    logFile: join(dir, 'logs/x.log'),
    configFile: join(dir, 'conf.json'),
    rules: [join(dir, 'my-rules'), '/etc/cts/extra.yml'],
  });
});

test('-d with a state folder below a file: the parent prints the child\'s one-line reason, exit 78, nothing left running', async (t) => {
  const { dir, env, pidFile } = await setup(t);
  writeFileSync(join(dir, 'afile'), 'not a folder\n');
  const run = await runCliToEnd(t, ['-r', 'us-east-1', '--endpoint', 'http://127.0.0.1:9', '-s', 'afile/state', '-d', '-p', 'run.pid', '-l', 'run.log'], { cwd: dir, env });
  assert.equal(run.code, EXIT_CONFIG, run.stderr);
  assert.equal(run.stderr, `cloudtrail-slack: state folder ${join(dir, 'afile/state')}: ${join(dir, 'afile')} is a file, not a folder; choose another folder with --state-dir (or stateDir in the config file)\n`);
  assert.equal(existsSync(pidFile), false, 'the pid file is gone with the child');
});
