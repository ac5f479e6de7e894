import type { ReplayMessage } from './messages';
import type { SelectTally } from './select';

/**
 * Replay's last stderr line: what was read and what became of it, counts only (a mute is named by its config or
 * built-in name, never by an event's values; the mutes most first):
 * `2 file(s), 1500 record(s): 360 printed in 19 message(s) (11 digests), 1139 read-only, 1 muted (built-in mute
 * "ConsoleLogin": 1), 0 duplicate(s)`.
 * An event routed to two webhooks counts once per webhook in `printed`/`posted`/`rendered`.
 */

const SKIPPED_REASON = 'no eventName, eventType, eventSource or insightDetails';

export interface RunSummary {
  files: number;
  records: number;
  verb: 'printed' | 'posted' | 'rendered';
  /** The messages printed, rendered or (with --post) accepted by Slack. */
  delivered: readonly ReplayMessage[];
  /** Webhooks that got messages (after --webhook; with --post, that accepted at least one). */
  webhooks: number;
  tally: SelectTally;
  /** Events routed to webhooks that --webhook left out. */
  otherItems: number;
  problems: number;
}

const plural = (n: number, word: string, words = `${word}s`) => `${n} ${n === 1 ? word : words}`;

export function describeRun(s: RunSummary): string {
  const events = s.delivered.reduce((n, m) => n + m.items.length, 0);
  const digests = s.delivered.filter((m) => m.kind === 'digest').length;
  const muted = [...s.tally.muted.values()].reduce((a, b) => a + b, 0);
  // Most first, then by name (code-unit order): the same input always gives the same line.
  const mutedBy = [...s.tally.muted]
    .sort(([a, m], [b, n]) => n - m || (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, count]) => `${name}: ${count}`)
    .join(', ');
  const parts = [
    `${events} ${s.verb} in ${s.delivered.length} message(s)${digests > 0 ? ` (${plural(digests, 'digest')})` : ''}${s.webhooks > 1 ? ` to ${s.webhooks} webhooks` : ''}`,
    `${s.tally.readOnly} read-only`,
    `${muted} muted${muted > 0 ? ` (${mutedBy})` : ''}`,
    `${s.tally.duplicates} duplicate(s)`,
    ...(s.tally.skipped > 0 ? [`${s.tally.skipped} skipped (${SKIPPED_REASON})`] : []),
    ...(s.otherItems > 0 ? [`${s.otherItems} for other webhooks (not selected by --webhook)`] : []),
    ...(s.problems > 0 ? [`${s.problems} problem(s)`] : []),
  ];
  return `${s.files} file(s), ${s.records} record(s): ${parts.join(', ')}`;
}
