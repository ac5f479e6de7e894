import { makeVisible } from '../slack/visible';
import { describeAccount, parseAlertKey } from '../targets/target';
import type { AlertRecord, TargetView } from './status-board';
import type { TargetState } from './telemetry';

/**
 * GET / : the status page for a person, a pure function of what the status board knows. Every string that ends
 * up in the page goes through `scrub` (the daemon's secret scrubber), then `makeVisible` (src/slack/visible.ts:
 * control characters and U+2028/U+2029 become a space, bidi overrides, zero-width and other format characters are
 * shown as `[U+202E]`), then HTML escaping: failure reasons and alert summaries may quote attacker-controlled text
 * (an event's fields, an error body) and must never become markup, reveal a secret or reorder what the reader
 * sees. Account names (config, organisation listing) are untrusted too: an RLO in one must not let it pass for
 * another, so they go the same way.
 * One row per target, with its account ("name (id)", or the ID; "—" for the daemon's own before STS said) and
 * region, in the board's order (account, then region). No script, no external resource; the page reloads itself
 * every `refreshSeconds`.
 */

export interface StatusPageInput {
  targets: readonly TargetView[];
  /** Newest first. */
  alerts: readonly AlertRecord[];
  /** Epoch ms. */
  now: number;
  /** Masks secrets in free text (alerts/scrub.ts createScrubber with the config's secrets). */
  scrub(text: string): string;
  /** Default 30; 0 turns the reload off. */
  refreshSeconds?: number;
  version?: string;
  account?: string;
  /** The account names (the AccountDirectory), for the alerts' targets; default: IDs only. */
  accounts?: { describe(id: string): string };
}

const STATE_LABEL: Record<TargetState, string> = {
  ok: 'ok',
  catching_up: 'catching up',
  failing: 'failing',
  disabled: 'disabled',
};

/** The five characters that matter in HTML text and in double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** 75 → "1 min 15 s", 7300 → "2 h 1 min"; seconds, rounded down. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

export function renderStatusPage(input: StatusPageInput): string {
  const text = (value: string) => escapeHtml(makeVisible(input.scrub(value)));
  const when = (ms: number | undefined) =>
    ms === undefined ? '—' : `<time datetime="${new Date(ms).toISOString()}">${formatDuration((input.now - ms) / 1000)} ago</time>`;
  const rows = input.targets.map((t) => {
    const reason = t.lastError === undefined ? '' : text(t.lastError);
    const account = t.accountId === undefined ? '—' : text(describeAccount(t.accountId, t.accountName));
    return `<tr class="state-${t.state}"><td>${account}</td><td>${text(t.region)}</td><td>${STATE_LABEL[t.state]}</td>` +
      `<td>${formatDuration(t.lagSeconds)}</td><td>${when(t.lastScanAt)}</td><td>${when(t.lastPostedAt)}</td>` +
      `<td>${reason}</td></tr>`;
  });
  const alerts = input.alerts.map((a) =>
    `<tr><td>${when(a.at)}</td><td>${text(a.kind)}</td><td>${a.region === undefined ? '' : text(alertTarget(a.region, input.accounts))}</td><td>${text(a.summary)}</td></tr>`,
  );
  const refresh = input.refreshSeconds ?? 30;
  const about = [
    input.version === undefined ? '' : `version ${text(input.version)}`,
    input.account === undefined ? '' : `AWS account ${text(input.account)}`,
    `page made ${new Date(input.now).toISOString()}`,
  ].filter((part) => part !== '');
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    refresh > 0 ? `<meta http-equiv="refresh" content="${refresh}">` : '',
    '<title>cloudtrail-slack status</title>',
    `<style>${STYLE}</style></head><body>`,
    '<h1>cloudtrail-slack</h1>',
    `<p class="about">${about.join(' · ')}</p>`,
    '<h2>Regions</h2>',
    '<table id="regions"><thead><tr><th>account</th><th>region</th><th>state</th><th>lag</th><th>last scan</th><th>last event posted</th><th>last failure</th></tr></thead>',
    `<tbody>${rows.join('') || '<tr><td colspan="7">no region is watched yet</td></tr>'}</tbody></table>`,
    '<h2>Recent alerts</h2>',
    '<table id="alerts"><thead><tr><th>when</th><th>kind</th><th>target</th><th>summary</th></tr></thead>',
    `<tbody>${alerts.join('') || '<tr><td colspan="4">none since the daemon started</td></tr>'}</tbody></table>`,
    '<p class="links"><a href="/metrics">metrics</a> · <a href="/readyz">readyz</a> · <a href="/healthz">healthz</a></p>',
    '</body></html>',
    '',
  ].join('\n');
}

/** An alert's target: the region alone (the daemon's own account), else "eu-west-1 · prod (123456789012)". */
function alertTarget(key: string, accounts: StatusPageInput['accounts']): string {
  const { account, region } = parseAlertKey(key);
  if (account === undefined) return region ?? key;
  const named = accounts?.describe(account) ?? account;
  return region === undefined ? named : `${region} · ${named}`;
}

const STYLE = [
  'body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d1c1d}',
  'table{border-collapse:collapse;margin-bottom:1.5rem}',
  'th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top;overflow-wrap:anywhere;max-width:40rem}',
  'th{background:#f4f4f4}',
  '#regions td:nth-child(n+2):nth-child(-n+6),#alerts td:nth-child(-n+3){white-space:nowrap}',
  '.state-ok td:nth-child(3){color:#1a7f37}',
  '.state-catching_up td:nth-child(3){color:#9a6700}',
  '.state-failing td:nth-child(3){color:#cf222e;font-weight:bold}',
  '.state-disabled td:nth-child(3){color:#6e7781}',
  '.about{color:#6e7781}',
].join('');
