import { LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { createCloudTrailClient, type AwsCredentials } from '../aws/clients';
import type { LookupEvent } from '../events/parse';
import { addLenientEventTimes } from './lenient-answer';

/** The LookupEvents port: one page of write events in [start, end] (ms epoch, inclusive), newest first. */
export interface LookupClient {
  lookupEvents(
    input: { start: number; end: number; nextToken?: string },
    signal?: AbortSignal,
  ): Promise<{ events: LookupEvent[]; nextToken?: string }>;
  /**
   * How far the service's clock (its `Date` header) is ahead of ours, in ms; 0 until known or when under
   * CLOCK_SKEW_FLOOR_MS. Windows are planned in the service's time: a local clock running fast would otherwise
   * eat into the settle window and lose late events without a word.
   */
  serverClockOffsetMs?(): number;
}

/** Offsets below this are noise (the Date header has whole seconds, and the request takes time). */
export const CLOCK_SKEW_FLOOR_MS = 5_000;

/** The SDK adapter also owns sockets (keep-alive agent): destroy() it at shutdown. */
export interface AwsLookupClient extends LookupClient {
  readonly region: string;
  destroy(): void;
}

export interface LookupClientOptions {
  region: string;
  /** A profile in ~/.aws/credentials or config; without it (and without `credentials`) the SDK default chain. */
  profile?: string;
  /** A local endpoint (tests, demo); else AWS (or AWS_ENDPOINT_URL_CLOUDTRAIL, read by the SDK). */
  endpoint?: string;
  credentials?: AwsCredentials;
  /** Connect, wait-for-response and idle-socket limit per request. Default 30 s. */
  requestTimeoutMs?: number;
  /** Our clock, to compare with the service's `Date` header; default Date.now. */
  now?: () => number;
  /** MaxResults per page, 1–50 (API-FACTS A.2); default 50. `doctor` asks for 1: it only needs an answer. */
  pageSize?: number;
}

/** LookupEvents' maximum page size (API-FACTS A.2): fewest requests against the 2 TPS quota. */
const PAGE_SIZE = 50;

/** Builds the AWS SDK client for one region and wraps it in the LookupClient port. */
export function createLookupClient(options: LookupClientOptions): AwsLookupClient {
  // Credentials, timeouts and "no SDK retries: the poller owns them" are src/aws/clients.ts's, shared by every client.
  const client = createCloudTrailClient(options);

  addLenientEventTimes(client); // one odd EventTime must not make the SDK reject the whole page
  const now = options.now ?? Date.now;
  const pageSize = options.pageSize ?? PAGE_SIZE;
  let serverOffset = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const date = (result.response as { headers?: Record<string, string> } | undefined)?.headers?.date;
      const serverTime = date === undefined ? Number.NaN : Date.parse(date);
      if (Number.isFinite(serverTime)) {
        const offset = serverTime - now();
        serverOffset = Math.abs(offset) < CLOCK_SKEW_FLOOR_MS ? 0 : offset;
      }
      return result;
    },
    { step: 'deserialize', name: 'cloudtrailSlackServerClock' },
  );

  return {
    region: options.region,
    serverClockOffsetMs: () => serverOffset,
    async lookupEvents(input, signal) {
      // A fresh input every call: the SDK paginator mutates its input, a stale NextToken must never leak.
      const command = new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'false' }],
        MaxResults: pageSize,
        StartTime: new Date(input.start),
        EndTime: new Date(input.end),
        ...(input.nextToken ? { NextToken: input.nextToken } : {}),
      });
      const output = await client.send(command, { abortSignal: signal });
      return {
        events: output.Events ?? [],
        ...(output.NextToken ? { nextToken: output.NextToken } : {}),
      };
    },
    destroy: () => client.destroy(),
  };
}

export type AwsErrorKind =
  | 'throttled'
  | 'transient'
  | 'unrecognized-client'
  | 'expired-token'
  | 'no-credentials'
  | 'access-denied'
  | 'invalid-next-token'
  | 'invalid-time-range'
  | 'aborted'
  | 'fatal-other';

/** The SDK's throttling names (API-FACTS B.3, @smithy/core retry). */
const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ThrottledException',
  'SlowDown',
  'LimitExceededException',
  'ProvisionedThroughputExceededException',
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
  'TransactionInProgressException',
]);
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const KIND_BY_NAME: Record<string, AwsErrorKind> = {
  UnrecognizedClientException: 'unrecognized-client',
  InvalidClientTokenId: 'unrecognized-client', // STS's name for it (K.2)
  AuthFailure: 'unrecognized-client', // EC2's (DescribeRegions, K.7)
  ExpiredTokenException: 'expired-token',
  ExpiredToken: 'expired-token',
  // The SDK's credential chain found nothing usable (missing profile, no keys, no instance role).
  CredentialsProviderError: 'no-credentials',
  AccessDeniedException: 'access-denied',
  AccessDenied: 'access-denied',
  InvalidNextTokenException: 'invalid-next-token',
  InvalidNextToken: 'invalid-next-token',
  InvalidTimeRangeException: 'invalid-time-range',
  InvalidTimeRange: 'invalid-time-range',
  AbortError: 'aborted',
  ShutdownRequested: 'aborted',
};

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** A Node network failure anywhere in the cause chain (AggregateError from dual-stack connects included). */
function hasNetworkCode(error: unknown, depth = 0): boolean {
  if (depth > 5 || error === null || typeof error !== 'object') return false;
  const e = error as ErrorLike;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => hasNetworkCode(inner, depth + 1))) return true;
  return hasNetworkCode(e.cause, depth + 1);
}

/**
 * The one place that decides what a LookupEvents failure means. Callers decide what to do: retry
 * (throttled, transient), skip a region (unrecognized-client in one opt-in region), or stop (the rest).
 */
export function classifyAwsError(error: unknown): AwsErrorKind {
  if (error === null || typeof error !== 'object') return 'fatal-other';
  const e = error as ErrorLike;
  const name = typeof e.name === 'string' ? e.name : '';
  const status = e.$metadata?.httpStatusCode;
  // A credential provider that could not reach IMDS, SSO or STS is a network problem, not missing credentials.
  if (name === 'CredentialsProviderError' && hasNetworkCode(error)) return 'transient';
  const known = KIND_BY_NAME[name];
  if (known) return known;
  if (THROTTLING_NAMES.has(name) || status === 429 || e.$retryable?.throttling) return 'throttled';
  if (TRANSIENT_NAMES.has(name) || (status !== undefined && status >= 500 && status <= 599)) return 'transient';
  if (hasNetworkCode(error)) return 'transient';
  if (status === 403) return 'access-denied';
  return 'fatal-other';
}

/** Long base64-like runs (secret keys, session tokens, signatures) and access key IDs. */
const SECRET_PATTERN = /[A-Za-z0-9+/=_-]{40,}|\b(?:AKIA|ASIA|AKID)[A-Z0-9]{8,}\b/g;
const MAX_DESCRIPTION = 300;

/**
 * One line for logs and alert emails: name, HTTP status, message. Credentials never appear: the SDK's messages
 * can quote a canonical request (SignatureDoesNotMatch), so anything key- or token-shaped is masked.
 */
export function describeAwsError(error: unknown): string {
  const e = (error ?? {}) as ErrorLike & { message?: unknown };
  const name = typeof e.name === 'string' && e.name !== '' ? e.name : 'Error';
  const message = error instanceof Error || typeof e.message === 'string' ? String(e.message) : String(error);
  const status = e.$metadata?.httpStatusCode;
  const code = typeof e.code === 'string' && !message.includes(e.code) ? ` ${e.code}` : '';
  const text = `${name}${status ? ` (HTTP ${status})` : ''}${code}: ${message}`
    .replace(/\s+/g, ' ')
    .replace(SECRET_PATTERN, '[redacted]')
    .trim();
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION - 1)}…` : text;
}
