import { randomUUID } from 'node:crypto';
import type http from 'node:http';
import { readBody } from './cloudtrail-http';
import { listenOnLoopback } from './loopback-server';

/**
 * What the STS, Account, EC2 and Organizations simulators share (sts-server.ts, account-server.ts, ec2-server.ts,
 * organizations-server.ts): a server on
 * 127.0.0.1, the SigV4 scope of each request, a record of what arrived, scripted failures, and a close() that
 * ends hung sockets too. Each protocol supplies how it names an operation, answers it and shapes its errors.
 */

/** A service error: the protocol file decides how its body looks (XML for awsQuery/ec2, JSON for rest-json). */
export class SimAwsError extends Error {
  override name = 'SimAwsError';
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Failures every simulated AWS endpoint can be told to produce, besides its own error codes. */
export type SimTransportFailure =
  /** The socket is destroyed before any answer: the client sees ECONNRESET, a network failure. */
  | 'refuse'
  /** The request is accepted and never answered (close() still finishes). */
  | 'hang';

export interface AwsSimRequest {
  /** The region of the SigV4 credential scope ('' when unsigned). */
  region: string;
  /** The signing name of the scope: `sts`, `account`, `ec2`, `organizations`. */
  service: string;
  /** The access key ID of the scope (never a secret). */
  accessKeyId: string;
  operation: string;
  /** Form fields (awsQuery, ec2) or the parsed JSON body (rest-json); undefined when unreadable. */
  params: unknown;
  /** The status sent; 0 while unanswered (refused or hung). */
  status: number;
  at: number;
}

export interface SimAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface AwsSimProtocol<F extends string> {
  /** The operation and its parameters, from the method, path, body and (awsJson's x-amz-target) headers. */
  parse(method: string, path: string, body: string, headers: http.IncomingHttpHeaders): { operation: string; params: unknown };
  answer(operation: string, params: unknown, request: AwsSimRequest): SimAnswer;
  /** A scripted failure that is not a transport failure, as the service's error. */
  failureError(failure: F, operation: string): SimAwsError;
  renderError(error: SimAwsError, requestId: string): SimAnswer;
}

export interface AwsSimOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Service time (the Date header, `at`), ms epoch. Default Date.now. */
  now?: () => number;
}

export interface AwsSimServer<F extends string> {
  /** http://host:port, for the SDK's `endpoint` or an AWS_ENDPOINT_URL_<SERVICE> variable. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order. */
  readonly requests: AwsSimRequest[];
  /** The next `count` requests fail this way. */
  failNext(failure: F | SimTransportFailure, count?: number): void;
  /** Every request fails this way until cleared with undefined. */
  setFailure(failure: F | SimTransportFailure | undefined): void;
  /** Resolves once `count` requests in all have arrived (wait for a condition, not for time). */
  waitForRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

/** `Credential=<AKID>/<date>/<region>/<service>/aws4_request` of a SigV4 Authorization header. */
export function sigV4Scope(authorization: string | undefined): { accessKeyId: string; region: string; service: string } {
  const match = /Credential=([^/,\s]+)\/\d{8}\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/.exec(authorization ?? '');
  return { accessKeyId: match?.[1] ?? '', region: match?.[2] ?? '', service: match?.[3] ?? '' };
}

/** An application/x-www-form-urlencoded body as a map (awsQuery and ec2 requests). */
export function parseForm(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

/** Text for an XML element: the five XML entities escaped (configured values may be anything). */
export function xmlText(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Starts one simulated AWS endpoint speaking `protocol`. */
export async function startAwsSim<F extends string>(
  protocol: AwsSimProtocol<F>,
  options: AwsSimOptions = {},
): Promise<AwsSimServer<F>> {
  const now = options.now ?? Date.now;
  const requests: AwsSimRequest[] = [];
  const queued: Array<F | SimTransportFailure> = [];
  let persistent: F | SimTransportFailure | undefined;
  const waiters: Array<{ count: number; resolve: () => void }> = [];

  function record(entry: AwsSimRequest): void {
    requests.push(entry);
    for (const waiter of waiters.filter((w) => requests.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { text } = await readBody(req);
    const scope = sigV4Scope(req.headers.authorization);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const { operation, params } = protocol.parse(req.method ?? 'GET', path, text, req.headers);
    const entry: AwsSimRequest = { ...scope, operation, params, status: 0, at: now() };
    record(entry);
    const failure = queued.shift() ?? persistent;
    if (failure === 'refuse') {
      req.socket.destroy();
      return;
    }
    if (failure === 'hang') return;
    const requestId = randomUUID();
    let answer: SimAnswer;
    try {
      if (failure !== undefined) throw protocol.failureError(failure, operation);
      if (scope.region === '') throw new SimAwsError('MissingAuthenticationToken', 403, 'Request is missing Authentication Token');
      answer = protocol.answer(operation, params, entry);
    } catch (error) {
      const simError = error instanceof SimAwsError ? error : new SimAwsError('InternalFailure', 500, 'Simulator error');
      answer = protocol.renderError(simError, requestId);
    }
    entry.status = answer.status;
    res.writeHead(answer.status, {
      'content-type': answer.contentType,
      'content-length': Buffer.byteLength(answer.body),
      'x-amzn-RequestId': requestId,
      date: new Date(now()).toUTCString(),
    });
    res.end(answer.body);
  }

  // A client that goes away mid-body makes the handler throw: that socket is dropped, the others served.
  const loopback = await listenOnLoopback(handle, options);
  return {
    url: loopback.url,
    port: loopback.port,
    requests,
    failNext(failure, count = 1) {
      for (let i = 0; i < count; i += 1) queued.push(failure);
    },
    setFailure(failure) {
      persistent = failure;
    },
    waitForRequests(count) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ count, resolve }));
    },
    close: () => loopback.close(),
  };
}
