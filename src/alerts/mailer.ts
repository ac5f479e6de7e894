import { createTransport, type Transporter } from 'nodemailer';
import type { SMTPSentMessageInfo } from 'nodemailer';
import { ConfigError } from '../lib/errors';

/** nodemailer's defaults (2 min to connect, 30 s for the greeting, 10 min of socket silence) would hold a
 * fatal exit for minutes; an alert that cannot go out in seconds will not go out at all. */
export const DEFAULT_SMTP_TIMEOUT_MS = 20_000;
const CONNECT_TIMEOUT_CAP_MS = 10_000;

export interface MailTransportOptions {
  /** Upper bound on socket inactivity; connecting and the greeting get min(this, 10 s). Default 20 s. */
  timeoutMs?: number;
}

/**
 * Builds a nodemailer SMTP transporter from a connection URL such as `smtp://user:pass@mail.example.com:587`
 * or `smtps://…:465`. nodemailer reads the URL itself: user and password (percent-decoded), `smtps:` → TLS from
 * the start, `smtp:` → STARTTLS when the server offers it, and query options such as `?ignoreTLS=true`,
 * `?requireTLS=true` or `?tls.rejectUnauthorized=false`. Throws ConfigError (without the URL) if the URL is not
 * an smtp(s) URL with a host.
 */
export function createMailTransport(
  smtpUrl: string,
  options: MailTransportOptions = {},
): Transporter<SMTPSentMessageInfo> {
  parseSmtpUrl(smtpUrl);
  const timeoutMs = Math.max(1, options.timeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS);
  const connectMs = Math.min(CONNECT_TIMEOUT_CAP_MS, timeoutMs);
  // Options given in the URL's query win over these (nodemailer merges the parsed URL last).
  return createTransport({
    url: smtpUrl,
    connectionTimeout: connectMs,
    greetingTimeout: connectMs,
    dnsTimeout: connectMs,
    socketTimeout: timeoutMs,
    logger: false,
    debug: false,
  });
}

/** `smtp://mail.example.com:587`: scheme, host and port only, never the user or password. For logs. */
export function describeSmtp(smtpUrl: string | undefined): string {
  if (smtpUrl === undefined) return '(none)';
  try {
    const url = parseSmtpUrl(smtpUrl);
    const secure = url.protocol === 'smtps:';
    const port = url.port === '' ? (secure ? 465 : 587) : Number(url.port);
    return `${url.protocol}//${url.hostname}:${port}`;
  } catch {
    return '(invalid smtp url)';
  }
}

function parseSmtpUrl(smtpUrl: string): URL {
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    // The message must not quote the URL: it may hold the password.
    throw new ConfigError('SMTP_URL (email.smtpUrl) is not a URL; expected smtp://user:pass@host:587 or smtps://…');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    // Not even the scheme is quoted: in `user:pass@host` (scheme forgotten) it would be the user name.
    throw new ConfigError('SMTP_URL (email.smtpUrl) must start with smtp:// or smtps://');
  }
  if (url.hostname === '') {
    throw new ConfigError('SMTP_URL (email.smtpUrl) has no host; expected smtp://user:pass@host:587');
  }
  return url;
}
