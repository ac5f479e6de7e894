import { makeVisible } from '../slack/visible';
import { describeAccount as nameAccount, parseAlertKey } from '../targets/target';

/** Who is writing: the facts every alert email carries so the reader can find the process. */
export interface AlertOrigin {
  host: string;
  program: string;
  pid: number;
  profile: string;
}

export interface AlertFacts {
  kind: string;
  /** The target key (a region for the daemon's own account, `<account-id>/<region>` for another), if any. */
  region: string | undefined;
  /** The name of the target key's account (AccountDirectory), when known: untrusted text. */
  accountName?: string;
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
  /** As AlertFacts.region. */
  region: string | undefined;
  accountName?: string;
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
  const where = describeWhere(alert.kind, alert);
  return {
    subject: `${PREFIX} ${oneLine(where)} on ${origin.host}`,
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
        ...regionRow(alert.region),
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
  const where = describeWhere(recovery.kind, recovery);
  return {
    subject: `${PREFIX} recovered: ${oneLine(where)} on ${origin.host}`,
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
        ...regionRow(recovery.region),
        ['AWS profile', origin.profile],
        ['AWS account', describeAccount(recovery)],
        ...originRows(origin),
        ['Time', new Date(now).toISOString()],
      ]),
      '',
    ].join('\n'),
  };
}

type WhereFacts = { region?: string | undefined; accountName?: string | undefined };

/**
 * The target key's account, "prod (123456789012)" or the ID (issue 10); undefined for a key that is a region (the
 * daemon's own account) or no key at all.
 */
function targetAccount(facts: WhereFacts): string | undefined {
  const account = facts.region === undefined ? undefined : parseAlertKey(facts.region).account;
  // A name is untrusted text: one line, its invisible characters shown (makeVisible), wherever it is written.
  return account === undefined ? undefined : nameAccount(account, facts.accountName === undefined ? undefined : makeVisible(facts.accountName));
}

/**
 * The target's account ("prod (222233334444)": another account, whose principal is the assumed role, not ours);
 * else `123456789012 (arn:aws:iam::123456789012:user/x)`, the account alone, or `(unknown)` before STS answered.
 */
function describeAccount(facts: WhereFacts & { account?: string | undefined; principal?: string | undefined }): string {
  const target = targetAccount(facts);
  if (target !== undefined) return target;
  if (facts.account === undefined) return '(unknown)';
  return facts.principal === undefined ? facts.account : `${facts.account} (${facts.principal})`;
}

function regionOf(key: string | undefined): string {
  return (key === undefined ? undefined : parseAlertKey(key).region) ?? '(not region-specific)';
}

/** The Region row: none for an account-wide alert (keyed by the account ID alone). */
function regionRow(key: string | undefined): Array<readonly [string, string]> {
  return key !== undefined && parseAlertKey(key).region === undefined ? [] : [['Region', regionOf(key)]];
}

/** `kind in eu-west-1` (the daemon's own account, as before accounts), `kind in region eu-west-1 of account prod (id)`. */
function describeWhere(kind: string, facts: WhereFacts): string {
  if (facts.region === undefined) return kind;
  const account = targetAccount(facts);
  if (account !== undefined && parseAlertKey(facts.region).region === undefined) return `${kind} for account ${account}`;
  return account === undefined ? `${kind} in ${facts.region}` : `${kind} in region ${regionOf(facts.region)} of account ${account}`;
}

/** A subject is one line: an account name is untrusted text (a line break there would start a header). */
function oneLine(text: string): string {
  return makeVisible(text);
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
