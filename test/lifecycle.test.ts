import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { EXIT_FAILURE, EXIT_OK } from '../src/lib/errors';
import { daemonEnv, logMessages, readPid, runCliToEnd, startCli, tempDir, waitFor, within } from './support/cli-process';
import { loadFixtureRecords } from './support/fixtures';
import { startSims } from './support/sims';

// The real CLI (from source, through tsx) against the simulators; the daemon runs in a child process so that
// signals, the pid file and the log file are the real ones.

async function setup(t: TestContext) {
  const dir = tempDir(t, 'cts-life-');
  const sims = await startSims(t);
  const env = daemonEnv(dir, { SLACK_WEBHOOK_URL: sims.slack.url });
  const args = ['-r', 'us-east-1,eu-west-1', '--endpoint', sims.cloudtrail.url, '-s', 'state'];
  return { dir, sims, env, args, pidFile: join(dir, 'run.pid'), logFile: join(dir, 'logs', 'run.log') };
}

/** A pid that belonged to a process which has exited (and was reaped: we are its parent). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await once(child, 'exit');
  assert.ok(child.pid);
  return child.pid;
}

test('refuses to start while a live process holds the pid file: exit 1, "already running (pid N)"', async (t) => {
  const { dir, env, args, pidFile } = await setup(t);
  writeFileSync(pidFile, `${process.pid}\n`); // this test process: alive
  const run = await runCliToEnd(t, [...args, '-p', 'run.pid'], { cwd: dir, env });
  assert.equal(run.code, EXIT_FAILURE);
  assert.match(run.stderr, new RegExp(`^cloudtrail-slack: already running \\(pid ${process.pid}\\)`, 'm'));
  assert.equal(readFileSync(pidFile, 'utf8'), `${process.pid}\n`, "the holder's file is left alone");
});

test('replaces a stale pid file and removes it after SIGTERM; the stop is graceful (exit 0)', async (t) => {
  const { dir, env, args, pidFile, logFile, sims } = await setup(t);
  writeFileSync(pidFile, `${await deadPid()}\n`);
  const run = startCli(t, [...args, '-p', 'run.pid', '-l', 'logs/run.log'], { cwd: dir, env });
  await waitFor('the pid file to name the daemon', () => readPid(pidFile) === run.pid);
  await within('both regions polled', sims.cloudtrail.waitForRequests(2)); // both regions polled once: the daemon is in its loop
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, EXIT_OK);
  assert.equal(existsSync(pidFile), false, 'pid file removed');
  const messages = logMessages(logFile);
  for (const expected of ['replacing stale pid file', 'pid file created', 'stopping', 'stopped', 'pid file removed']) {
    assert.ok(messages.includes(expected), `log has "${expected}": ${messages.join(' | ')}`);
  }
  assert.ok(messages.indexOf('stopped') < messages.indexOf('pid file removed'), 'lines in order');
});

test('reopens the log file on SIGHUP: after a rename, new lines go to a new file', async (t) => {
  const { dir, env, args, logFile } = await setup(t);
  const run = startCli(t, [...args, '-l', 'logs/run.log'], { cwd: dir, env });
  await waitFor('the daemon to be ready', () => logMessages(logFile).includes('ready'));
  renameSync(logFile, `${logFile}.1`);
  run.child.kill('SIGHUP');
  await waitFor('a new log file', () => logMessages(logFile).includes('log file reopened'));
  run.child.kill('SIGINT');
  assert.equal(await run.exited, EXIT_OK);
  const rotated = logMessages(`${logFile}.1`);
  const fresh = logMessages(logFile);
  assert.ok(rotated.includes('starting') && !rotated.includes('stopping'), 'old lines stay in the rotated file');
  assert.deepEqual(fresh.slice(-2), ['stopping', 'stopped'], 'the last lines are in the new file, in order');
});

test('SIGHUP without -l logs that there is nothing to reopen (the JSON log is on stdout)', async (t) => {
  const { dir, env, args } = await setup(t);
  const run = startCli(t, args, { cwd: dir, env });
  await waitFor('ready', () => run.stdout().includes('"msg":"ready"'));
  run.child.kill('SIGHUP');
  await waitFor('the SIGHUP line', () => run.stdout().includes('SIGHUP ignored'));
  run.child.kill('SIGTERM');
  assert.equal(await run.exited, EXIT_OK);
  const messages = run.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => String(JSON.parse(l).msg));
  assert.ok(messages.includes('SIGHUP ignored: there is no log file (-l) to reopen'), messages.join(' | '));
  assert.ok(!messages.includes('log file reopened'));
});

test('a second stop signal forces exit 1 while a Slack post hangs; the pid file is still removed', async (t) => {
  const { dir, env, args, pidFile, logFile, sims } = await setup(t);
  const [record] = loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin');
  assert.ok(record);
  sims.cloudtrail.addRecord(record, { region: 'us-east-1', eventTime: Date.now() - 5 * 60_000 });
  sims.slack.setDefault('hang'); // the message in flight never finishes: the graceful stop cannot end
  const run = startCli(t, [...args, '-p', 'run.pid', '-l', 'logs/run.log'], { cwd: dir, env });
  await within('a Slack post', sims.slack.waitForRequests(1));
  run.child.kill('SIGTERM');
  await waitFor('"stopping" in the log', () => logMessages(logFile).includes('stopping'));
  run.child.kill('SIGQUIT');
  assert.equal(await run.exited, EXIT_FAILURE);
  assert.equal(existsSync(pidFile), false, "the 'exit' handler removed the pid file");
  assert.ok(logMessages(logFile).includes('second stop signal; exiting now'));
});

test('a slow Slack during SIGTERM: exit 0 within --shutdown-timeout, no watchdog; the unconfirmed event is posted after a restart', async (t) => {
  const { dir, env, args, pidFile, logFile, sims } = await setup(t);
  const [record] = loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin');
  assert.ok(record);
  sims.cloudtrail.addRecord(record, { region: 'eu-west-1', eventTime: Date.now() - 5 * 60_000 });
  sims.slack.setDefault('hang'); // Slack holds the POST open and never answers
  const run = startCli(t, [...args, '-p', 'run.pid', '-l', 'logs/run.log', '--shutdown-timeout', '1'], { cwd: dir, env });
  await within('a Slack post', sims.slack.waitForRequests(1));
  run.child.kill('SIGTERM');
  // The watchdog (exit 1) fires when the stop outlives the budget: exit 0 means it ended within it.
  assert.equal(await run.exited, EXIT_OK);
  assert.equal(existsSync(pidFile), false);
  const messages = logMessages(logFile);
  assert.ok(!messages.includes('graceful stop took too long; exiting now'), messages.join(' | '));
  assert.ok(messages.includes('slack did not answer before the stop; the message counts as not delivered'), messages.join(' | '));
  assert.ok(messages.includes('stopped'), messages.join(' | '));
  // Nothing Slack did not confirm was committed: the next run posts the event (at least once).
  sims.slack.setDefault(undefined);
  const again = await runCliToEnd(t, [...args, '--once'], { cwd: dir, env });
  assert.equal(again.code, EXIT_OK, again.stderr);
  assert.ok(sims.slack.received.some((m) => JSON.stringify(m.body).includes(String(record.eventName))), 'posted after the restart');
});

test('a pid file path that cannot be created is a configuration error: exit 78 (pm2 does not restart-loop)', async (t) => {
  const { dir, env, args } = await setup(t);
  writeFileSync(join(dir, 'afile'), 'not a folder\n');
  const run = await runCliToEnd(t, [...args, '-p', 'afile/run.pid'], { cwd: dir, env });
  assert.equal(run.code, 78, run.stderr);
  assert.match(run.stderr, /afile\/run\.pid/);
});
