import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXIT_OK } from '../src/lib/errors';
import { startHarness } from './support/daemon-harness';

// A kill -9 between creating a temp file and renaming it leaves `<target>.tmp-<pid>-<n>` behind. The next start
// removes ours (exact names), only when no live process can be writing them.

const HOUR = 60 * 60_000;

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

test('a start removes the temp files of dead writers, and leaves live ones and other files alone', { timeout: 60_000 }, async (t) => {
  const h = await startHarness(t);
  const dead = deadPid();
  const live = process.ppid; // the test runner: alive, not us, started before the files below
  const dir = h.stateDir;
  const old = (name: string, ageMs: number) => {
    const when = (Date.now() - ageMs) / 1000;
    utimesSync(join(dir, name), when, when);
  };
  const gone = [
    `.default.us-east-1.cloudtrail.state.tmp-${dead}-1`,
    `.default.eu-west-1.cloudtrail.state.tmp-${dead}-12`,
    `.default.alerts.json.tmp-${dead}-2`,
    `.default.probe-${dead}`,
    `.default.us-east-1.cloudtrail.state.tmp-${process.pid}-3`, // our pid, from an earlier life (a container's pid 1)
    '.default.alerts.json.0123456789ab.tmp', // the old name (no pid), an hour old
    `.other.eu-west-1.cloudtrail.state.tmp-${dead}-1`, // another profile's, an hour old
    `.default.us-east-1.cloudtrail.state.tmp-${live}-5`, // a pid that was reused: its process started after the file
  ];
  const kept = [
    `.default.us-east-1.cloudtrail.state.tmp-${live}-4`, // a live process may be writing it
    `.other.eu-west-1.cloudtrail.state.tmp-${dead}-2`, // another profile's, fresh: it may live in another pid namespace
    '.default.alerts.json.fedcba987654.tmp', // the old name, fresh
    'notes.tmp-1-1',
    `.default.us-east-1.cloudtrail.state.tmp-${dead}-x`,
    `.default.us-east-1.cloudtrail.state.corrupt-20261126T120000Z`,
    `.default.us-east-1.cloudtrail.state.legacy-20261126T120000Z`,
    `.default.us-east-1.undeliverable.jsonl`,
  ];
  for (const name of [...gone, ...kept]) writeFileSync(join(dir, name), '{"partial":');
  mkdirSync(join(dir, `.default.eu-west-1.cloudtrail.state.tmp-${dead}-9`)); // not a file: never ours
  kept.push(`.default.eu-west-1.cloudtrail.state.tmp-${dead}-9`);
  old('.default.alerts.json.0123456789ab.tmp', HOUR);
  old(`.other.eu-west-1.cloudtrail.state.tmp-${dead}-1`, HOUR);
  old(`.default.us-east-1.cloudtrail.state.tmp-${live}-5`, 1000 * 24 * HOUR);

  const run = h.run(h.config({ regions: ['us-east-1'], once: true }));
  assert.equal(await run.done, EXIT_OK);
  const left = new Set(readdirSync(dir));
  for (const name of gone) assert.ok(!left.has(name), `${name} removed`);
  for (const name of kept) assert.ok(left.has(name), `${name} kept`);
  const removed = run.logs.lines.filter((l) => l['msg'] === 'removed a leftover temporary file').map((l) => l['file']);
  assert.equal(removed.length, gone.length);
});

test('--dry-run removes nothing', async (t) => {
  const h = await startHarness(t);
  const name = `.default.us-east-1.cloudtrail.state.tmp-${deadPid()}-1`;
  writeFileSync(join(h.stateDir, name), '');
  assert.equal(await h.run(h.config({ regions: ['us-east-1'], once: true, dryRun: true })).done, EXIT_OK);
  assert.ok(readdirSync(h.stateDir).includes(name));
});

test('the heartbeat state file\'s temp name is ours too (a kill -9 while the daily heartbeat saves its day)', async () => {
  const { parseTempName } = await import('../src/state/temp-files');
  assert.deepEqual(parseTempName('.prod.heartbeat.state.tmp-4242-3'), { profile: 'prod', pid: 4242 });
  assert.equal(parseTempName('.prod.heartbeat.statex.tmp-4242-3'), undefined);
});
