import { IncomingWebhook, type FetchFunction, type IncomingWebhookSendArguments } from '@slack/webhook';
import { backoffDelay } from '../lib/backoff';
import { createScrubber } from '../alerts/scrub';
import type { Clock } from '../lib/clock';
import { createRateLimiter } from '../lib/rate-limiter';
import type { Logger } from '../logging/logger';
import type { SlackMessage } from './types';
import { classifySlackAnswer, SlackRefusedError, SlackUnavailableError, type SlackAnswer } from '../errors/slack';

export { parseRetryAfterMs, SlackRefusedError, SlackUnavailableError } from '../errors/slack';
import type { SlackOutcome } from '../observability/telemetry';

/**
 * The one queue per webhook: serialises every caller, paces to Slack's 1 message/s, obeys Retry-After, backs
 * off on 5xx and network errors, and tells a bad message (caller's problem) from a refused webhook (a human's).
 * This layer owns every Slack retry (DESIGN principle 3); @slack/webhook runs with retries: 0.
 */

/** `printed`: the --dry-run sender wrote the payload out instead of posting it (so no log may say "posted"). */
export type SendOutcome = { delivered: true; printed?: true } | { delivered: false; error: string };

export interface SenderStats {
  /** Messages Slack accepted. */
  sent: number;
  /** Extra attempts of a message already tried (after a 429, 5xx, network error or refusal). */
  retries: number;
  /** 429 answers received. */
  rateLimited: number;
}

export interface SenderStatus {
  healthy: boolean;
  reason?: string;
  kind?: string;
}

export interface SlackSender {
  /**
   * Queues `message` behind earlier ones. `signal` (the daemon's stop) cancels waiting at once; a request already
   * sent gets `stopGraceMs` more to be answered, then is abandoned. Either way the promise rejects with the
   * signal's reason: the message counts as not delivered (it is read and posted again after a restart).
   */
  send(message: SlackMessage, signal?: AbortSignal): Promise<SendOutcome>;
  stats(): SenderStats;
}

export interface SlackSenderOptions {
  webhookUrl: string;
  clock: Clock;
  log: Logger;
  fetch?: typeof fetch;
  /** Slack: "no more than one message per second" per webhook (API-FACTS C.1). */
  messagesPerSecond?: number;
  /** One POST's bound, answer included (API-FACTS C.5: @slack/webhook's `timeout`, default none). Default 15 s. */
  requestTimeoutMs?: number;
  /**
   * After the stop signal, how long a POST already sent may still take (wall clock, like requestTimeoutMs), so
   * that a slow Slack never outlives the shutdown budget (`shutdownTimeoutSeconds`). Default 0: abandoned at once.
   */
  stopGraceMs?: number;
  /** 'wait' blocks the queue while Slack refuses the webhook; 'throw' (--once) raises SlackRefusedError. */
  onRefused?: 'wait' | 'throw';
  refusedRetryMs?: number;
  /** Cap of the exponential backoff after 5xx / network errors. */
  maxBackoffMs?: number;
  /** First backoff step; doubles per failure up to maxBackoffMs. Default 1 s. */
  backoffBaseMs?: number;
  /** Jitter source in [0, 1); default Math.random. */
  random?: () => number;
  /** Failing (5xx, network, 429s) this long reports `slack-failing` through onStatusChange. Default 15 min. */
  unhealthyAfterMs?: number;
  /** Failing this long throws SlackUnavailableError instead of retrying on (--once). Default: never. */
  giveUpAfterMs?: number;
  onStatusChange?: (status: SenderStatus) => void;
  /** Called each time Slack accepts a message: the evidence that ends a slack-refused or slack-failing alert. */
  onAccepted?: () => void;
  /** Told each POST's outcome, retries included (cloudtrail_slack_slack_messages_total{webhook,outcome}). */
  onAttempt?: (outcome: SlackOutcome) => void;
}

/** A POST's answer as the telemetry port names it: a 429 is rate_limited; a bad message or webhook refused. */
const SLACK_OUTCOME: Record<SlackAnswer['kind'], SlackOutcome> = {
  ok: 'ok',
  'rate-limited': 'rate_limited',
  message: 'refused',
  refused: 'refused',
  transient: 'error',
};

interface Job {
  message: SlackMessage;
  signal?: AbortSignal;
  resolve: (outcome: SendOutcome) => void;
  reject: (reason: unknown) => void;
  onAbort?: () => void;
}

export function createSlackSender(options: SlackSenderOptions): SlackSender {
  const { clock, log } = options;
  // Slack: 1 message/s per webhook; every attempt, retries included, takes a turn.
  const pace = createRateLimiter({ perSecond: options.messagesPerSecond ?? 1, clock });
  const refusedRetryMs = options.refusedRetryMs ?? 5 * 60_000;
  const maxBackoffMs = options.maxBackoffMs ?? 5 * 60_000;
  const backoffBaseMs = options.backoffBaseMs ?? 1000;
  const random = options.random ?? Math.random;
  // The webhook URL is the secret: it, its path and its token, in every encoding (alerts/scrub.ts secretVariants).
  const scrub = createScrubber([options.webhookUrl]);
  const counters: SenderStats = { sent: 0, retries: 0, rateLimited: 0 };
  const queue: Job[] = [];
  let draining = false;
  let refused: string | undefined;
  // Since when posts have been failing (5xx, network, 429), and whether that was reported.
  let failingSince: number | undefined;
  let failingReported = false;
  const unhealthyAfterMs = options.unhealthyAfterMs ?? 15 * 60_000;

  // The library hides response headers (API-FACTS C.5): this wrapper keeps status, Retry-After and body.
  const baseFetch = options.fetch ?? globalThis.fetch;
  let lastResponse: { status: number; retryAfter: string | null; body: string } | undefined;
  // The POST in flight, cut short once the stop's grace has run out (see post()).
  let cut: AbortSignal | undefined;
  const recordingFetch: FetchFunction = async (url, init) => {
    const request = init as RequestInit;
    const signals = [request.signal, cut].filter((s): s is AbortSignal => s instanceof AbortSignal);
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
    // The signal covers the body too: a Slack that sends headers and then stalls is cut as well.
    const response = await baseFetch(url, { ...request, ...(signal ? { signal } : {}) });
    const body = await response.text();
    lastResponse = { status: response.status, retryAfter: response.headers.get('retry-after'), body };
    return {
      ok: response.ok,
      status: response.status,
      statusText: response.statusText,
      url: '',
      headers: response.headers,
      text: async () => body,
      json: async () => JSON.parse(body) as unknown,
      arrayBuffer: async () => new TextEncoder().encode(body).buffer as ArrayBuffer,
    };
  };
  const webhook = new IncomingWebhook(options.webhookUrl, {
    fetch: recordingFetch,
    timeout: options.requestTimeoutMs ?? 15_000,
    retryConfig: { retries: 0 },
  });

  /**
   * One POST. A stop (`signal`) while it is in flight leaves it `stopGraceMs` to be answered, then abandons it and
   * throws the stop's reason: what Slack has not confirmed is not committed (at-least-once: posted again later).
   */
  async function post(message: SlackMessage, signal?: AbortSignal): Promise<SlackAnswer> {
    lastResponse = undefined;
    const stopCut = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const onStop = () => {
      // Wall clock, like the request timeout: this bounds a socket, and the shutdown watchdog is wall clock too.
      timer = setTimeout(() => stopCut.abort(signal?.reason), options.stopGraceMs ?? 0);
      timer.unref();
    };
    if (signal?.aborted) onStop();
    else signal?.addEventListener('abort', onStop, { once: true });
    cut = stopCut.signal;
    let failure: unknown;
    try {
      await webhook.send(message as IncomingWebhookSendArguments);
    } catch (error) {
      failure = error;
    } finally {
      cut = undefined;
      signal?.removeEventListener('abort', onStop);
      clearTimeout(timer);
    }
    if (lastResponse) return classifySlackAnswer(lastResponse, clock.now());
    if (stopCut.signal.aborted) {
      log.warn({ graceMs: options.stopGraceMs ?? 0 }, 'slack did not answer before the stop; the message counts as not delivered');
      throw signal?.reason ?? stopCut.signal.reason;
    }
    return { kind: 'transient', error: scrub(describeFailure(failure)) };
  }

  function setStatus(status: SenderStatus): void {
    notify(() => options.onStatusChange?.(status));
  }

  /** A listener's failure is logged, never allowed to fail a delivery. */
  function notify(listener: () => void): void {
    try {
      listener();
    } catch (error) {
      log.warn({ error: scrub(String(error)) }, 'slack status listener failed');
    }
  }

  /** Tracks a run of failures: reports it once it lasts, and gives up (--once) when told to. */
  function noteFailing(reason: string): void {
    const now = clock.now();
    failingSince ??= now;
    const givingUp = options.giveUpAfterMs !== undefined && now - failingSince >= options.giveUpAfterMs;
    if (!failingReported && now - failingSince >= unhealthyAfterMs) {
      failingReported = true;
      log.error({ failingForMs: now - failingSince, reason }, givingUp ? 'slack has been failing; giving up this pass' : 'slack has been failing; still retrying');
      setStatus({ healthy: false, kind: 'slack-failing', reason });
    }
    if (givingUp) {
      throw new SlackUnavailableError(`Slack kept failing for ${Math.round((now - failingSince) / 1000)} s (${reason}); giving up this pass`);
    }
  }

  function noteHealthy(attempt: number): void {
    failingSince = undefined;
    if (failingReported) {
      failingReported = false;
      log.info({ attempt }, 'slack accepts messages again');
      setStatus({ healthy: true, kind: 'slack-failing' });
    }
    if (refused !== undefined) {
      log.info({ attempt }, 'slack accepted the webhook again');
      refused = undefined;
      setStatus({ healthy: true, kind: 'slack-refused' });
    }
  }

  async function deliver(message: SlackMessage, signal?: AbortSignal): Promise<SendOutcome> {
    let failures = 0;
    for (let attempt = 1; ; attempt += 1) {
      await pace.take(signal);
      signal?.throwIfAborted();
      if (attempt > 1) counters.retries += 1;
      const result = await post(message, signal);
      notify(() => options.onAttempt?.(SLACK_OUTCOME[result.kind]));
      switch (result.kind) {
        case 'ok':
          counters.sent += 1;
          noteHealthy(attempt);
          notify(() => options.onAccepted?.());
          if (result.oddBody !== undefined) {
            // A 2xx is Slack taking the message; retrying it could post it twice. Note the odd answer instead.
            log.warn({ body: scrub(result.oddBody) }, 'slack answered 2xx with an unexpected body; counted as delivered');
          }
          log.debug({ attempt }, 'slack message delivered');
          return { delivered: true };
        case 'message':
          // The caller decides what to do (retry plain, record undeliverable) and reports it.
          log.debug({ status: result.status, error: scrub(result.error) }, 'slack rejected the message');
          return { delivered: false, error: scrub(result.error) };
        case 'rate-limited':
          counters.rateLimited += 1;
          noteFailing('rate limited (429)');
          log.warn({ status: 429, retryAfterMs: result.retryAfterMs, attempt }, 'slack rate limited; waiting');
          await clock.sleep(result.retryAfterMs, signal);
          break;
        case 'refused': {
          const reason = scrub(result.reason);
          if (refused === undefined) {
            refused = reason;
            setStatus({ healthy: false, kind: 'slack-refused', reason });
            if (options.onRefused !== 'throw') {
              log.error({ status: result.status, reason, retryInMs: refusedRetryMs }, 'slack refused the webhook');
            }
          } else {
            log.debug({ status: result.status, reason, attempt }, 'slack still refuses the webhook');
          }
          if (options.onRefused === 'throw') throw new SlackRefusedError(reason, result.status);
          await clock.sleep(refusedRetryMs, signal);
          break;
        }
        case 'transient': {
          failures += 1;
          noteFailing(scrub(result.error));
          const delayMs = backoffDelay(failures, { baseMs: backoffBaseMs, capMs: maxBackoffMs, random });
          log.warn({ status: result.status, error: scrub(result.error), attempt, delayMs }, 'slack post failed; backing off');
          await clock.sleep(delayMs, signal);
          break;
        }
      }
    }
  }

  async function drain(): Promise<void> {
    if (draining) return;
    draining = true;
    try {
      for (let job = queue.shift(); job; job = queue.shift()) {
        if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
        try {
          job.resolve(await deliver(job.message, job.signal));
        } catch (error) {
          job.reject(error);
        }
      }
    } finally {
      draining = false;
    }
  }

  return {
    send(message, signal) {
      return new Promise<SendOutcome>((resolve, reject) => {
        if (signal?.aborted) return reject(signal.reason);
        const job: Job = { message, signal, resolve, reject };
        if (signal) {
          // Leaving the queue before our turn: the message was never sent.
          job.onAbort = () => {
            const index = queue.indexOf(job);
            if (index === -1) return;
            queue.splice(index, 1);
            reject(signal.reason);
          };
          signal.addEventListener('abort', job.onAbort, { once: true });
        }
        queue.push(job);
        void drain();
      });
    },
    stats: () => ({ ...counters }),
  };
}

/** --dry-run: each message as one JSON line; nothing is posted. */
export function createDryRunSender(write: (line: string) => void): SlackSender {
  let sent = 0;
  return {
    send: async (message, signal) => {
      signal?.throwIfAborted();
      write(`${JSON.stringify(message)}\n`);
      sent += 1;
      return { delivered: true, printed: true };
    },
    stats: () => ({ sent, retries: 0, rateLimited: 0 }),
  };
}

function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown error';
  const original = (error as { original?: unknown }).original;
  const cause = original instanceof Error ? original : error;
  if (cause.name === 'TimeoutError') return 'timeout';
  const code = (cause.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : cause.message;
}
