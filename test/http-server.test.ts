import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createScrubber } from '../src/alerts/scrub';
import { ConfigError } from '../src/lib/errors';
import { createHttpServer, type HttpServerOptions } from '../src/observability/http-server';
import { formatListenUrl, parseListenAddress } from '../src/observability/listen-address';
import { Liveness } from '../src/observability/liveness';
import { createPrometheusTelemetry } from '../src/observability/prometheus';
import { StatusBoard } from '../src/observability/status-board';
import { fanOut } from '../src/observability/telemetry';
import { captureLogger } from './support/daemon-harness';

const T0 = Date.UTC(2026, 10, 30, 8, 0, 0);
const WEBHOOK = 'https://hooks.slack.com/services/T000/B000/SECRETTOKEN123';

async function start(t: { after(fn: () => unknown): void }, overrides: Partial<HttpServerOptions> = {}) {
  let now = T0;
  const board = new StatusBoard(() => now);
  const liveness = new Liveness(() => now, 15 * 60_000);
  const prometheus = createPrometheusTelemetry({ webhooks: ['default'], version: '0.1.0', board, now: () => now });
  const telemetry = fanOut(board, liveness, prometheus);
  const logs = captureLogger();
  const server = createHttpServer({
    address: { host: '127.0.0.1', port: 0 },
    log: logs.log,
    metrics: prometheus,
    board,
    liveness,
    readyMaxAgeMs: 8 * 60_000,
    now: () => now,
    scrub: createScrubber([WEBHOOK]),
    ...overrides,
  });
  const stop = new AbortController();
  const address = await server.listen();
  const running = server.run(stop.signal);
  t.after(async () => {
    stop.abort();
    await running;
  });
  return { url: formatListenUrl(address), telemetry, board, logs, stop, running, advance: (ms: number) => (now += ms) };
}

async function get(url: string, method = 'GET') {
  const res = await fetch(url, { method });
  return { status: res.status, type: res.headers.get('content-type'), headers: res.headers, body: await res.text() };
}

test('parseListenAddress: a bare port is 127.0.0.1; host:port and [v6]:port as given; anything else refused', () => {
  assert.deepEqual(parseListenAddress('9464'), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseListenAddress('0.0.0.0:9464'), { host: '0.0.0.0', port: 9464 });
  assert.deepEqual(parseListenAddress('localhost:80'), { host: 'localhost', port: 80 });
  assert.deepEqual(parseListenAddress('[::1]:9464'), { host: '::1', port: 9464 });
  for (const bad of ['', 'abc', '65536', ':9464', 'http://127.0.0.1:9464', '127.0.0.1:', '127.0.0.1:94a', '::1:9464', 'host/x:1', '[nope]:1', '1e3']) {
    assert.equal(parseListenAddress(bad), undefined, bad);
  }
  assert.equal(formatListenUrl({ host: '::1', port: 1 }), 'http://[::1]:1');
});

test('GET /metrics answers the Prometheus text format with its content type', async (t) => {
  const { url, telemetry } = await start(t);
  telemetry.lookupRequest('us-east-1', 'ok');
  const res = await get(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.type, 'text/plain; version=0.0.4; charset=utf-8');
  assert.match(res.body, /^cloudtrail_slack_lookup_requests_total\{account="unknown",region="us-east-1",outcome="ok"\} 1$/m);
  assert.match(res.body, /^process_resident_memory_bytes /m);
});

test('GET /readyz: 503 with each target not ready and why, then 200 once every target scanned recently', async (t) => {
  const { url, telemetry, advance } = await start(t);
  let res = await get(`${url}/readyz`);
  assert.equal(res.status, 503);
  assert.deepEqual(JSON.parse(res.body), { ready: false, notReady: [{ region: '*', reason: 'no target is watched yet' }] });
  telemetry.targetStarted('us-east-1', T0 - 60_000);
  telemetry.targetStarted('eu-west-1', T0 - 60_000);
  telemetry.scanFailed('eu-west-1', `AccessDenied: ${WEBHOOK} <b>`);
  telemetry.scanSucceeded('us-east-1', { start: T0 - 60_000, end: T0 }, true);
  res = await get(`${url}/readyz`);
  assert.equal(res.status, 503);
  assert.equal(res.type, 'application/json; charset=utf-8');
  const body = JSON.parse(res.body) as { notReady: Array<{ region: string; reason: string }> };
  assert.deepEqual(body.notReady.map((n) => n.region), ['eu-west-1']);
  assert.doesNotMatch(res.body, /SECRETTOKEN123/);
  assert.equal(body.notReady[0]?.reason, 'AccessDenied: *** <b>');
  telemetry.scanSucceeded('eu-west-1', { start: T0 - 60_000, end: T0 }, true);
  res = await get(`${url}/readyz`);
  assert.equal(res.status, 200);
  assert.deepEqual(JSON.parse(res.body), { ready: true });
  advance(8 * 60_000 + 1000);
  res = await get(`${url}/readyz`);
  assert.equal(res.status, 503, 'a scan older than the max age is no longer ready');
  assert.match(res.body, /last successful scan 481 s ago/);
});

test('GET /healthz: 200 while the loops turn, 503 once nothing turned for stuckAfterMs', async (t) => {
  const { url, telemetry, advance } = await start(t);
  let res = await get(`${url}/healthz`);
  assert.equal(res.status, 200);
  assert.equal(JSON.parse(res.body).healthy, true);
  advance(10 * 60_000);
  telemetry.slackMessage('default', 'error'); // a sender retrying during a Slack outage: alive
  advance(10 * 60_000);
  res = await get(`${url}/healthz`);
  assert.equal(res.status, 200);
  assert.match(res.body, /"lastTurn":"Slack POST to webhook default"/);
  advance(6 * 60_000);
  res = await get(`${url}/healthz`);
  assert.equal(res.status, 503);
  assert.deepEqual(JSON.parse(res.body), { healthy: false, lastTurnSecondsAgo: 960, lastTurn: 'Slack POST to webhook default' });
  telemetry.lookupRequest('us-east-1', 'ok');
  assert.equal((await get(`${url}/healthz`)).status, 200);
});

test('GET / is the status page, as HTML with a policy that allows no script', async (t) => {
  const { url, telemetry } = await start(t);
  telemetry.targetStarted('us-east-1', T0 - 60_000);
  telemetry.scanFailed('us-east-1', '<script>alert(1)</script>');
  const res = await get(`${url}/`);
  assert.equal(res.status, 200);
  assert.equal(res.type, 'text/html; charset=utf-8');
  assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  assert.match(res.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.doesNotMatch(res.body, /<script/);
  assert.equal((await get(`${url}/?refresh=1`)).status, 200, 'a query string does not change the route');
});

test('HEAD works like GET without a body; other methods 405 with Allow; unknown paths 404', async (t) => {
  const { url } = await start(t);
  for (const path of ['/', '/metrics', '/healthz', '/readyz']) {
    const head = await get(`${url}${path}`, 'HEAD');
    assert.equal(head.body, '', path);
    assert.ok(Number(head.headers.get('content-length')) > 0, path);
    assert.notEqual(head.status, 404, path);
    const post = await get(`${url}${path}`, 'POST');
    assert.equal(post.status, 405, path);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  }
  for (const path of ['/nope', '/metrics/', '/constructor', '/__proto__', '/toString']) assert.equal((await get(`${url}${path}`)).status, 404, path);
});

test('stops when the signal aborts, closing idle keep-alive connections of a scraper', async (t) => {
  const { url, stop, running, logs } = await start(t);
  // A keep-alive connection that stays open after its response, as Prometheus keeps one.
  const agentRes = await new Promise<number>((resolve, reject) => {
    const req = request(`${url}/healthz`, { headers: { connection: 'keep-alive' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(agentRes, 200);
  stop.abort();
  await running;
  await assert.rejects(fetch(`${url}/healthz`));
  assert.equal(logs.lines.filter((l) => l.msg === 'http endpoint listening').length, 1);
  assert.ok(logs.lines.some((l) => l.msg === 'http endpoint closed'));
});

test('an address already in use is a ConfigError naming the flag, the address and what to do', async (t) => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => holder.close(() => resolve())));
  const port = (holder.address() as AddressInfo).port;
  const server = createHttpServer({
    address: { host: '127.0.0.1', port },
    log: pino({ level: 'silent' }),
    metrics: { contentType: 'text/plain', metrics: async () => '' },
    board: new StatusBoard(() => T0),
    liveness: new Liveness(() => T0, 1),
    readyMaxAgeMs: 1,
    now: () => T0,
    scrub: (s) => s,
  });
  await assert.rejects(server.listen(), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.message, `--http / http.listen / CLOUDTRAIL_SLACK_HTTP: cannot listen on http://127.0.0.1:${port}: the address is already in use (another process listens there: choose another port)`);
    return true;
  });
});

test('GET /readyz names a target of another account by its key, account ID and name, region', async (t) => {
  const { url, telemetry } = await start(t);
  telemetry.targetStarted('222233334444/eu-west-1', T0 - 60_000);
  telemetry.scanFailed('222233334444/eu-west-1', `AccessDenied ${WEBHOOK}`);
  const res = await get(`${url}/readyz`);
  assert.equal(res.status, 503);
  assert.deepEqual(JSON.parse(res.body), {
    ready: false,
    notReady: [{ target: '222233334444/eu-west-1', account: '222233334444', region: 'eu-west-1', reason: 'AccessDenied ***' }],
  });
});
