import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { createHeartbeatPing } from '../src/monitors/heartbeat';
import { StatusBoard } from '../src/observability/status-board';
import { captureLogger } from './support/daemon-harness';
import { ManualClock } from './support/manual-clock';

// The heartbeat ping against a local node:http server (a dead man's switch double), the board fed directly.

const CHECK_KEY = '5a1d0c0e-2b7f-4c3e-9d5e-0123456789ab';
const EAST = 'us-east-1';
const WEST = 'eu-west-1';

/** A broken heartbeat must fail a test, not hang the run. */
const BOUNDED = { timeout: 30_000 };

type Mode = 'ok' | 'hang' | 'error';

async function pingServer(t: TestContext) {
  const received: string[] = [];
  const hanging: ServerResponse[] = [];
  let mode: Mode = 'ok';
  const waiters: Array<() => void> = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    received.push(`${req.method} ${req.url}`);
    for (const wake of waiters.splice(0)) wake();
    if (mode === 'hang') return void hanging.push(res);
    res.writeHead(mode === 'ok' ? 200 : 500, { 'content-type': 'text/plain' }).end(mode === 'ok' ? 'OK' : 'boom');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ping/${CHECK_KEY}`,
    received,
    hanging,
    setMode: (next: Mode) => void (mode = next),
    /** Resolves once `count` requests have arrived. */
    requests: (count: number) =>
      new Promise<void>((resolve) => {
        const check = () => (received.length >= count ? resolve() : waiters.push(check));
        check();
      }),
  };
}

async function setup(t: TestContext, url?: string) {
  const clock = new ManualClock();
  const logs = captureLogger();
  const board = new StatusBoard(() => clock.now());
  board.targetStarted(EAST, clock.now());
  board.targetStarted(WEST, clock.now());
  const service = createHeartbeatPing({
    board,
    clock,
    log: logs.log,
    config: { pollIntervalSeconds: 60, heartbeat: { url, timeoutSeconds: 10, slackDaily: undefined } },
  });
  const stop = new AbortController();
  t.after(() => stop.abort());
  const running = service.run(stop.signal);
  const cycle = (failed?: string) => {
    const now = clock.now();
    if (failed) board.scanFailed(failed, 'ThrottlingException');
    board.scanSucceeded(EAST, { start: now - 60_000, end: now }, true);
    board.scanSucceeded(WEST, { start: now - 60_000, end: now }, true);
  };
  /** Resolves once the log has `count` lines with message `msg`. */
  const logged = async (msg: string, count = 1) => {
    while (logs.lines.filter((l) => l.msg === msg).length < count) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  return { clock, logs, board, stop, running, cycle, logged };
}

test('one GET after a clean cycle; none after a cycle in which a region failed; at most one per poll interval', BOUNDED, async (t) => {
  const server = await pingServer(t);
  const s = await setup(t, server.url);
  s.cycle();
  await server.requests(1);
  await s.logged('heartbeat ping sent');
  assert.deepEqual(server.received, [`GET /ping/${CHECK_KEY}`]);

  s.cycle(); // a second clean cycle within the poll interval: no second ping
  await s.clock.advance(61_000);
  s.cycle(WEST); // a minute later, but eu-west-1 failed during the cycle
  await s.logged('cycle had failures: no heartbeat ping');
  assert.equal(server.received.length, 1);

  s.cycle();
  await server.requests(2);
  await s.logged('heartbeat ping sent', 2);
  s.stop.abort();
  await s.running;
  assert.equal(server.received.length, 2);
});

test('a ping service that never answers: each ping ends at the timeout, warned once, then quiet until pings work again; the URL is never logged', BOUNDED, async (t) => {
  const server = await pingServer(t);
  server.setMode('hang');
  const s = await setup(t, server.url);
  const before = Date.now();
  s.cycle();
  await server.requests(1);
  // The poller's call returned at once, while the request hangs; only the injected clock ends it.
  assert.equal(server.hanging.length, 1);
  await s.clock.advance(10_000);
  await s.logged("heartbeat ping failed; the dead man's switch will notice if this lasts");
  const failed = s.logs.lines.find((l) => l.msg?.toString().startsWith('heartbeat ping failed'))!;
  assert.equal(failed.level, 40, 'warn');
  assert.equal(failed.reason, 'no answer within 10 s');

  for (let i = 2; i <= 3; i += 1) {
    await s.clock.advance(60_000);
    s.cycle();
    await server.requests(i);
    await s.clock.advance(10_000);
    await s.logged("heartbeat ping failed; the dead man's switch will notice if this lasts", i);
  }
  const failures = s.logs.lines.filter((l) => l.msg?.toString().startsWith('heartbeat ping failed'));
  assert.deepEqual(failures.map((l) => l.level), [40, 20, 20], 'warn once, then debug');

  server.setMode('error');
  await s.clock.advance(60_000);
  s.cycle();
  await s.logged("heartbeat ping failed; the dead man's switch will notice if this lasts", 4);
  assert.equal(s.logs.lines.at(-1)?.reason, 'HTTP 500');

  server.setMode('ok');
  await s.clock.advance(60_000);
  s.cycle();
  await s.logged('heartbeat pings work again');
  assert.ok(Date.now() - before < 30_000, 'no real waiting on the 10 s timeouts');
  s.stop.abort();
  await s.running;
  assert.ok(!s.logs.text().includes(CHECK_KEY), 'the check key (the URL path) is never in a log line');
});

test('a refused connection is logged with its reason, not the URL', BOUNDED, async (t) => {
  // A port that was just free: nothing listens there any more.
  const gone = createServer();
  await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
  const { port } = gone.address() as AddressInfo;
  await new Promise<void>((resolve) => gone.close(() => resolve()));
  const s = await setup(t, `http://127.0.0.1:${port}/ping/${CHECK_KEY}`);
  s.cycle();
  await s.logged("heartbeat ping failed; the dead man's switch will notice if this lasts");
  assert.match(String(s.logs.lines.at(-1)?.reason), /fetch failed: ECONNREFUSED/);
  s.stop.abort();
  await s.running;
  assert.ok(!s.logs.text().includes(CHECK_KEY));
});

test('the stop signal ends a ping in flight at once and the service settles', BOUNDED, async (t) => {
  const server = await pingServer(t);
  server.setMode('hang');
  const s = await setup(t, server.url);
  s.cycle();
  await server.requests(1);
  s.stop.abort();
  await s.running;
  assert.equal(s.clock.pending, 0, 'the timeout sleeper is gone');
  assert.equal(s.logs.lines.filter((l) => String(l.msg).startsWith('heartbeat ping failed')).length, 0, 'a stop is no failure');
});

test('without heartbeat.url the service does nothing and returns', BOUNDED, async (t) => {
  const s = await setup(t);
  await s.running;
  s.cycle();
  assert.equal(s.logs.lines.length, 0);
});
