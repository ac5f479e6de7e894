import type http from 'node:http';
import type { CloudTrailRecord } from '../events/types';
import { failureToError, SimServiceError, throttlingError, type SimFailure } from './cloudtrail-errors';
import { buildStoredEvent, compareNewestFirst, type AddRecordOptions, type StoredEvent } from './cloudtrail-events';
import { readBody, scopeOf, parseJson, sendJson } from './cloudtrail-http';
import { parseLookupRequest, selectPage } from './cloudtrail-query';
import { createTrailSet, describeTrails, eventSelectors, findTrail, trailStatus, type SimTrailControl } from './cloudtrail-trails';
import { listenOnLoopback } from './loopback-server';
import { SimAccountBook } from './account-book';

export type { SimFailure } from './cloudtrail-errors';
export type { AddRecordOptions } from './cloudtrail-events';
export type { SimTrail, SimTrailControl, SimSelectors } from './cloudtrail-trails';

export interface CloudTrailSimulatorOptions {
  /** Service time, ms epoch: visibility and throttling use it. Default Date.now. */
  now?: () => number;
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Throttling's HTTP status: 400 (AWS-wide history) or 429 (CloudTrail's model). Default 400. */
  throttleStatus?: 400 | 429;
  /**
   * LookupEvents requests per second per account and region before ThrottlingException. Default 2 (the AWS quota,
   * API-FACTS A.4: "per account, per Region").
   */
  requestsPerSecond?: number;
  /** `requests` keeps the latest this many (a long demo run must not grow without bound). Default 10000. */
  maxRecordedRequests?: number;
  /** The default trail's home region (a healthy multi-region trail, seen from every region). Default us-east-1. */
  trailHomeRegion?: string;
  /**
   * Which account each access key signs for (shared with the STS simulator, which adds the keys AssumeRole
   * issues). A request's account decides whose events it sees, whose quota it spends and whose failures it gets.
   * Default: an empty book (every key unknown: one account, as before accounts existed).
   */
  book?: SimAccountBook;
  /**
   * Refuse a session key (issued by the STS simulator) from its Expiration on, with ExpiredTokenException, as AWS
   * does. Off by default: the SDK decides to refresh by the real clock, so a test whose simulators run on a
   * manual clock far from it would see refusals no real client meets. Turn it on with a shared real-time `now`.
   */
  enforceSessionExpiry?: boolean;
}

export interface SimRequest {
  region: string;
  /** The access key ID of the SigV4 credential scope (never a secret). */
  accessKeyId: string;
  /** The account the key signs for, per the book; '' for a key the book does not know. */
  account: string;
  /** The x-amz-target header as sent (short or long form). */
  target: string;
  operation: string;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: unknown;
  /** The status sent; 0 while unanswered (or for 'hang'). */
  status: number;
  /** now() when the request arrived. */
  at: number;
}

export interface CloudTrailSimulator {
  /** http://host:port, for the SDK's `endpoint`. */
  readonly url: string;
  readonly port: number;
  /** The requests received, in arrival order (the latest maxRecordedRequests). */
  readonly requests: SimRequest[];
  /** Adds one log record to a region's Event history; returns its EventId. */
  addRecord(record: CloudTrailRecord, opts?: AddRecordOptions): string | undefined;
  addRecords(records: readonly CloudTrailRecord[], opts?: Omit<AddRecordOptions, 'eventId' | 'cloudTrailEvent'>): void;
  /**
   * The next `count` requests to `region` fail this way. `region` may be a region, '*' (any), or, for one
   * account's requests, a target key `<account-id>/<region>` or `<account-id>/*` (src/targets/target.ts).
   */
  failNext(region: string, failure: SimFailure, count?: number): void;
  /** Every request to `region` (same forms as failNext) fails this way until cleared with undefined. */
  setRegionFailure(region: string, failure: SimFailure | undefined): void;
  /**
   * Denies (true) or allows again (false) every CloudTrail call of `account` in every region:
   * AccessDeniedException naming the account, as when its role lacks cloudtrail:LookupEvents.
   */
  denyAccount(account: string, denied?: boolean): void;
  /** The book the simulator reads accounts from. */
  readonly book: SimAccountBook;
  /** The account's trails (DescribeTrails, GetTrailStatus, GetEventSelectors): change them, or deny the calls. */
  readonly trails: SimTrailControl;
  /** Resolves once `count` requests in all have arrived (to wait for a condition, not for time). */
  waitForRequests(count: number): Promise<void>;
  /** Stops listening and destroys every open socket, hung ones included. */
  close(): Promise<void>;
}

const OPERATIONS = ['LookupEvents', 'DescribeTrails', 'GetTrailStatus', 'GetEventSelectors'];

/** Starts a local CloudTrail (awsJson1_1) for tests and the demo. Point the SDK's `endpoint` at `url`. */
export async function startCloudTrailSimulator(options: CloudTrailSimulatorOptions = {}): Promise<CloudTrailSimulator> {
  const now = options.now ?? Date.now;
  const throttleStatus = options.throttleStatus ?? 400;
  const perSecond = options.requestsPerSecond ?? 2;
  const history = new Map<string, StoredEvent[]>();
  const unsorted = new Set<string>();
  const queued = new Map<string, SimFailure[]>();
  const persistent = new Map<string, SimFailure>();
  const admitted = new Map<string, number[]>();
  const requests: SimRequest[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const maxRecorded = options.maxRecordedRequests ?? 10_000;
  let received = 0;
  let seq = 0;
  const trailSet = createTrailSet(options.trailHomeRegion ?? 'us-east-1', now);
  const book = options.book ?? new SimAccountBook();
  const deniedAccounts = new Set<string>();
  /** One Event history (and one quota) per account and region; '' is "no account". */
  const historyKey = (account: string, region: string) => `${account}|${region}`;

  function eventsOf(account: string, region: string): StoredEvent[] {
    const key = historyKey(account, region);
    const events = history.get(key) ?? [];
    if (unsorted.delete(key)) events.sort(compareNewestFirst);
    return events;
  }

  function addRecord(cloudTrailRecord: CloudTrailRecord, opts: AddRecordOptions = {}): string | undefined {
    const stored = buildStoredEvent(cloudTrailRecord, opts, (seq += 1), now());
    const key = historyKey(stored.account, stored.region);
    const events = history.get(key) ?? [];
    events.push(stored);
    history.set(key, events);
    unsorted.add(key);
    return stored.event.EventId;
  }

  function takeFailure(account: string, region: string): SimFailure | undefined {
    // The most specific script first: this account in this region, this account anywhere, the region, any.
    const keys = account === '' ? [region, '*'] : [`${account}/${region}`, `${account}/*`, region, '*'];
    for (const key of keys) {
      const failure = queued.get(key)?.shift();
      if (failure !== undefined) return failure;
    }
    for (const key of keys) {
      const failure = persistent.get(key);
      if (failure !== undefined) return failure;
    }
    return undefined;
  }

  /** Sliding one-second window of admitted LookupEvents calls per account and region (AWS: 2 TPS, not adjustable). */
  function isOverRate(account: string, region: string, at: number): boolean {
    const key = historyKey(account, region);
    const recent = (admitted.get(key) ?? []).filter((t) => t > at - 1000);
    const over = recent.length >= perSecond;
    if (!over) recent.push(at);
    admitted.set(key, recent);
    return over;
  }

  function record(entry: SimRequest): void {
    received += 1;
    requests.push(entry);
    if (requests.length > maxRecorded) requests.splice(0, requests.length - maxRecorded);
    for (const waiter of waiters.filter((w) => received >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }

  function answer(request: SimRequest): { status: number; body: unknown } {
    const { account, region, operation, body, at } = request;
    if (body === undefined) throw new SimServiceError('SerializationException', 400, 'Request body is not valid JSON');
    if (operation !== 'LookupEvents') return answerTrails(region, operation, body, at);
    // Throttling before validation: an invalid request still spends quota (the real order is UNCONFIRMED).
    if (isOverRate(account, region, at)) throw throttlingError(throttleStatus);
    // The account is part of the token's hash: one account's NextToken is refused for another.
    const query = parseLookupRequest(body, account === '' ? region : `${account}/${region}`, at);
    return { status: 200, body: selectPage(eventsOf(account, region), query, at) };
  }

  /** The trail calls: 10 TPS in AWS (API-FACTS A.4), far above what the monitor sends, so never throttled here. */
  function answerTrails(region: string, operation: string, body: unknown, at: number): { status: number; body: unknown } {
    if (trailSet.control.denied) throw failureToError('AccessDeniedException', { operation, region, throttleStatus });
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new SimServiceError('SerializationException', 400, 'Request body must be a JSON object');
    }
    const input = body as Record<string, unknown>;
    const trails = trailSet.trails.values();
    if (operation === 'DescribeTrails') return { status: 200, body: describeTrails(trails, region, input) };
    if (operation === 'GetTrailStatus') return { status: 200, body: trailStatus(findTrail(trails, region, input.Name), at) };
    return { status: 200, body: eventSelectors(findTrail(trails, region, input.TrailName)) };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { text, tooLarge } = await readBody(req);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = OPERATIONS.find((op) => target.endsWith(`.${op}`)) ?? target;
    const { accessKeyId, region } = scopeOf(req.headers.authorization);
    const body = parseJson(text);
    const account = book.accountOf(accessKeyId) ?? '';
    const entry: SimRequest = { region: region ?? '', accessKeyId, account, target, operation, body, status: 0, at: now() };
    record(entry);
    const reply = (status: number, body: unknown) => {
      entry.status = status;
      sendJson(res, status, body, now());
    };
    try {
      if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== '/') {
        throw new SimServiceError('UnknownOperationException', 404, 'Only POST / is served');
      }
      if (tooLarge) throw new SimServiceError('SerializationException', 413, 'Request body is too large');
      if (!region) throw new SimServiceError('MissingAuthenticationTokenException', 400, 'Missing SigV4 credential scope');
      // Scripted failures come first and apply to every operation: a bad token fails DescribeTrails too.
      const expiredAt = options.enforceSessionExpiry === true ? book.sessionOf(accessKeyId)?.expiration : undefined;
      const failure = expiredAt !== undefined && expiredAt <= entry.at ? 'ExpiredTokenException'
        : deniedAccounts.has(account) ? 'AccessDeniedException' : takeFailure(account, region);
      if (failure === 'hang') return; // never answered; close() destroys the socket
      if (failure !== undefined) throw failureToError(failure, { operation, region, throttleStatus, account });
      if (!OPERATIONS.includes(operation)) {
        throw new SimServiceError('UnknownOperationException', 400, `Unknown operation ${target}`);
      }
      const result = answer(entry);
      reply(result.status, result.body);
    } catch (error) {
      if (error instanceof SimServiceError) reply(error.status, error.toBody());
      else reply(500, new SimServiceError('InternalFailure', 500, 'Simulator error').toBody());
    }
  }

  // A client that goes away mid-body makes the handler throw: that socket is dropped, the others served.
  const loopback = await listenOnLoopback(handle, options);

  return {
    url: loopback.url,
    port: loopback.port,
    requests,
    trails: trailSet.control,
    book,
    denyAccount(account, denied = true) {
      if (denied) deniedAccounts.add(account);
      else deniedAccounts.delete(account);
    },
    addRecord,
    addRecords(records, opts = {}) {
      for (const r of records) addRecord(r, opts);
    },
    failNext(region, failure, count = 1) {
      queued.set(region, [...(queued.get(region) ?? []), ...Array<SimFailure>(count).fill(failure)]);
    },
    setRegionFailure(region, failure) {
      if (failure === undefined) persistent.delete(region);
      else persistent.set(region, failure);
    },
    waitForRequests(count) {
      if (received >= count) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ count, resolve }));
    },
    close: () => loopback.close(),
  };
}
