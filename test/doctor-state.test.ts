import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../src/config/load';
import { checkStateFolder } from '../src/doctor/checks-state';
import { initialState } from '../src/state/region-state';
import { serialiseState } from '../src/state/state-file';
import { tempDir } from './support/cli-process';

const NOW = Date.UTC(2026, 10, 30, 9, 0, 0);

function configFor(stateDir: string, profile?: string) {
  return loadConfig({
    flags: { stateDir, ...(profile === undefined ? {} : { credsProfile: profile }) },
    env: { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/XXXX' },
  });
}

function stateFolder(t: { after(fn: () => unknown): void }, mode = 0o700): string {
  const dir = join(tempDir(t, 'cts-doctor-state-'), 'state');
  mkdirSync(dir);
  chmodSync(dir, mode);
  return dir;
}

function validState(): string {
  return serialiseState(initialState(NOW - 60_000, 20));
}

test('a missing state folder that can be created is ✓, and doctor leaves nothing behind', async (t) => {
  const parent = tempDir(t, 'cts-doctor-state-');
  const dir = join(parent, 'a', 'b', 'state');
  const rows = await checkStateFolder(configFor(dir), NOW);
  assert.deepEqual(rows.map((r) => r.status), ['ok']);
  assert.match(rows[0]?.detail ?? '', /does not exist yet; it can be created/);
  assert.deepEqual(readdirSync(parent), [], 'the folders made for the probe are removed again');
});

test('a state folder that is a file, or that nobody may write in, is ✗ with what to do', async (t) => {
  const file = join(tempDir(t, 'cts-doctor-state-'), 'state');
  writeFileSync(file, 'x');
  const notFolder = await checkStateFolder(configFor(file), NOW);
  assert.equal(notFolder[0]?.status, 'fail');
  assert.match(notFolder[0]?.detail ?? '', /is a file, not a folder/);
  assert.match(notFolder[0]?.action ?? '', /--state-dir/);
  // sysfs refuses new files to every user, root included: a folder that exists and is not writable.
  const readOnly = await checkStateFolder(configFor('/sys/kernel'), NOW);
  assert.equal(readOnly.length, 1);
  assert.equal(readOnly[0]?.status, 'fail');
  assert.match(readOnly[0]?.detail ?? '', /\/sys\/kernel is not writable \((EACCES|EPERM|EROFS)\)/);
  assert.match(readOnly[0]?.action ?? '', /writable by the user the daemon runs as/);
});

test("the folder's mode: 700 ✓, readable or writable by others !", async (t) => {
  assert.equal((await checkStateFolder(configFor(stateFolder(t)), NOW))[0]?.status, 'ok');
  const readable = (await checkStateFolder(configFor(stateFolder(t, 0o755)), NOW))[0];
  assert.equal(readable?.status, 'warn');
  assert.match(readable?.detail ?? '', /world-readable.*\(mode 755\)/);
  assert.match(readable?.action ?? '', /^chmod 700 /);
  const writable = (await checkStateFolder(configFor(stateFolder(t, 0o777)), NOW))[0];
  assert.match(writable?.detail ?? '', /world-writable.*\(mode 777\)/);
});

test('state files: valid, legacy and other profiles pass; corrupt ones are ! and a directory in place is ✗; nothing is changed', async (t) => {
  const dir = stateFolder(t);
  const files: Record<string, string> = {
    '.default.us-east-1.cloudtrail.state': validState(),
    '.default.eu-west-1.cloudtrail.state': 'latest_event_time=2026-11-30 08:00:00 +0000\n',
    '.default.eu-west-2.cloudtrail.state': '{"version":2,"offset":',
    '.default.us-east-1.cloudtrail.state.journal': '{"to":"default","ids":["a"],"t":[1]}\n{"to":"def',
    '.default.us-east-2.cloudtrail.state.journal': 'nonsense\n{"to":"default","ids":["a"],"t":[1]}\n',
    '.other.us-east-1.cloudtrail.state': 'not ours: another profile',
    '.default.eu-west-2.cloudtrail.state.corrupt-20261130T080000Z': 'set aside earlier',
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text, { mode: 0o600 });
  mkdirSync(join(dir, '.default.ap-south-1.cloudtrail.state'));
  const before = readdirSync(dir).sort();
  const rows = await checkStateFolder(configFor(dir), NOW);
  const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
  assert.equal(byName['state folder']?.status, 'ok');
  assert.match(byName['state files']?.detail ?? '', /^2 of 6 readable and valid$/);
  assert.equal(byName['state file .default.eu-west-2.cloudtrail.state']?.status, 'warn');
  assert.match(byName['state file .default.eu-west-2.cloudtrail.state']?.detail ?? '', /corrupt: not JSON.*moved aside/);
  assert.match(byName['state file .default.us-east-1.cloudtrail.state.journal']?.detail ?? '', /incomplete line/);
  assert.match(byName['state file .default.us-east-2.cloudtrail.state.journal']?.detail ?? '', /corrupt: line 1/);
  assert.equal(byName['state file .default.ap-south-1.cloudtrail.state']?.status, 'fail');
  assert.match(byName['state file .default.ap-south-1.cloudtrail.state']?.detail ?? '', /is a directory, not a state file/);
  assert.equal(rows.filter((r) => r.name.includes('.other.') || r.name.includes('corrupt-')).length, 0);
  assert.deepEqual(readdirSync(dir).sort(), before, 'no file added or removed (the probe is gone)');
  for (const [name, text] of Object.entries(files)) assert.equal(readFileSync(join(dir, name), 'utf8'), text, name);
});

test("a state file others may read is !, with the chmod that fixes it; the profile's own files only", async (t) => {
  const dir = stateFolder(t);
  writeFileSync(join(dir, '.audit.us-east-1.cloudtrail.state'), validState(), { mode: 0o644 });
  chmodSync(join(dir, '.audit.us-east-1.cloudtrail.state'), 0o644);
  const rows = await checkStateFolder(configFor(dir, 'audit'), NOW);
  const file = rows.find((r) => r.name === 'state file .audit.us-east-1.cloudtrail.state');
  assert.equal(file?.status, 'warn');
  assert.match(file?.action ?? '', /^chmod 600 .*\.audit\.us-east-1\.cloudtrail\.state$/);
  const other = await checkStateFolder(configFor(dir), NOW);
  assert.match(other.find((r) => r.name === 'state files')?.detail ?? '', /none yet for profile default/);
  assert.ok(existsSync(join(dir, '.audit.us-east-1.cloudtrail.state')));
});

test('state files: the count counts every readable and valid file (a mode warning included), and the summary is ✓ only when every file row is', async (t) => {
  const warned = stateFolder(t);
  const path = join(warned, '.default.us-east-1.cloudtrail.state');
  writeFileSync(path, validState());
  chmodSync(path, 0o666);
  const one = await checkStateFolder(configFor(warned), NOW);
  const oneSummary = one.find((r) => r.name === 'state files');
  assert.equal(oneSummary?.detail, '1 of 1 readable and valid');
  assert.equal(oneSummary?.status, 'warn', 'a file row is !, so the summary is not ✓');
  assert.equal(one.find((r) => r.name.startsWith('state file '))?.status, 'warn');

  const broken = stateFolder(t);
  writeFileSync(join(broken, '.default.us-east-1.cloudtrail.state'), validState(), { mode: 0o600 });
  writeFileSync(join(broken, '.default.eu-west-2.cloudtrail.state'), '{"version":2,"offset":', { mode: 0o600 });
  mkdirSync(join(broken, '.default.ap-south-1.cloudtrail.state'));
  execFileSync('mkfifo', [join(broken, '.default.eu-west-1.cloudtrail.state')]);
  const rows = await checkStateFolder(configFor(broken), NOW);
  const summary = rows.find((r) => r.name === 'state files');
  assert.equal(summary?.detail, '1 of 4 readable and valid');
  assert.equal(summary?.status, 'fail', 'two file rows are ✗, so the summary is ✗ too');
  assert.deepEqual(rows.filter((r) => r.name.startsWith('state file ')).map((r) => r.status).sort(), ['fail', 'fail', 'warn']);
});
