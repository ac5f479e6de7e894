import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../lib/errors';
import type { Logger } from '../logging/logger';
import type { Service } from '../lifecycle/service';
import { formatListenUrl, type ListenAddress } from './listen-address';
import type { Liveness } from './liveness';
import type { NotReady, StatusBoard } from './status-board';
import { renderStatusPage } from './status-page';

/**
 * The daemon's HTTP endpoint (issue 9 item 4), a Service on node:http, off unless `--http` / `http.listen` /
 * CLOUDTRAIL_SLACK_HTTP asks for it:
 *
 * - `GET /metrics`: the Prometheus text exposition (prom-client's content type, API-FACTS J.1).
 * - `GET /healthz`: 200 `{ healthy: true, … }` when the event loop answered this request and the loops turn
 *   (liveness.ts: a LookupEvents request, a scan's end or a Slack POST within stuckAfterMs); else 503.
 * - `GET /readyz`: StatusBoard.readiness(readyMaxAgeMs): 200 `{ ready: true }`, or 503
 *   `{ ready: false, notReady: [{ target, account?, accountName?, region, reason }] }`: the target key, its account
 *   ID (the daemon's own for a key that is a region alone, once STS said), the account's name when known, the
 *   region; strings scrubbed of secrets (JSON escapes the rest). Nothing watched yet: `[{ region: "*", reason }]`.
 * - `GET /`: the status page (status-page.ts).
 *
 * HEAD works wherever GET does; other methods get 405 with `Allow: GET, HEAD`; other paths 404. Bodies carry no
 * secret: free text goes through `scrub`. Stops when the run's signal aborts: server.close() and
 * closeAllConnections(), so keep-alive sockets (a scraper's) never hold the process past the shutdown budget.
 */

export interface HttpServerOptions {
  address: ListenAddress;
  log: Logger;
  metrics: { readonly contentType: string; metrics(): Promise<string> };
  board: Pick<StatusBoard, 'view' | 'recentAlerts' | 'readiness'>;
  liveness: Pick<Liveness, 'check'>;
  /** A target whose last successful scan is older than this (ms) is not ready. */
  readyMaxAgeMs: number;
  /** Epoch ms (the daemon's clock). */
  now(): number;
  /** Masks secrets in free text (alerts/scrub.ts createScrubber with the config's secrets). */
  scrub(text: string): string;
  version?: string;
  /** The AWS account, once known (STS GetCallerIdentity). */
  account?(): string | undefined;
  /** The names of accounts (the run's AccountDirectory), for the status page's alerts; default: IDs only. */
  accounts?: { describe(id: string): string };
}

export interface HttpServerService extends Service {
  /**
   * Binds the socket and logs the URL once. Resolves to the bound address (the real port when 0 was asked).
   * Throws ConfigError (one line: exit 78 at start) when the address is in use, not ours, or not allowed.
   */
  listen(): Promise<ListenAddress>;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const HTML_TYPE = 'text/html; charset=utf-8';
// The page has no script and loads nothing: even a bug in escaping could not run code in it.
const PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function createHttpServer(options: HttpServerOptions): HttpServerService {
  const { log } = options;
  const server = createServer((req, res) => {
    handle(options, req, res).catch((error: unknown) => {
      log.error({ err: error, path: pathOf(req) }, 'http request failed');
      if (!res.headersSent) send(res, req, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  let bound: ListenAddress | undefined;

  async function listen(): Promise<ListenAddress> {
    if (bound) return bound;
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) => reject(listenError(options.address, error));
      server.once('error', onError);
      server.listen(options.address.port, options.address.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const info = server.address() as AddressInfo;
    bound = { host: options.address.host, port: info.port };
    log.info({ url: formatListenUrl(bound) }, 'http endpoint listening');
    server.on('error', (error) => log.error({ err: error }, 'http endpoint error'));
    return bound;
  }

  return {
    name: 'http',
    listen,
    async run(signal) {
      if (!signal.aborted) await listen();
      if (!bound) return;
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      log.info('http endpoint closed');
    },
  };
}

async function handle(options: HttpServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = pathOf(req);
  // Own keys only: `/constructor` or `/__proto__` must be a 404, not Object's prototype.
  const route = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (route === undefined) return send(res, req, 404, 'text/plain; charset=utf-8', 'not found\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, req, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }
  return route(options, req, res);
}

type Route = (options: HttpServerOptions, req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

const ROUTES: Record<string, Route> = {
  '/metrics': async (o, req, res) => send(res, req, 200, o.metrics.contentType, await o.metrics.metrics()),
  '/healthz': (o, req, res) => {
    const check = o.liveness.check();
    send(res, req, check.healthy ? 200 : 503, JSON_TYPE, `${JSON.stringify({ ...check, lastTurn: o.scrub(check.lastTurn) })}\n`);
  },
  '/readyz': (o, req, res) => {
    const { ready, notReady } = o.board.readiness(o.readyMaxAgeMs);
    const body = ready
      ? { ready }
      : { ready, notReady: notReady.map((n) => readyEntry(n, o.scrub)) };
    send(res, req, ready ? 200 : 503, JSON_TYPE, `${JSON.stringify(body)}\n`);
  },
  '/': (o, req, res) => {
    res.setHeader('Content-Security-Policy', PAGE_POLICY);
    const page = renderStatusPage({
      targets: o.board.view(),
      alerts: o.board.recentAlerts(),
      now: o.now(),
      scrub: o.scrub,
      version: o.version,
      account: o.account?.(),
      accounts: o.accounts,
    });
    send(res, req, 200, HTML_TYPE, page);
  },
};

/** One /readyz entry, every string scrubbed; the "nothing watched" entry keeps its old shape `{ region, reason }`. */
function readyEntry(n: NotReady, scrub: (text: string) => string): Record<string, string> {
  if (n.target === '*') return { region: '*', reason: scrub(n.reason) };
  return {
    target: scrub(n.target),
    ...(n.account === undefined ? {} : { account: scrub(n.account) }),
    ...(n.accountName === undefined ? {} : { accountName: scrub(n.accountName) }),
    region: scrub(n.region),
    reason: scrub(n.reason),
  };
}

function send(res: ServerResponse, req: IncomingMessage, status: number, type: string, body: string): void {
  const bytes = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': bytes.length,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  // HEAD: the same headers, no body.
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}

function listenError(address: ListenAddress, error: NodeJS.ErrnoException): ConfigError {
  const where = formatListenUrl(address);
  const why =
    error.code === 'EADDRINUSE' ? 'the address is already in use (another process listens there: choose another port)'
    : error.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges: choose a port above 1024)'
    : error.code === 'EADDRNOTAVAIL' ? 'no network interface of this host has that address'
    : error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN' ? 'the host name does not resolve'
    : `it failed (${error.code ?? error.message})`;
  return new ConfigError(`--http / http.listen / CLOUDTRAIL_SLACK_HTTP: cannot listen on ${where}: ${why}`, { cause: error });
}
