import { makeVisible } from '../slack/visible';

/** Who is writing: the facts every alert email carries so the reader can find the process. */
export interface AlertOrigin {
  host: string;
  program: string;
  pid: number;
  profile: string;
}

export interface AlertFacts {
  kind: string;
  region: string | undefined;
  account: string | undefined;
  /** The principal's ARN, shown after the account (the daemon's own identity, from STS). */
  principal?: string;
  /** Already scrubbed. */
  reason: string;
  /** Already scrubbed. */
  action: string;
}

export interface RecoveryFacts {
  kind: string;
  region: string | undefined;
  /** Already scrubbed. */
  note: string | undefined;
  /** From the open record: when it was first emailed, and why. */
  openedAt: string | undefined;
  reason: string | undefined;
  account?: string | undefined;
  principal?: string;
}

export interface EmailContent {
  subject: string;
  text: string;
}

const PREFIX = '[cloudtrail-slack]';

/**
 * Subject and plain-text body of an alert email. Pure: `now` is passed in. `recovers`: a "recovered" email will
 * follow when the condition clears (false for a notice about something that happened once).
 */
export function formatAlertEmail(
  origin: AlertOrigin,
  alert: AlertFacts,
  now: number,
  cooldownMs: number,
  recovers = true,
): EmailContent {
  const where = describeWhere(alert.kind, alert.region);
  return {
    subject: `${PREFIX} ${where} on ${origin.host}`,
    text: [
      `cloudtrail-slack needs a human: ${where}.`,
      '',
      ...table([
        ['Reason', alert.reason],
        ['What to do', alert.action],
      ]),
      '',
      ...table([
        ['Kind', alert.kind],
        ['Region', alert.region ?? '(not region-specific)'],
        ['AWS profile', origin.profile],
        ['AWS account', describeAccount(alert)],
        ...originRows(origin),
        ['Time', new Date(now).toISOString()],
      ]),
      '',
      ...(recovers
        ? [
            `At most one email per kind and region is sent every ${formatDuration(cooldownMs)}; a "recovered" email`,
            'follows when the daemon sees this condition clear.',
          ]
        : [`At most one email per kind and region is sent every ${formatDuration(cooldownMs)}.`]),
      '',
    ].join('\n'),
  };
}

/** Subject and plain-text body of the one "recovered" email that closes an alert. */
export function formatRecoveredEmail(origin: AlertOrigin, recovery: RecoveryFacts, now: number): EmailContent {
  const where = describeWhere(recovery.kind, recovery.region);
  return {
    subject: `${PREFIX} recovered: ${where} on ${origin.host}`,
    text: [
      `cloudtrail-slack recovered: ${where}.`,
      '',
      ...table([
        ...(recovery.note === undefined ? [] : [['Note', recovery.note] as const]),
        ['Alerted at', recovery.openedAt ?? '(unknown)'],
        ['Reason was', recovery.reason ?? '(unknown)'],
      ]),
      '',
      ...table([
        ['Kind', recovery.kind],
        ['Region', recovery.region ?? '(not region-specific)'],
        ['AWS profile', origin.profile],
        ['AWS account', describeAccount(recovery)],
        ...originRows(origin),
        ['Time', new Date(now).toISOString()],
      ]),
      '',
    ].join('\n'),
  };
}

/** `123456789012 (arn:aws:iam::123456789012:user/x)`, the account alone, or `(unknown)` before STS answered. */
function describeAccount(facts: { account?: string | undefined; principal?: string | undefined }): string {
  if (facts.account === undefined) return '(unknown)';
  return facts.principal === undefined ? facts.account : `${facts.account} (${facts.principal})`;
}

function describeWhere(kind: string, region: string | undefined): string {
  return region === undefined ? kind : `${kind} in ${region}`;
}

function originRows(origin: AlertOrigin): [string, string][] {
  return [
    ['Host', origin.host],
    ['Program', origin.program],
    ['PID', String(origin.pid)],
  ];
}

/** One label column for the whole email, wide enough for the longest label ('AWS account:'). */
const LABEL_WIDTH = 13;

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(LABEL_WIDTH, ...rows.map(([label]) => label.length + 2));
  // Continuation lines of a multi-line value line up under its first line. A value may quote event data (an
  // Event ID, Slack's answer): makeVisible shows its bidi and invisible characters as [U+202E].
  return rows.map(([label, value]) =>
    `${`${label}:`.padEnd(width)}${makeVisible(value.replace(/\r\n/g, '\n'), { keepNewlines: true }).split('\n').join(`\n${' '.repeat(width)}`)}`,
  );
}

function formatDuration(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes >= 1 && Number.isInteger(minutes)) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  const seconds = Math.round(ms / 1000);
  return seconds === 1 ? '1 second' : `${seconds} seconds`;
}
