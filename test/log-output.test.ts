import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openLogOutput } from '../src/logging/log-output';
import { createLogger } from '../src/logging/logger';

test('a log file that cannot be reopened (SIGHUP after logrotate) keeps the old file and does not crash', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cts-log-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'run.log');
  const output = openLogOutput({ file });
  const log = createLogger({ destination: output.destination });
  log.info('before');
  renameSync(file, `${file}.1`);
  mkdirSync(file); // the path is now a folder: reopening it fails (EISDIR)
  const written: string[] = [];
  const realWrite = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  process.on('uncaughtException', onUncaught);
  try {
    try {
      output.reopen();
    } catch {
      // a synchronous failure is also fine: the caller logs it
    }
    for (let i = 0; i < 20 && written.length === 0; i += 1) await new Promise((r) => setImmediate(r));
  } finally {
    process.stderr.write = realWrite;
    process.off('uncaughtException', onUncaught);
  }
  assert.deepEqual(uncaught, [], 'no uncaught exception');
  log.info('after');
  const old = readFileSync(`${file}.1`, 'utf8');
  assert.match(old, /"msg":"before"/);
  assert.match(old, /"msg":"after"/, 'lines keep going to the previous file');
  assert.match(written.join(''), /still writing to the previous file/, 'said once on stderr');
});
