import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CleanupStack } from '../src/lifecycle/cleanup-stack';
import { startServices } from '../src/lifecycle/start-services';
import type { Service } from '../src/lifecycle/service';
import { FatalError } from '../src/lib/errors';
import { captureLogger } from './support/daemon-harness';

/** A service that runs until its signal aborts, then records its stop (after `linger` resolves, if given). */
function recorder(name: string, order: string[], linger?: Promise<void>): Service {
  return {
    name,
    run: (signal) =>
      new Promise<void>((resolve) => {
        signal.addEventListener('abort', () => {
          void (linger ?? Promise.resolve()).then(() => {
            order.push(name);
            resolve();
          });
        }, { once: true });
      }),
  };
}

test('services stop in reverse order of start, each awaited before the next is told', async () => {
  const { log } = captureLogger();
  const cleanup = new CleanupStack(log);
  const order: string[] = [];
  let releaseMiddle!: () => void;
  const middleLingers = new Promise<void>((resolve) => (releaseMiddle = resolve));
  startServices([recorder('http', order), recorder('monitor', order, middleLingers), recorder('pipeline', order)], {
    log, cleanup, onFatal: () => assert.fail('no failure expected'),
  });
  const drained = cleanup.drain();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, ['pipeline'], 'http is not told while monitor is still stopping');
  releaseMiddle();
  await drained;
  assert.deepEqual(order, ['pipeline', 'monitor', 'http']);
});

test('a service failing with an error is fatal: onFatal gets it; one stopping on its signal is not', async () => {
  const { log } = captureLogger();
  const cleanup = new CleanupStack(log);
  const fatal: unknown[] = [];
  const boom = new FatalError('the trail is gone', 'trail');
  const failing: Service = { name: 'trail-monitor', run: async () => { throw boom; } };
  const aborting: Service = { name: 'quiet', run: (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))) };
  const [first] = startServices([failing, aborting], { log, cleanup, onFatal: (error) => fatal.push(error) });
  await first!.done;
  assert.deepEqual(fatal, [boom]);
  await cleanup.drain();
  assert.deepEqual(fatal, [boom], 'the abort at the stop is not a failure');
});

test('the drain keeps going past a failing step and gives up waiting on a stuck one when the budget is spent', async () => {
  const logs = captureLogger();
  const { log } = logs;
  let fire!: () => void;
  const cleanup = new CleanupStack(log, { startDeadline: (_ms, f) => ((fire = f), () => undefined) });
  const ran: string[] = [];
  cleanup.push({ name: 'first pushed', run: () => void ran.push('first pushed') });
  cleanup.push({ name: 'stuck', run: () => new Promise<void>(() => ran.push('stuck')) });
  cleanup.push({ name: 'throws', run: () => { ran.push('throws'); throw new Error('close failed'); } });
  const drained = cleanup.drain(1000);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(ran, ['throws', 'stuck']);
  fire(); // the budget runs out while 'stuck' has not finished
  await drained;
  assert.deepEqual(ran, ['throws', 'stuck', 'first pushed'], 'the steps after the stuck one still ran');
  const messages = logs.lines.map((l) => l.msg);
  assert.ok(messages.includes('cleanup step failed; going on'), messages.join(' | '));
  assert.ok(messages.includes('cleanup step still running when the stop budget ran out; not waiting for it'));
});
