import type { Classification } from './classify';

/**
 * An alert email's failure, classified by nodemailer's error `code` (API-FACTS D.1: EAUTH, EENVELOPE, ESOCKET,
 * ETIMEDOUT, …). An email that cannot go out never stops the daemon: the alert stays in the log, and the next
 * alert tries again; so every action here is a back-off of this one request, and the advice says what to fix.
 */
export function classifySmtpError(error: unknown): Classification {
  const e = (error ?? {}) as { code?: unknown; responseCode?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  // The message may quote the server's answer, never the password (nodemailer does not echo AUTH); keep it short.
  const reason = `${code || 'error'}${typeof e.responseCode === 'number' ? ` ${e.responseCode}` : ''}: ${String(e.message ?? error).slice(0, 200)}`;
  const base = { action: 'back-off' as const, scope: 'request' as const, reason, escalates: false };
  switch (code) {
    case 'EAUTH':
    case 'ENOAUTH':
      return { ...base, kind: 'smtp-auth', advice: 'check the user and password in SMTP_URL (email.smtpUrl)' };
    case 'EENVELOPE':
      return { ...base, kind: 'smtp-rejected', advice: 'check ALERT_EMAIL_TO and ALERT_EMAIL_FROM: the server refused them' };
    case 'ETLS':
      return { ...base, kind: 'smtp-tls', advice: 'check the SMTP server\'s TLS settings (smtps:// or STARTTLS on port 587)' };
    case 'ESOCKET':
    case 'ECONNECTION':
    case 'ETIMEDOUT':
    case 'EDNS':
      return { ...base, kind: 'smtp-unreachable', advice: 'check the host and port in SMTP_URL and this host\'s network access to it' };
    default:
      return { ...base, kind: 'smtp-failed', advice: 'read the SMTP server\'s answer above; alerts stay in the daemon log meanwhile' };
  }
}
