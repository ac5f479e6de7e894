import pino, { type Logger } from 'pino';

export type { Logger };

/** Paths pino censors wherever they appear in a log object. Free-text messages are not redacted: keep secrets out. */
export const REDACT_PATHS = [
  'webhookUrl',
  '*.webhookUrl',
  'smtpUrl',
  '*.smtpUrl',
  'slack.webhookUrl',
  'email.smtpUrl',
  'password',
  '*.password',
  'pass',
  '*.pass',
  'secretAccessKey',
  '*.secretAccessKey',
  'sessionToken',
  '*.sessionToken',
  'authorization',
  '*.authorization',
];

export interface LoggerOptions {
  level?: string;
  /** Where JSON lines go; default stdout. */
  destination?: pino.DestinationStream;
}

/** Builds the one pino logger; children add `region`, `eventId`, … */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
