/**
 * The state journal's format: one JSON line per committed Slack message, `{"to":"<webhook>","ids":[…],"t":[…]}`
 * (`ids[i]` was accepted by `to`, kept until the offset passes `t[i]`). Lines are appended between two snapshots
 * (store.ts), so a commit costs O(events in the message), not O(state). Pure: bytes in, entries out.
 */
import { isStorableEventId, isTime, isWebhookName } from './check-state';
import { deliveredKey, recordDelivered, type RegionState } from './region-state';

/** What one message's commit records: the webhook that accepted it and its events (ID, bookkeeping time in ms). */
export interface CommitDelta {
  webhook: string;
  entries: Array<{ id: string; t: number }>;
}

export interface ParsedJournal {
  deltas: CommitDelta[];
  /** Complete lines read (replayed or not). */
  lines: number;
  /** Entries dropped because their ID or time is out of bounds (check-state.ts). */
  dropped: number;
  /**
   * The last line is incomplete (no newline) or not JSON: a write a crash cut short, never acknowledged. It is
   * ignored; `keepBytes` is the length of the journal without it.
   */
  torn?: { keepBytes: number };
  /** A line before the last is not a journal entry: the whole journal is untrusted (`reason` names the line). */
  corrupt?: string;
}

/** The line for `delta`, newline included. IDs are stored as deliveredKey()s, so every line reads back in bounds. */
export function formatJournalLine(delta: CommitDelta): string {
  const ids = delta.entries.map((entry) => deliveredKey(entry.id));
  return `${JSON.stringify({ to: delta.webhook, ids, t: delta.entries.map((entry) => entry.t) })}\n`;
}

const NEWLINE = 0x0a;

/** Reads a journal's bytes. Never throws; see ParsedJournal for what is kept, dropped, ignored or refused. */
export function parseJournal(bytes: Uint8Array): ParsedJournal {
  const result: ParsedJournal = { deltas: [], lines: 0, dropped: 0 };
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let start = 0;
  while (start < buffer.length) {
    const end = buffer.indexOf(NEWLINE, start);
    const complete = end !== -1;
    const text = buffer.toString('utf8', start, complete ? end : buffer.length);
    const isLast = !complete || end + 1 === buffer.length;
    const value = complete ? parseLine(text) : undefined;
    if (value === undefined) {
      // Only the last line can be cut short by a crash; anything else is damage.
      if (isLast) return { ...result, torn: { keepBytes: start } };
      return { ...result, corrupt: `line ${result.lines + 1} is not a journal entry (not JSON)` };
    }
    result.lines += 1;
    const delta = readDelta(value, result.lines);
    if (typeof delta === 'string') return { ...result, corrupt: delta };
    result.dropped += delta.dropped;
    result.deltas.push(delta.delta);
    start = end + 1;
  }
  return result;
}

/** Records every delta into `state` (recordDelivered: in place). Returns the number of entries replayed. */
export function replayJournal(state: RegionState, deltas: readonly CommitDelta[]): number {
  let replayed = 0;
  for (const delta of deltas) {
    for (const entry of delta.entries) recordDelivered(state, entry.id, delta.webhook, entry.t);
    replayed += delta.entries.length;
  }
  return replayed;
}

function parseLine(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function readDelta(value: unknown, line: number): { delta: CommitDelta; dropped: number } | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `line ${line} is not a journal entry (not an object)`;
  const { to, ids, t } = value as Record<string, unknown>;
  if (!isWebhookName(to)) return `line ${line} names no webhook`;
  if (!Array.isArray(ids) || !Array.isArray(t)) return `line ${line} has no list of IDs and times`;
  if (ids.length !== t.length) return `line ${line} has ${ids.length} IDs but ${t.length} times`;
  const entries: CommitDelta['entries'] = [];
  ids.forEach((id: unknown, i) => {
    const time: unknown = t[i];
    if (typeof id === 'string' && isStorableEventId(id) && isTime(time)) entries.push({ id, t: time });
  });
  return { delta: { webhook: to, entries }, dropped: ids.length - entries.length };
}
