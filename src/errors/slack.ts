import { DaemonError, FatalError } from '../lib/errors';
import type { Classification } from './classify';

/**
 * Slack's answers to an incoming-webhook POST, classified once (API-FACTS C.1): success is 2xx with the body
 * `ok`; 429 carries Retry-After; some error bodies refuse the webhook itself (a human must act), others refuse
 * only this message (the caller may try a plainer one). The sender acts on SlackAnswer; alerts and logs use
 * classifySlackAnswerAs for the shared Classification shape.
 */

/** Slack kept failing (not refusing) for longer than `giveUpAfterMs`: used by --once so a cron run ends. */
export class SlackUnavailableError extends DaemonError {
  override name = 'SlackUnavailableError';
}

/** Slack refuses the webhook itself (revoked, channel gone or archived): a human must act. */
export class SlackRefusedError extends FatalError {
  override name = 'SlackRefusedError';
  constructor(
    /** Slack's error code, e.g. 'no_service', or 'http_<status>'. */
    readonly reason: string,
    readonly status: number,
  ) {
    super(
      `Slack refused the webhook (HTTP ${status} ${reason}): check that SLACK_WEBHOOK_URL is a live incoming ` +
        `webhook and that its channel still exists and is not archived`,
      'slack-refused',
    );
  }
}

/** Message-specific errors: this payload will never be accepted; the caller may retry a plainer one. */
const MESSAGE_ERRORS = new Set([
  'invalid_payload',
  'no_text',
  'too_many_attachments',
  'invalid_blocks',
  'invalid_blocks_format',
  'msg_blocks_too_long',
]);
/** The webhook itself is refused: no message will go through until a human fixes it (API-FACTS C.1). */
const REFUSED_ERRORS = new Set([
  'channel_not_found',
  'no_service',
  'no_service_id',
  'no_team',
  'team_disabled',
  'invalid_token',
  'action_prohibited',
  'channel_is_archived',
  'posting_to_general_channel_denied',
  'no_active_hooks',
]);
const REFUSED_STATUSES = new Set([401, 403, 404, 410]);

const DEFAULT_RETRY_AFTER_MS = 30_000;
// Slack may disable an app that keeps posting after a 429: obey long waits too, up to an hour.
const MAX_RETRY_AFTER_MS = 60 * 60_000;

/** What one POST's answer means to the sender; `transient` also covers no answer at all (network, timeout). */
export type SlackAnswer =
  | { kind: 'ok'; oddBody?: string }
  | { kind: 'rate-limited'; retryAfterMs: number }
  | { kind: 'message'; status: number; error: string }
  | { kind: 'refused'; status: number; reason: string }
  | { kind: 'transient'; status?: number; error: string };

/** Slack's answer as recorded by the sender's fetch wrapper (the library hides headers: API-FACTS C.5). */
export interface SlackHttpAnswer {
  status: number;
  retryAfter: string | null;
  body: string;
}

/** Success is 2xx AND body exactly `ok`; otherwise the body names the error (API-FACTS C.1). */
export function classifySlackAnswer(response: SlackHttpAnswer, now: number): SlackAnswer {
  const { status } = response;
  const body = response.body.trim().slice(0, 100);
  const ok2xx = status >= 200 && status < 300;
  if (ok2xx && body === 'ok') return { kind: 'ok' };
  if (status === 429) return { kind: 'rate-limited', retryAfterMs: parseRetryAfterMs(response.retryAfter, now) };
  const code = body || `http_${status}`;
  if (REFUSED_ERRORS.has(body)) return { kind: 'refused', status, reason: code };
  if (status >= 500) return { kind: 'transient', status, error: code };
  if (MESSAGE_ERRORS.has(body)) return { kind: 'message', status, error: code };
  // A 2xx with another body (`{"ok":true}`, a proxy's page): Slack took it; a retry could post it twice.
  if (ok2xx) return { kind: 'ok', oddBody: code };
  if (REFUSED_STATUSES.has(status)) return { kind: 'refused', status, reason: code };
  if (status >= 400 && status !== 408) return { kind: 'message', status, error: code };
  // 408 and anything odd (1xx, 3xx): retry with backoff.
  return { kind: 'transient', status, error: code };
}

/** Retry-After as seconds or an HTTP-date, in ms, capped at an hour; missing or unreadable → 30 s. */
export function parseRetryAfterMs(value: string | null | undefined, now: number): number {
  const text = value?.trim() ?? '';
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) ms = Math.ceil(Number(text) * 1000);
  else if (/[a-z]/i.test(text) && !Number.isNaN(Date.parse(text))) ms = Date.parse(text) - now;
  else return DEFAULT_RETRY_AFTER_MS;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}


/** The shared Classification of an answer that is not a success (for alerts, logs and metrics). */
export function classifySlackAnswerAs(answer: Exclude<SlackAnswer, { kind: 'ok' }>): Classification {
  switch (answer.kind) {
    case 'rate-limited':
      return { action: 'back-off', scope: 'webhook', kind: 'slack-rate-limited', reason: 'HTTP 429', escalates: true,
        advice: 'another sender shares this webhook, or the rate is set too high; Retry-After is obeyed' };
    case 'message':
      return { action: 'retry', scope: 'request', kind: 'slack-message-rejected', reason: answer.error, escalates: false,
        advice: 'none: the event is sent again as plain text, then recorded as undeliverable' };
    case 'refused':
      return { action: 'pause-target', scope: 'webhook', kind: 'slack-refused', reason: answer.reason, escalates: false,
        advice: 'check that the incoming webhook still exists and its channel is not archived' };
    default:
      return { action: 'back-off', scope: 'webhook', kind: 'slack-failing', reason: answer.error, escalates: true,
        advice: 'check Slack status and this host\'s network; posting resumes on its own' };
  }
}
