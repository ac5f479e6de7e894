import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCommand, type Proc } from '../src/daemon/run-command';
import { EXIT_OK } from '../src/lib/errors';
import { daemonEnv, logMessages, readPid, tempDir } from './support/cli-process';
import { startSims } from './support/sims';

/** The run command in this process, with a stand-in for `process` whose 'exit' the test emits itself. */
function fakeProcess(env: NodeJS.ProcessEnv): Proc & { exits: number[] } {
  const proc = Object.assign(new EventEmitter(), {
    env,
    exits: [] as number[],
    connected: false,
    execPath: process.execPath,
    execArgv: [],
    argv: [],
    cwd: () => process.cwd(),
    stdout: { write: () => true },
    stderr: { write: () => true },
    exit(code: number) {
      proc.exits.push(code);
    },
  });
  return proc as unknown as Proc & { exits: number[] };
}

test('the pid file is removed last: it outlives the daemon\'s work and goes with the process exit', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, 'cts-runcmd-');
  const sims = await startSims(t);
  const pidFile = join(dir, 'run.pid');
  const logFile = join(dir, 'run.log');
  const env = daemonEnv(dir, { SLACK_WEBHOOK_URL: sims.slack.url });
  // The AWS SDK reads the real process.env for credentials: give it the same dummy ones, for this test only.
  const saved = { ...process.env };
  for (const [key, value] of Object.entries(env)) if (key.startsWith('AWS_')) process.env[key] = value;
  t.after(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });
  const proc = fakeProcess(env);
  const io = { writeOut: () => undefined, writeErr: (s: string) => assert.fail(`nothing on stderr: ${s}`) };
  const flags = { once: true, regions: ['us-east-1'], endpoint: sims.cloudtrail.url, stateDir: join(dir, 'state'), pidFile, logFile };

  assert.equal(await runCommand(flags, io, proc), EXIT_OK);
  // The daemon is done, but the process has not exited yet (the event loop drains first): a second instance
  // must still be refused, so the pid file is still there.
  assert.equal(readPid(pidFile), process.pid);
  assert.ok(!logMessages(logFile).includes('pid file removed'));

  proc.emit('exit', EXIT_OK);
  assert.equal(existsSync(pidFile), false);
  assert.equal(logMessages(logFile).at(-1), 'pid file removed', 'the last line of the log');
});
