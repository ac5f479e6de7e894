import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { acquirePidFile, PidFileError, releasePidFileSync } from '../src/daemon/pid-file';
import { DaemonError } from '../src/lib/errors';
import { createLogger } from '../src/logging/logger';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

function setup(t: TestContext) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pid-file-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const lines: LogLine[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (msg: string) => lines.push(JSON.parse(msg)) } });
  return { dir, file: path.join(dir, 'daemon.pid'), log, lines };
}

/** A pid that belonged to a process which has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid;
  assert.ok(pid);
  await once(child, 'exit');
  return pid;
}

test('creates the pid file with our pid', async (t) => {
  const { file, log } = setup(t);
  await acquirePidFile(file, { pid: process.pid, log });
  assert.equal(fs.readFileSync(file, 'utf8'), `${process.pid}\n`);
});

test('creates missing parent directories', async (t) => {
  const { dir, log } = setup(t);
  const file = path.join(dir, 'run', 'nested', 'daemon.pid');
  await acquirePidFile(file, { pid: 4242, log, isAlive: () => false });
  assert.equal(fs.readFileSync(file, 'utf8'), '4242\n');
});

test('refuses to start while a live process holds the pid file', async (t) => {
  const { file, log } = setup(t);
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  assert.ok(child.pid);
  fs.writeFileSync(file, `${child.pid}\n`);

  const error = await acquirePidFile(file, { pid: process.pid, log }).then(
    () => assert.fail('acquire should have failed'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof PidFileError);
  assert.ok(error instanceof DaemonError);
  assert.equal(
    error.message,
    `already running (pid ${child.pid}): ${file}; stop it first or remove the pid file if it is stale`,
  );
  assert.equal(error.holderPid, child.pid);
  assert.equal(fs.readFileSync(file, 'utf8'), `${child.pid}\n`, 'the holder keeps its file');
});

test('refuses when the holder is a live process found by signal 0 (our parent)', async (t) => {
  const { file, log } = setup(t);
  // Our parent is alive; whether kill(ppid, 0) succeeds or fails with EPERM, it counts as a holder.
  fs.writeFileSync(file, `${process.ppid}`);
  await assert.rejects(acquirePidFile(file, { pid: process.pid, log }), (e: unknown) => e instanceof PidFileError);
});

test('replaces a pid file left by a dead process, with a warning', async (t) => {
  const { file, log, lines } = setup(t);
  const stale = await deadPid();
  fs.writeFileSync(file, `${stale}\n`);
  await acquirePidFile(file, { pid: process.pid, log });
  assert.equal(fs.readFileSync(file, 'utf8'), `${process.pid}\n`);
  assert.ok(lines.some((l) => l.level === 40 && l.msg === 'replacing stale pid file' && l['path'] === file));
});

for (const [label, content] of [
  ['garbage', 'not a pid at all'],
  ['empty', ''],
  ['zero', '0\n'],
  ['negative', '-1\n'],
] as const) {
  test(`replaces a pid file holding ${label} content`, async (t) => {
    const { file, log } = setup(t);
    fs.writeFileSync(file, content);
    let asked = 0;
    await acquirePidFile(file, {
      pid: 777,
      log,
      isAlive: () => {
        asked += 1;
        return true;
      },
    });
    assert.equal(fs.readFileSync(file, 'utf8'), '777\n');
    assert.equal(asked, 0, 'no process is signalled for content that is not a pid');
  });
}

test('replaces a pid file holding our own pid (left by an earlier process with the same pid)', async (t) => {
  const { file, log } = setup(t);
  fs.writeFileSync(file, '1\n');
  await acquirePidFile(file, { pid: 1, log, isAlive: () => true });
  assert.equal(fs.readFileSync(file, 'utf8'), '1\n');
});

test('does not remove a pid file that another instance took over meanwhile', async (t) => {
  const { file, log } = setup(t);
  fs.writeFileSync(file, '999998\n');
  // While we judge 999998 stale, a second instance replaces the file with its own (live) pid 999997.
  const isAlive = (pid: number) => {
    if (pid === 999998) fs.writeFileSync(file, '999997\n');
    return pid === 999997;
  };
  await assert.rejects(
    acquirePidFile(file, { pid: 555, log, isAlive }),
    (e: unknown) => e instanceof PidFileError && e.holderPid === 999997,
  );
  assert.equal(fs.readFileSync(file, 'utf8'), '999997\n');
});

test('gives up after one retry when a stale pid file keeps coming back', async (t) => {
  const { file, log } = setup(t);
  fs.writeFileSync(file, '999990\n');
  let next = 999990;
  // Each check finds a different dead pid: someone keeps recreating the file.
  const isAlive = () => {
    next -= 1;
    fs.writeFileSync(file, `${next}\n`);
    return false;
  };
  await assert.rejects(
    acquirePidFile(file, { pid: 555, log, isAlive }),
    (e: unknown) => e instanceof PidFileError && /keeps recreating/.test(e.message),
  );
  assert.equal(next, 999988, 'checked exactly twice');
});

test('reports a pid file that cannot be created', async (t) => {
  const { dir, log } = setup(t);
  fs.writeFileSync(path.join(dir, 'plain-file'), '');
  const file = path.join(dir, 'plain-file', 'daemon.pid');
  await assert.rejects(
    acquirePidFile(file, { pid: process.pid, log }),
    (e: unknown) => e instanceof PidFileError && e.message.includes(file) && e.message.includes(`${path.join(dir, 'plain-file')} is a file, not a folder`),
  );
});

test('release removes our pid file and is idempotent', async (t) => {
  const { file, log, lines } = setup(t);
  const handle = await acquirePidFile(file, { pid: process.pid, log });
  await handle.release();
  assert.equal(fs.existsSync(file), false);
  await handle.release();
  assert.equal(lines.filter((l) => l.level >= 40).length, 0, 'no warning on a second release');
});

test('release leaves a pid file that now holds another pid', async (t) => {
  const { file, log, lines } = setup(t);
  const handle = await acquirePidFile(file, { pid: process.pid, log });
  fs.writeFileSync(file, '999999\n');
  await handle.release();
  assert.equal(fs.readFileSync(file, 'utf8'), '999999\n');
  assert.ok(lines.some((l) => l.level === 40 && l['holder'] === 999999));
});

test('release does not throw when the file is already gone or unreadable', async (t) => {
  const { file, log, lines } = setup(t);
  const gone = await acquirePidFile(file, { pid: process.pid, log });
  fs.unlinkSync(file);
  await gone.release();

  const blocked = await acquirePidFile(file, { pid: process.pid, log });
  fs.unlinkSync(file);
  fs.mkdirSync(file); // reading a directory fails with EISDIR
  await blocked.release();
  assert.ok(fs.statSync(file).isDirectory());
  assert.ok(lines.some((l) => l.level === 40 && l.msg === 'could not remove pid file'));
});

test('releasePidFileSync removes only a file holding the given pid', async (t) => {
  const { file } = setup(t);
  fs.writeFileSync(file, '123\n');
  assert.equal(releasePidFileSync(file, 456), false);
  assert.equal(fs.existsSync(file), true);
  assert.equal(releasePidFileSync(file, 123), true);
  assert.equal(fs.existsSync(file), false);
  assert.equal(releasePidFileSync(file, 123), false, 'a missing file is not an error');
});
