import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, TEST_CREDENTIALS } from './support/daemon-harness';
import { loadFixtureRecords } from './support/fixtures';
import { createLookupClient } from '../src/cloudtrail/client';
import { noTelemetry, type Telemetry } from '../src/observability/telemetry';
import type { Service } from '../src/lifecycle/service';
import { EXIT_OK } from '../src/lib/errors';

// The runtime-changeable target set (issue 9 item 7) and the services lifecycle, with the real daemon against the
// simulators. Discovery is an injected function here (DaemonDeps.discoverRegions).

const MIN = 60_000;
const DAY = 24 * 60 * MIN;
const BOUNDED = { timeout: 120_000 };
const [A, B, C] = ['eu-west-1', 'eu-central-1', 'ap-south-1'];

function writeRecords(count: number) {
  return loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin').slice(0, count);
}

function recordingTelemetry(): Telemetry & { started: string[]; stopped: string[] } {
  const started: string[] = [];
  const stopped: string[] = [];
  return { ...noTelemetry, started, stopped, targetStarted: (r) => void started.push(r), targetStopped: (r) => void stopped.push(r) };
}

test('discovery first says [a, b], a day later [b, c] (after one failed check): a stops with its state saved, c starts and delivers', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const t0 = h.clock.now();
  const [early, late] = writeRecords(2);
  h.cloudtrail.addRecord(early!, { region: A, eventTime: t0 - 5 * MIN });
  // c's event happens just before c is enabled: the first poll of c (initial lookback 20 min) finds it.
  h.cloudtrail.addRecord(late!, { region: C, eventTime: t0 + DAY + 55 * MIN });
  const answers: Array<string[] | Error> = [[A, B], new Error('ListRegions: AccessDenied'), [B, C]];
  const asked: number[] = [];
  const discoverRegions = async () => {
    asked.push(h.clock.now() - t0);
    // The manual clock skips the daily wait at once: let a deliver its event before the list changes.
    if (asked.length === 2) await h.slack.waitForMessages(1);
    const answer = answers.shift() ?? [B, C];
    if (answer instanceof Error) throw answer;
    return answer;
  };
  const telemetry = recordingTelemetry();
  const run = h.run(h.config({ regions: ['all'], pollIntervalSeconds: 3600 }), { discoverRegions, telemetry });
  await h.slack.waitForMessages(2);
  // a's delivery is recorded (snapshot or journal): a restart, or a re-enabled a, never posts it again.
  const fileOfA = join(h.stateDir, `.default.${A}.cloudtrail.state`);
  const stateOfA = readFileSync(fileOfA, 'utf8') + (existsSync(`${fileOfA}.journal`) ? readFileSync(`${fileOfA}.journal`, 'utf8') : '');
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);

  assert.deepEqual(asked.slice(0, 3), [0, DAY, DAY + 60 * MIN], 'at start, a day later, then an hour after the failed check');
  assert.deepEqual(telemetry.started.slice(0, 3).sort(), [A, B, C].sort());
  assert.deepEqual(telemetry.stopped, [A], 'a only: the daemon stop is not a removal');
  assert.ok(stateOfA.includes(String(early!.eventID)), "a's delivered event is in its saved state");
  const messages = run.logs.lines.map((l) => [l.msg, l.region]);
  const count = (msg: string, region?: string) => messages.filter(([m, r]) => m === msg && (region === undefined || r === region)).length;
  assert.equal(count('region no longer enabled: its poller stops after its current step', A), 1, 'said once');
  assert.equal(count('region newly enabled: polling it', C), 1, 'said once');
  assert.equal(count('region stopped', A), 1);
  assert.equal(count('region discovery failed; keeping the current list and trying again later'), 1);
  const texts = h.slack.received.map((m) => m.raw);
  assert.ok(texts.some((raw) => raw.includes(String(early!.eventID))) && texts.some((raw) => raw.includes(String(late!.eventID))));
});

test('extra services get the context, start before the pipeline and are told to stop only after every poller ended', BOUNDED, async (t) => {
  const h = await startHarness(t);
  let created = 0;
  let destroyed = 0;
  const createClient = (region: string) => {
    created += 1;
    const client = createLookupClient({ region, endpoint: h.cloudtrail.url, credentials: TEST_CREDENTIALS, requestTimeoutMs: 5000, now: () => h.clock.now() });
    return { ...client, destroy: () => { destroyed += 1; client.destroy(); } };
  };
  const seen: string[] = [];
  let pollersLeftAtStop = -1;
  const extra: Service = {
    name: 'status',
    run: (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => {
      pollersLeftAtStop = created - destroyed;
      resolve();
    }, { once: true })),
  };
  const run = h.run(h.config({ regions: [A, B] }), {
    createClient,
    services: (ctx) => {
      seen.push(`queues:${[...ctx.queues.keys()].join(',')}`, `regions:${ctx.targets.regions().join(',')}`);
      return [extra];
    },
  });
  await h.cloudtrail.waitForRequests(2);
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
  assert.deepEqual(seen, ['queues:default', 'regions:'], 'built before the pipeline started its pollers');
  assert.equal(created, 2);
  assert.equal(pollersLeftAtStop, 0, 'the pipeline (started last) stopped first');
});

test('a stop while the first discovery has not answered ends at once (exit 0), no poller started', BOUNDED, async (t) => {
  const h = await startHarness(t);
  let asked!: () => void;
  const askedOnce = new Promise<void>((resolve) => (asked = resolve));
  const discoverRegions = () => {
    asked();
    return new Promise<string[]>(() => undefined); // ListRegions never answers
  };
  const telemetry = recordingTelemetry();
  const run = h.run(h.config({ regions: ['all'] }), { discoverRegions, telemetry });
  await askedOnce;
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
  assert.deepEqual(telemetry.started, []);
  assert.equal(h.cloudtrail.requests.length, 0);
});

test('a stop while the daily discovery has not answered aborts that call: the stop does not wait on it', BOUNDED, async (t) => {
  const h = await startHarness(t);
  let calls = 0;
  let secondAsked!: () => void;
  const asked = new Promise<void>((resolve) => (secondAsked = resolve));
  let abortedWith: unknown;
  const discoverRegions = (signal?: AbortSignal) => {
    calls += 1;
    if (calls === 1) return Promise.resolve([A]);
    secondAsked();
    // ListRegions never answers; only the daemon's stop ends the call.
    return new Promise<string[]>((_resolve, reject) => {
      signal?.addEventListener('abort', () => {
        abortedWith = signal.reason;
        reject(signal.reason);
      }, { once: true });
    });
  };
  const run = h.run(h.config({ regions: ['all'], pollIntervalSeconds: 3600 }), { discoverRegions });
  await asked; // the manual clock skips the daily wait
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
  assert.ok(abortedWith !== undefined, 'the daily discovery call was given the stop signal, and the stop aborted it');
  assert.equal(run.logs.lines.filter((l) => l.msg === 'region discovery failed; keeping the current list and trying again later').length, 0, 'a stop is not a failure');
});
