import pino from 'pino';
import { createMailTransport, describeSmtp } from '../alerts/mailer';
import type { Config } from '../config/types';
import { createSlackSender, SlackRefusedError, SlackUnavailableError } from '../slack/sender';
import { bounded, CheckTimeoutError, fail, ok, skipped, warn, type CheckResult } from './check';
import type { DoctorDeps } from './deps';
import { hostOf } from './endpoint-host';

/**
 * The delivery rows of `doctor`: the SMTP server (nodemailer `verify()`: connect, EHLO, STARTTLS and AUTH as
 * configured, QUIT; API-FACTS D.1) and each Slack webhook (with `--post-test` only: one clearly marked message
 * through the daemon's own sender). Rows name a webhook by its name and host, the SMTP server by host and port:
 * never a URL, a path, a user or a password. Only a webhook Slack refuses is ✗ (the daemon stops on it, exit 77);
 * an SMTP server or a webhook that fails otherwise is ! (the daemon runs: it logs the alert, or retries the post).
 */

/** The test message's first words (then the webhook's name, this host and the time). */
export const TEST_MESSAGE = 'cloudtrail-slack doctor: test message, ignore';

/**
 * ! when no SMTP URL is configured; else nodemailer `verify()` bounded by `deps.timeoutMs` (the transport's own
 * connect and greeting limits too: src/alerts/mailer.ts), ! when it fails (alerts are then only logged).
 * Never throws; the transport is closed afterwards.
 */
export async function checkSmtp(config: Config, deps: DoctorDeps): Promise<CheckResult> {
  const name = 'alert email';
  const { smtpUrl, to } = config.email;
  if (smtpUrl === undefined) {
    return warn(name, 'no alert email: nobody is told when the daemon is unwell',
      'set email.smtpUrl (or SMTP_URL) and email.to (or ALERT_EMAIL_TO) in the config file or environment');
  }
  const server = describeSmtp(smtpUrl);
  const transport = createMailTransport(smtpUrl, { timeoutMs: deps.timeoutMs });
  try {
    await bounded(deps.timeoutMs, deps.clock, () => transport.verify());
    return ok(name, `${server} accepted the connection${hasLogin(smtpUrl) ? ' and the login' : ''}; alerts go to ${to.join(', ')}`);
  } catch (error) {
    return warn(name, `${server}: ${describeSmtpError(error)}; alerts would only be logged`, smtpAdvice(error));
  } finally {
    transport.close();
  }
}

function hasLogin(smtpUrl: string): boolean {
  try {
    return new URL(smtpUrl).username !== '';
  } catch {
    return false;
  }
}

interface SmtpErrorLike {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  message?: unknown;
}

/** nodemailer's error as one line (API-FACTS D.1: code, responseCode, response); scrubbed by the command. */
function describeSmtpError(error: unknown): string {
  if (error instanceof CheckTimeoutError) return `the server did not finish the handshake: ${error.message}`;
  const e = (error ?? {}) as SmtpErrorLike;
  const code = typeof e.code === 'string' ? e.code : 'error';
  const response = typeof e.response === 'string' ? e.response : typeof e.message === 'string' ? e.message : String(error);
  return `${code}: ${response.replace(/\s+/g, ' ').slice(0, 200)}`;
}

function smtpAdvice(error: unknown): string {
  const code = (error as SmtpErrorLike | undefined)?.code;
  if (code === 'EAUTH') return 'check the user and password in email.smtpUrl (SMTP_URL); percent-encode special characters';
  if (code === 'ETLS' || code === 'ESOCKET' && /certificate|TLS|SSL/i.test(String((error as SmtpErrorLike).message))) {
    return 'check the TLS settings: smtps:// for port 465, smtp:// with STARTTLS for 587 (URL options such as ?requireTLS=true)';
  }
  return 'check the host and port in email.smtpUrl (SMTP_URL) and that this machine may reach it (firewall, proxy)';
}

/** One row per webhook, in the config's order: posted (with --post-test) or said to be not posted. */
export async function checkWebhooks(config: Config, deps: DoctorDeps): Promise<CheckResult[]> {
  const names = Object.keys(config.slack.webhooks);
  if (!deps.postTest) {
    return names.map((webhook) =>
      skipped(`webhook ${webhook}`, 'not posted (doctor posts only when asked)', 'run doctor --post-test to post one test message to it'));
  }
  // All at once, so hanging webhooks cost one limit, not one each: Slack's 1 message/s is per webhook (API-FACTS C.1).
  return Promise.all(names.map((webhook) => postTest(webhook, config.slack.webhooks[webhook] ?? '', deps)));
}

async function postTest(webhook: string, url: string, deps: DoctorDeps): Promise<CheckResult> {
  const name = `webhook ${webhook}`;
  const host = hostOf(url) ?? 'the webhook\'s host';
  const baseFetch = deps.fetch ?? globalThis.fetch;
  let answered: number | undefined;
  // Records whether any HTTP answer came back: "could not reach" only when none did.
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await baseFetch(input, init);
    answered = response.status;
    return response;
  };
  const sender = createSlackSender({
    webhookUrl: url,
    clock: deps.clock,
    log: pino({ level: 'silent' }),
    fetch: recordingFetch,
    requestTimeoutMs: deps.timeoutMs,
    // One attempt: a refusal throws, and so does the first 5xx, network error or 429 (no waiting for a retry).
    onRefused: 'throw',
    giveUpAfterMs: 0,
  });
  const text = `${TEST_MESSAGE} (webhook ${webhook}, from ${deps.host}, ${new Date(deps.clock.now()).toISOString()})`;
  try {
    const outcome = await bounded(deps.timeoutMs, deps.clock, (signal) => sender.send({ text }, signal));
    if (outcome.delivered) return ok(name, 'Slack accepted the test message');
    return warn(name, `Slack rejected the test message: ${outcome.error}`, 'check that the URL is an incoming webhook (https://hooks.slack.com/services/…)');
  } catch (error) {
    if (error instanceof SlackRefusedError) {
      return fail(name, `Slack refused the webhook (HTTP ${error.status} ${error.reason})`,
        'the webhook was revoked or its channel is gone or archived: create a new incoming webhook and put its URL in the config');
    }
    if (sender.stats().rateLimited > 0) {
      return warn(name, 'Slack answered 429 (rate limited); the test message was not posted', 'run doctor --post-test again in a minute');
    }
    const retries = '; the daemon retries with backoff';
    if (error instanceof SlackUnavailableError) {
      const reason = /\((.*)\); giving up/.exec(error.message)?.[1] ?? error.message;
      return answered === undefined
        ? warn(name, `could not reach ${host} (${reason})${retries}`, `check network access to ${host} (proxy, firewall)`)
        : warn(name, `${host} answered HTTP ${answered} (${reason})${retries}`, 'run doctor --post-test again; if it persists, check Slack\'s status page');
    }
    if (error instanceof CheckTimeoutError) {
      return warn(name, `${host} did not answer: ${error.message}${retries}`, `check network access to ${host} (proxy, firewall)`);
    }
    throw error;
  }
}
