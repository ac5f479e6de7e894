import { DEMO_REGIONS, type PlannedEvent } from './sample';

/** What the demo tells the person watching: pure text builders, so the command stays about wiring. */

export interface SetupSummary {
  planned: readonly PlannedEvent[];
  startedAt: number;
  cloudtrailUrl: string;
  sinkUrl: string;
  dir: string;
  payloadFile: string;
  logFile: string;
  once: boolean;
  pollIntervalSeconds: number;
}

export function describeSetup(s: SetupSummary): string {
  const writes = s.planned.filter((p) => p.record.readOnly !== true);
  const expected = s.planned.filter((p) => p.expected);
  const excluded = writes.length - expected.length;
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
    `  Expect      ${expected.length} messages: ${writes.length} write events minus ${excluded} ConsoleLogin (excluded by default);`,
    `              the ${reads} read-only events are never even asked for (LookupEvents ReadOnly=false).`,
    `  Late        ${lateLine}`,
    `  Files       ${s.dir}`,
    `              payloads ${s.payloadFile}`,
    `              daemon log ${s.logFile}, state files in state/`,
    s.once ? '  Mode        --once: one pass over the three regions, then exit.' : `  Mode        polling every ${s.pollIntervalSeconds} s until Ctrl-C.`,
    '',
    '',
  ].join('\n');
}

/** The note under a message whose event was one of the late ones. */
export function noteForLate(raw: string, late: readonly PlannedEvent[], startedAt: number, once: boolean): string | undefined {
  const event = late.find((p) => typeof p.record.eventID === 'string' && raw.includes(p.record.eventID));
  if (event === undefined) return undefined;
  const minutes = Math.round(((event.visibleAt ?? startedAt) - event.eventTime) / 60_000);
  if (once) return `  ↳ late: visible ${minutes} min after it happened (made visible before this --once pass)`;
  const after = Math.round(((event.visibleAt ?? startedAt) - startedAt) / 1000);
  return `  ↳ late: visible ${after} s after the demo started, ${minutes} min after it happened; found on a later poll`;
}

export interface FinishSummary {
  posted: number;
  expected: number;
  once: boolean;
  seconds: number;
  payloadFile: string;
  html?: string;
}

export function describeFinish(f: FinishSummary): string {
  const verdict =
    f.posted === f.expected
      ? `${f.posted} messages posted, as expected`
      : `${f.posted} messages posted, but ${f.expected} were expected${f.once ? '' : ' (stopped before the late ones arrived?)'}`;
  return [
    `Demo ${f.once ? 'pass complete' : 'stopped'} after ${f.seconds.toFixed(1)} s: ${verdict}.`,
    `  payloads     ${f.payloadFile}`,
    ...(f.html === undefined ? [] : [`  HTML preview ${f.html}`]),
    '',
  ].join('\n');
}
