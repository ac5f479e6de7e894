import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { handleSignals, type StartTimer } from '../src/daemon/signals';
import { ShutdownRequested } from '../src/lib/errors';
import { createLogger } from '../src/logging/logger';

function setup(options: { reopenLogs?: () => void } = {}) {
  const proc = new EventEmitter();
  const stop = new AbortController();
  const lines: Array<{ level: number; msg: string }> = [];
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => lines.push(JSON.parse(line)) } });
  const forced: string[] = [];
  const timers: Array<{ ms: number; fire: () => void; cancelled: boolean }> = [];
  const startTimer: StartTimer = (ms, fire) => {
    const timer = { ms, fire, cancelled: false };
    timers.push(timer);
    return () => void (timer.cancelled = true);
  };
  const remove = handleSignals(proc, {
    stop,
    log,
    force: (reason) => forced.push(reason),
    reopenLogs: options.reopenLogs,
    shutdownTimeoutMs: 10_000,
    startTimer,
  });
  return { proc, stop, lines, forced, timers, remove };
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGQUIT']) {
  test(`${signal} asks for a graceful stop and arms the watchdog`, () => {
    const { proc, stop, forced, timers, lines } = setup();
    proc.emit(signal, signal);
    assert.ok(stop.signal.aborted);
    assert.ok(stop.signal.reason instanceof ShutdownRequested);
    assert.deepEqual(forced, []);
    assert.deepEqual(timers.map((t) => t.ms), [10_000]);
    assert.equal(lines.at(-1)?.msg, 'stopping');
  });
}

test('a second stop signal forces the exit', () => {
  const { proc, forced } = setup();
  proc.emit('SIGINT', 'SIGINT');
  proc.emit('SIGTERM', 'SIGTERM');
  assert.deepEqual(forced, ['second SIGTERM']);
});

test('the watchdog forces the exit when the graceful stop takes too long', () => {
  const { proc, forced, timers, lines } = setup();
  proc.emit('SIGQUIT', 'SIGQUIT');
  timers[0]?.fire();
  assert.deepEqual(forced, ['shutdown timeout']);
  assert.equal(lines.at(-1)?.msg, 'graceful stop took too long; exiting now');
});

test('removing the handlers disarms the watchdog and stops listening', () => {
  const { proc, stop, timers, remove } = setup();
  proc.emit('SIGINT', 'SIGINT');
  remove();
  assert.equal(timers[0]?.cancelled, true);
  for (const event of ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGHUP']) assert.equal(proc.listenerCount(event), 0, event);
  assert.ok(stop.signal.aborted);
});

test('SIGHUP reopens the log; a failed reopen is logged and nothing stops', () => {
  let reopened = 0;
  const ok = setup({ reopenLogs: () => void (reopened += 1) });
  ok.proc.emit('SIGHUP', 'SIGHUP');
  assert.equal(reopened, 1);
  assert.equal(ok.lines.at(-1)?.msg, 'log file reopened');
  assert.equal(ok.stop.signal.aborted, false);

  const failing = setup({
    reopenLogs: () => {
      throw new Error('EACCES');
    },
  });
  failing.proc.emit('SIGHUP', 'SIGHUP');
  assert.equal(failing.lines.at(-1)?.msg, 'cannot reopen the log file; still writing to the old one');
  assert.equal(failing.stop.signal.aborted, false);
  assert.deepEqual(failing.forced, []);
});

test('SIGHUP without a log file to reopen says so, and never claims a reopen', () => {
  const none = setup();
  none.proc.emit('SIGHUP', 'SIGHUP');
  assert.equal(none.lines.at(-1)?.msg, 'SIGHUP ignored: there is no log file (-l) to reopen');
  assert.ok(none.lines.every((l) => l.msg !== 'log file reopened'));
  assert.equal(none.stop.signal.aborted, false);
});

test('a stop already under way for a fatal error is not a "second signal": the first signal only arms the watchdog', () => {
  const { proc, stop, forced, timers } = setup();
  stop.abort(new Error('access denied in every region'));
  proc.emit('SIGTERM', 'SIGTERM');
  assert.deepEqual(forced, [], 'the fatal alert may still go out');
  assert.deepEqual(timers.map((t) => t.ms), [10_000]);
  proc.emit('SIGINT', 'SIGINT');
  assert.deepEqual(forced, ['second SIGINT']);
});

test('the default watchdog holds a shutdown timeout longer than one Node timer can (no overflow, no early exit)', async () => {
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.name);
  process.on('warning', onWarning);
  const proc = new EventEmitter();
  const forced: string[] = [];
  const log = createLogger({ level: 'debug', destination: { write: () => undefined } });
  // 3,000,000 s: what `--shutdown-timeout 3000000` asked for before the config bounded it.
  const remove = handleSignals(proc, { stop: new AbortController(), log, force: (r) => forced.push(r), shutdownTimeoutMs: 3_000_000_000 });
  proc.emit('SIGTERM', 'SIGTERM');
  await new Promise<void>((resolve) => setImmediate(resolve));
  await new Promise<void>((resolve) => setImmediate(resolve));
  process.off('warning', onWarning);
  remove();
  assert.deepEqual(warnings, []);
  assert.deepEqual(forced, []);
});
