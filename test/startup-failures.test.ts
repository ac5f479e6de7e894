import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { EXIT_CONFIG, EXIT_FAILURE, EXIT_FATAL } from '../src/lib/errors';
import { daemonEnv, readLogLines, runCliToEnd, tempDir } from './support/cli-process';
import { isWriteRecord, loadFixtureRecords } from './support/fixtures';
import { startSims } from './support/sims';

// Every failure before the daemon runs, through the real CLI: one human line on stderr (what is wrong, what to
// do), the right exit code, and no JSON or stack trace on stderr; the JSON log (-l, or stdout) keeps the details.

const BOUNDED = { timeout: 60_000 };

async function setup(t: TestContext) {
  const dir = tempDir(t, 'cts-startup-');
  const sims = await startSims(t);
  const env = daemonEnv(dir, { SLACK_WEBHOOK_URL: sims.slack.url });
  writeFileSync(join(dir, 'afile'), 'a regular file, not a folder\n');
  mkdirSync(join(dir, 'afolder'));
  const run = (args: string[], extraEnv: Record<string, string> = {}) =>
    runCliToEnd(t, ['-r', 'us-east-1', '--endpoint', sims.cloudtrail.url, ...args], { cwd: dir, env: { ...env, ...extraEnv } });
  return { dir, sims, run };
}

/** Exactly one line on stderr, starting with our name, holding no JSON and no stack frame. */
function oneLine(stderr: string): string {
  assert.match(stderr, /^cloudtrail-slack: [^\n]+\n$/, `exactly one line on stderr, got:\n${stderr}`);
  assert.doesNotMatch(stderr, /[{}]|\n\s+at /, 'no JSON, no stack trace');
  return stderr.trimEnd();
}

test('-s pointing at a regular file: exit 78, one line saying it is a file', BOUNDED, async (t) => {
  const { dir, run } = await setup(t);
  const result = await run(['-s', 'afile', '-l', 'run.log']);
  assert.equal(result.code, EXIT_CONFIG, result.stderr);
  const line = oneLine(result.stderr);
  assert.match(line, new RegExp(`state folder ${join(dir, 'afile')}: ${join(dir, 'afile')} is a file, not a folder; .*--state-dir`));
  const fatal = readLogLines(join(dir, 'run.log')).find((entry) => entry.level === 60);
  assert.ok(fatal?.err, 'the log keeps the details');
});

test('-s below a regular file, and -s at a file with --dry-run: exit 78, one line naming the file in the way', BOUNDED, async (t) => {
  const { dir, run } = await setup(t);
  const below = await run(['-s', 'afile/state']);
  assert.equal(below.code, EXIT_CONFIG, below.stderr);
  assert.match(oneLine(below.stderr), new RegExp(`${join(dir, 'afile')} is a file, not a folder`));
  // --dry-run writes nothing to the state folder, but reads it: a file there is the same mistake. (-l: its logs
  // would otherwise go to stderr, to keep stdout for the payloads.)
  const dry = await run(['-s', 'afile', '--dry-run', '--once', '-l', 'run.log']);
  assert.equal(dry.code, EXIT_CONFIG, dry.stderr);
  assert.match(oneLine(dry.stderr), /is a file, not a folder/);
});

test('-l and -p below a regular file, or at a folder: exit 78, one line each', BOUNDED, async (t) => {
  const { dir, run } = await setup(t);
  const cases: Array<[string[], RegExp]> = [
    [['-l', 'afile/run.log'], new RegExp(`^cloudtrail-slack: --log ${join(dir, 'afile/run.log')}: cannot open the log file: ${join(dir, 'afile')} is a file, not a folder`)],
    [['-l', 'afolder'], /--log .*afolder: cannot open the log file: .*afolder is a folder, not a file/],
    [['-p', 'afile/run.pid'], new RegExp(`^cloudtrail-slack: cannot create pid file ${join(dir, 'afile/run.pid')}: ${join(dir, 'afile')} is a file, not a folder`)],
    [['-p', 'afolder'], /cannot create pid file .*afolder: .*afolder is a folder, not a file/],
  ];
  for (const [args, pattern] of cases) {
    const result = await run(['-s', 'state', ...args]);
    assert.equal(result.code, EXIT_CONFIG, `${args.join(' ')}: ${result.stderr}`);
    assert.match(oneLine(result.stderr), pattern);
  }
});

test('a live process holding the pid file: exit 1, one line', BOUNDED, async (t) => {
  const { dir, run } = await setup(t);
  writeFileSync(join(dir, 'run.pid'), `${process.pid}\n`);
  const result = await run(['-s', 'state', '-p', 'run.pid']);
  assert.equal(result.code, EXIT_FAILURE);
  assert.match(oneLine(result.stderr), new RegExp(`already running \\(pid ${process.pid}\\)`));
});

test('credentials that cannot be found: exit 77, one line saying what to do', BOUNDED, async (t) => {
  const { run, sims } = await setup(t);
  const result = await run(['-s', 'state', '--once', '-c', 'no-such-profile']);
  assert.equal(result.code, EXIT_FATAL, result.stderr);
  assert.match(oneLine(result.stderr), /AWS credentials.*--creds-profile/);
  assert.equal(sims.cloudtrail.requests.length, 0);
});

test('Slack refusing the webhook under --once: exit 77, one line saying what to do', BOUNDED, async (t) => {
  const { run, sims } = await setup(t);
  const record = loadFixtureRecords().find((r) => isWriteRecord(r) && r.eventName !== 'ConsoleLogin');
  assert.ok(record);
  sims.cloudtrail.addRecord(record, { region: 'us-east-1', eventTime: Date.now() - 5 * 60_000 });
  sims.slack.setDefault({ status: 404, body: 'no_service' });
  const result = await run(['-s', 'state', '--once']);
  assert.equal(result.code, EXIT_FATAL, result.stderr);
  const line = oneLine(result.stderr);
  assert.match(line, /Slack refused the webhook \(HTTP 404 no_service\)/);
  assert.doesNotMatch(line, /SECRETTOKEN/);
});
