import pino, { type Logger } from 'pino';
import { createScrubber } from '../alerts/scrub';

export type { Logger };

/**
 * Paths pino censors wherever they appear in a log object. Everything else, free text included, passes the
 * scrubber (alerts/scrub.ts) before it is written: the known secrets by value, and the secret patterns.
 */
export const REDACT_PATHS = [
  'webhookUrl',
  '*.webhookUrl',
  'smtpUrl',
  '*.smtpUrl',
  'slack.webhookUrl',
  'slack.webhooks',
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
  'awsSecrets',
  '*.awsSecrets',
];

export interface LoggerOptions {
  level?: string;
  /** Where JSON lines go; default stdout. */
  destination?: pino.DestinationStream;
  /** Values masked wherever they appear in a line, in any encoding (alerts/scrub.ts knownSecretsOf(config)). */
  secrets?: readonly (string | undefined)[];
}

/** Builds the one pino logger; children add `region`, `eventId`, … */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      hooks: { streamWrite: createLineScrubber(options.secrets ?? []) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/**
 * Scrubs one serialized log line: every string in it (message, fields, the serialized error with its stack) as
 * the text it stands for, so a secret is found whatever JSON escaping it got, and the line stays JSON. Costs a
 * parse and a stringify per line: nothing for a daemon that logs a few lines a minute.
 */
function createLineScrubber(secrets: readonly (string | undefined)[]): (line: string) => string {
  const scrub = createScrubber(secrets);
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return scrub(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, walk(inner)]));
    }
    return value;
  };
  return (line) => {
    try {
      return `${JSON.stringify(walk(JSON.parse(line)))}\n`;
    } catch {
      return scrub(line); // not JSON (never from pino itself): the text as it is
    }
  };
}
