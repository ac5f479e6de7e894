import { makeVisible } from '../slack/visible';
import type { CheckResult, CheckStatus, DoctorReport } from './check';

/**
 * `doctor`'s output, pure: the report in, text out. The table is for a person (one row per check, the advice
 * under every row that is not ✓, a verdict line); the JSON is for machines. Every cell goes through makeVisible
 * (src/slack/visible.ts): AWS answers (trail names) are attacker-controlled text, and a control character or a
 * bidi override must not forge a row or hide one in a terminal.
 */

export const STATUS_MARKS: Readonly<Record<CheckStatus, string>> = { ok: '✓', warn: '!', fail: '✗', skipped: '-' };

/** Names longer than this push their detail to the right on their own; the column does not grow for them. */
const MAX_NAME_COLUMN = 28;

/** The table: `  ✓ name   detail`, then `      → action` for each row that has advice, then the verdict. */
export function renderTable(report: DoctorReport): string {
  const names = report.checks.map((check) => visible(check.name));
  const width = Math.min(MAX_NAME_COLUMN, Math.max(0, ...names.map((name) => name.length)));
  const lines = ['cloudtrail-slack doctor', ''];
  report.checks.forEach((check, i) => {
    const name = names[i] ?? '';
    lines.push(`  ${STATUS_MARKS[check.status]} ${name.padEnd(width)}  ${visible(check.detail)}`.trimEnd());
    if (check.action !== undefined && check.status !== 'ok') lines.push(`      → ${visible(check.action)}`);
  });
  lines.push('', verdictOf(report), '');
  return lines.join('\n');
}

/** `{ ok, checks: [{ name, status, detail, action?, account?, accountName? }] }` on one line (a machine reads it; `jq` pretty-prints). */
export function renderJson(report: DoctorReport): string {
  const checks = report.checks.map((check) => ({
    name: visible(check.name),
    status: check.status,
    detail: visible(check.detail),
    ...(check.action === undefined ? {} : { action: visible(check.action) }),
    ...(check.account === undefined ? {} : { account: check.account }),
    ...(check.accountName === undefined ? {} : { accountName: visible(check.accountName) }),
  }));
  return `${JSON.stringify({ ok: report.ok, checks })}\n`;
}

/** "nothing blocks the daemon (2 warnings)" or "2 problems block the daemon (1 warning)". */
export function verdictOf(report: DoctorReport): string {
  const count = (status: CheckStatus) => report.checks.filter((check: CheckResult) => check.status === status).length;
  const failed = count('fail');
  const warned = count('warn');
  const skippedRows = count('skipped');
  const extras = [warned > 0 ? plural(warned, 'warning') : '', skippedRows > 0 ? `${skippedRows} not checked` : '']
    .filter((part) => part !== '')
    .join(', ');
  const tail = extras === '' ? '' : ` (${extras})`;
  if (failed === 0) return `✓ nothing blocks the daemon${tail}`;
  return `✗ ${plural(failed, 'problem')} ${failed === 1 ? 'blocks' : 'block'} the daemon${tail}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function visible(text: string): string {
  return makeVisible(text);
}
