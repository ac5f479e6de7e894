import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { within, type TestContextLike } from './cli-process';

export const SMTP_USER = 'alerts';
export const SMTP_PASSWORD = 'hunter2-smtp-secret';

export interface ReceivedMail {
  /** Envelope sender ('' for a null sender). */
  from: string;
  to: string[];
  /** Headers, unfolded. */
  headers: string;
  /** The whole message as sent (headers and body, before any decoding). */
  raw: string;
  subject: string;
  /** The body, quoted-printable undone. */
  body: string;
}

export interface SmtpServer {
  port: number;
  /** smtp://user:password@127.0.0.1:port */
  url: string;
  received: ReceivedMail[];
  waitForMails(count: number): Promise<void>;
}

/** The real smtp-server on 127.0.0.1 (AUTH PLAIN checked, STARTTLS off: API-FACTS D.2); closed after the test. */
export async function startSmtp(
  t: TestContextLike,
  credentials: { user: string; password: string } = { user: SMTP_USER, password: SMTP_PASSWORD },
): Promise<SmtpServer> {
  const { user, password } = credentials;
  const received: ReceivedMail[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    authMethods: ['PLAIN'],
    disableReverseLookup: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) return callback(null, { user });
      return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const mailFrom = session.envelope.mailFrom;
        received.push({
          from: mailFrom === false ? '' : mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          ...parseMail(Buffer.concat(chunks).toString('utf8')),
        });
        for (const waiter of waiters.filter((w) => received.length >= w.count)) waiter.resolve();
        callback(null, 'Queued');
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    url: `smtp://${user}:${password}@127.0.0.1:${port}`,
    received,
    waitForMails: (count) =>
      within(
        `${count} email(s), ${received.length} received`,
        received.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })),
      ),
  };
}

/** Headers unfolded, body decoded from quoted-printable or base64 when nodemailer chose one. */
function parseMail(raw: string): { raw: string; headers: string; subject: string; body: string } {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  let body = raw.slice(split + 4);
  if (/^content-transfer-encoding:\s*quoted-printable/im.test(headers)) {
    body = Buffer.from(
      body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      'latin1',
    ).toString('utf8');
  } else if (/^content-transfer-encoding:\s*base64/im.test(headers)) {
    body = Buffer.from(body, 'base64').toString('utf8');
  }
  return { raw, headers, subject: /^subject:\s*(.*)$/im.exec(headers)?.[1] ?? '', body: body.replace(/\r\n/g, '\n') };
}
