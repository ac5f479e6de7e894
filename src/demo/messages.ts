import { LEVELS, type Level } from '../rules/decision';
import type { DeliveryCheck } from './delivered';
import { DEMO_REGIONS, type PlannedEvent } from './sample';

/** What the demo tells the person watching: pure text builders, so the command stays about wiring. */

export interface SetupSummary {
  planned: readonly PlannedEvent[];
  startedAt: number;
  cloudtrailUrl: string;
  sinkUrl: string;
  /** The STS, Account and EC2 simulators, described (aws-sims.ts). */
  aws?: string;
  dir: string;
  payloadFile: string;
  logFile: string;
  once: boolean;
  pollIntervalSeconds: number;
  /** demo --accounts: one line per account, how it is reached (accounts.ts). */
  accounts?: readonly string[];
}

export function describeSetup(s: SetupSummary): string {
  const writes = s.planned.filter((p) => p.record.readOnly !== true);
  const expected = s.planned.filter((p) => p.expected);
  const reads = s.planned.length - writes.length;
  const late = s.planned.filter((p) => p.late);
  const lateAfter = late.map((p) => Math.round(((p.visibleAt ?? s.startedAt) - s.startedAt) / 1000));
  const lateLine = s.once
    ? `${late.length} events are "late" (visible minutes after they happened). With --once they were made visible before the pass; without --once they show up on a later poll.`
    : `${late.length} events become visible late, ${Math.min(...lateAfter)}-${Math.max(...lateAfter)} s after the start; watch them arrive on a later poll (marked "late").`;
  return [
    'cloudtrail-slack demo: the real daemon against a local CloudTrail and a local Slack. Nothing leaves 127.0.0.1.',
    `  CloudTrail  ${s.cloudtrailUrl}: ${s.planned.length} real sample events moved to the last hour, in ${DEMO_REGIONS.join(', ')}.`,
    `  Slack       ${s.sinkUrl.replace(/\/services\/.*$/, '/services/…')}: each message the channel would get is shown below.`,
    ...(s.aws === undefined ? [] : [`  AWS         ${s.aws}`]),
    ...(s.accounts ?? []).map((line, i) => `${i === 0 ? '  Accounts    ' : '              '}${line}`),
    ...(s.accounts === undefined ? [] : ['              The events are dealt between the usable accounts; each message names its account.']),
    `  Expect      ${expected.length} of the ${writes.length} write events posted, each in exactly one message: on its own, or in a`,
    '              digest when many of one caller wait (high and critical ones always on their own, first).',
    ...mutedLines(writes),
    ...flaggedLines(expected),
    `              The ${reads} read-only events are never even asked for (LookupEvents ReadOnly=false).`,
    `  Late        ${lateLine}`,
    `  Files       ${s.dir}`,
    `              payloads ${s.payloadFile}`,
    `              daemon log ${s.logFile}, state files in state/`,
    s.once ? '  Mode        --once: one pass over the three regions, then exit.' : `  Mode        polling every ${s.pollIntervalSeconds} s until Ctrl-C.`,
    '',
    '',
  ].join('\n');
}

/** `1 muted: built-in mute "ConsoleLogin" (a successful console sign-in; risky ones are posted by the rules)`. */
function mutedLines(writes: readonly PlannedEvent[]): string[] {
  const byReason = new Map<string, number>();
  for (const p of writes) {
    if (p.decision?.muted !== true) continue;
    const reason = p.decision.muteReason ?? 'muted';
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  }
  return [...byReason].map(([reason, count]) =>
    reason.startsWith('built-in mute "ConsoleLogin"')
      ? `              ${count} muted by the ${reason}: a successful console sign-in (risky sign-ins are posted by the rules).`
      : `              ${count} muted by ${reason}.`,
  );
}

/** `11 match a rule of the built-in pack (1 critical, 2 high, 7 medium, 1 low): they stand out.` */
function flaggedLines(expected: readonly PlannedEvent[]): string[] {
  const counts = new Map<Level, number>();
  for (const p of expected) {
    const decision = p.decision;
    if (decision === undefined || decision.matched.length === 0) continue;
    counts.set(decision.level, (counts.get(decision.level) ?? 0) + 1);
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return [];
  const parts = [...LEVELS].reverse().flatMap((level) => (counts.has(level) ? [`${counts.get(level)} ${level}`] : []));
  return [`              ${total} match a rule (${parts.join(', ')}): coloured and marked by level, with the rule's title.`];
}

/**
 * The note under a message for each late event it names (a digest may carry several; one of a run of repeats
 * that shares a line is counted there, not named, and gets no note).
 */
export function noteForLate(raw: string, late: readonly PlannedEvent[], startedAt: number, once: boolean): string | undefined {
  const named = late.filter((p) => typeof p.record.eventID === 'string' && raw.includes(p.record.eventID));
  if (named.length === 0) return undefined;
  const several = named.length > 1;
  return named
    .map((event) => {
      const which = several ? ` ${String(event.record.eventName)}` : '';
      const minutes = Math.round(((event.visibleAt ?? startedAt) - event.eventTime) / 60_000);
      if (once) return `  ↳ late${which}: visible ${minutes} min after it happened (made visible before this --once pass)`;
      const after = Math.round(((event.visibleAt ?? startedAt) - startedAt) / 1000);
      return `  ↳ late${which}: visible ${after} s after the demo started, ${minutes} min after it happened; found on a later poll`;
    })
    .join('\n');
}

export interface FinishSummary {
  check: DeliveryCheck;
  /** Events the daemon should have posted. */
  expected: number;
  once: boolean;
  seconds: number;
  payloadFile: string;
  html?: string;
}

export function describeFinish(f: FinishSummary): string {
  const { check } = f;
  const carried = `${check.events} events posted in ${check.messages} message${check.messages === 1 ? '' : 's'}${check.digests > 0 ? ` (${check.digests} digest${check.digests === 1 ? '' : 's'})` : ''}`;
  const faults = [
    check.repeated.length > 0 ? `${check.repeated.length} of them in more than one message` : undefined,
    check.unexpected.length > 0 ? `${check.unexpected.length} that should have been muted` : undefined,
  ].filter((fault) => fault !== undefined);
  const verdict = check.complete
    ? `${carried}, as expected`
    : `${carried}, but ${f.expected} were expected, each once${faults.length > 0 ? ` (${faults.join('; ')})` : ''}` +
      `${!f.once && check.events < f.expected ? ' (stopped before the late ones arrived?)' : ''}`;
  return [
    `Demo ${f.once ? 'pass complete' : 'stopped'} after ${f.seconds.toFixed(1)} s: ${verdict}.`,
    `  payloads     ${f.payloadFile}`,
    ...(f.html === undefined ? [] : [`  HTML preview ${f.html}`]),
    '',
  ].join('\n');
}
