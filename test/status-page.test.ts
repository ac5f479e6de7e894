import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScrubber } from '../src/alerts/scrub';
import { StatusBoard } from '../src/observability/status-board';
import { AccountDirectory } from '../src/targets/account-directory';
import { escapeHtml, formatDuration, renderStatusPage } from '../src/observability/status-page';

const T0 = Date.UTC(2026, 10, 30, 8, 0, 0);
const WEBHOOK = 'https://hooks.slack.com/services/T000/B000/SECRETTOKEN123';
const HOSTILE = `<script>alert(1)</script><img src=x onerror="alert(2)"> & ' ${WEBHOOK}`;

function boardWithEveryState(): { board: StatusBoard; advance(ms: number): void } {
  let now = T0;
  const board = new StatusBoard(() => now);
  for (const region of ['eu-west-1', 'us-east-1', 'ap-south-1', 'me-south-1']) board.targetStarted(region, T0 - 20 * 60_000);
  board.scanSucceeded('us-east-1', { start: T0 - 20 * 60_000, end: T0 - 15 * 60_000 }, true);
  board.events('us-east-1', 'posted', 2);
  board.scanSucceeded('eu-west-1', { start: T0 - 20 * 60_000, end: T0 - 19 * 60_000 }, false);
  board.scanFailed('ap-south-1', HOSTILE);
  board.scanFailed('me-south-1', 'UnrecognizedClientException: the region is not enabled', 'disabled');
  board.alertSent('region-failing', `ap-south-1 fails: ${HOSTILE}`, 'ap-south-1');
  return { board, advance: (ms) => (now += ms) };
}

test('escapeHtml turns every markup character into an entity', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
});

test('formatDuration reads like a person would say it', () => {
  assert.equal(formatDuration(0), '0 s');
  assert.equal(formatDuration(75.9), '1 min 15 s');
  assert.equal(formatDuration(7300), '2 h 1 min');
  assert.equal(formatDuration(90_000), '1 d 1 h');
  assert.equal(formatDuration(-5), '0 s');
});

test('the page lists each region with its state, lag, last scan and last post, and the last alerts', () => {
  const { board, advance } = boardWithEveryState();
  advance(60_000);
  const html = renderStatusPage({ targets: board.view(), alerts: board.recentAlerts(), now: T0 + 60_000, scrub: createScrubber([WEBHOOK]) });
  const rows = [...html.matchAll(/<tr class="state-([a-z_]+)"><td>([^<]+)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td>/g)].map((m) => m.slice(1));
  assert.deepEqual(rows, [
    ['failing', '—', 'ap-south-1', 'failing', '21 min 0 s'],
    ['catching_up', '—', 'eu-west-1', 'catching up', '20 min 0 s'],
    ['disabled', '—', 'me-south-1', 'disabled', '21 min 0 s'],
    ['ok', '—', 'us-east-1', 'ok', '16 min 0 s'],
  ]);
  assert.match(html, /<td>us-east-1<\/td>.*<time datetime="2026-11-30T08:00:00.000Z">1 min 0 s ago<\/time><\/td><td><time datetime="2026-11-30T08:00:00.000Z">1 min 0 s ago/);
  assert.match(html, /<table id="alerts">.*<td>region-failing<\/td><td>ap-south-1<\/td>/s);
  assert.match(html, /<meta http-equiv="refresh" content="30">/);
});

test('hostile text in a failure reason or an alert is escaped, and secrets are masked', () => {
  const { board } = boardWithEveryState();
  const html = renderStatusPage({ targets: board.view(), alerts: board.recentAlerts(), now: T0, scrub: createScrubber([WEBHOOK]) });
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<img/i);
  assert.doesNotMatch(html, /SECRETTOKEN123/);
  assert.doesNotMatch(html, /T000\/B000/);
  // Shown, as text: a person can still read what the failure said.
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;&lt;img src=x onerror=&quot;alert\(2\)&quot;&gt; &amp; &#39;/);
  assert.equal(html.match(/&lt;script&gt;/g)?.length, 2, 'once in the region table, once in the alerts');
});

test('an empty board says so instead of showing empty tables', () => {
  const board = new StatusBoard(() => T0);
  const html = renderStatusPage({ targets: board.view(), alerts: [], now: T0, scrub: (s) => s, refreshSeconds: 0, version: '1.2.3', account: '111122223333' });
  assert.match(html, /no region is watched yet/);
  assert.match(html, /none since the daemon started/);
  assert.match(html, /version 1\.2\.3 · AWS account 111122223333/);
  assert.doesNotMatch(html, /http-equiv="refresh"/);
});

test('one row per target: the account ("name (id)", escaped) then the region, ordered by account then region', () => {
  const accounts = new AccountDirectory();
  accounts.learn([{ id: '222233334444', name: 'prod <b>&' }, { id: '555566667777', name: 'dev' }]);
  const board = new StatusBoard(() => T0, accounts);
  board.setIdentity('111122223333');
  for (const key of ['222233334444/us-east-1', '555566667777/eu-west-1', '222233334444/eu-west-1', '999988887777/ap-south-1']) {
    board.targetStarted(key, T0);
  }
  board.alertSent('region-failing', 'AccessDenied', '222233334444/us-east-1');
  const html = renderStatusPage({ targets: board.view(), alerts: board.recentAlerts(), now: T0, scrub: (s) => s, accounts });
  const rows = [...html.matchAll(/<tr class="state-[a-z_]+"><td>([^<]+)<\/td><td>([^<]+)<\/td>/g)].map((m) => m.slice(1));
  assert.deepEqual(rows, [
    ['999988887777', 'ap-south-1'],
    ['dev (555566667777)', 'eu-west-1'],
    ['prod &lt;b&gt;&amp; (222233334444)', 'eu-west-1'],
    ['prod &lt;b&gt;&amp; (222233334444)', 'us-east-1'],
  ]);
  assert.doesNotMatch(html, /<b>/);
  assert.match(html, /<td>region-failing<\/td><td>us-east-1 · prod &lt;b&gt;&amp; \(222233334444\)<\/td>/);
});

test('the single-account page names the daemon\'s own account on every row once STS said', () => {
  const board = new StatusBoard(() => T0);
  board.targetStarted('eu-west-1', T0);
  board.setIdentity('111122223333');
  const html = renderStatusPage({ targets: board.view(), alerts: [], now: T0, scrub: (s) => s });
  assert.match(html, /<tr class="state-catching_up"><td>111122223333<\/td><td>eu-west-1<\/td>/);
});

test('invisible and control characters in every text cell are shown as code points, never raw (an RLO cannot make one account pass for another)', () => {
  const accounts = new AccountDirectory();
  // "prod" followed by a right-to-left override: raw, the rest of the row would read backwards.
  accounts.learn([{ id: '222233334444', name: 'prod\u202e\u200bx\u2028y\u0000z' }]);
  const board = new StatusBoard(() => T0, accounts);
  board.targetStarted('222233334444/us-east-1', T0);
  board.scanFailed('222233334444/us-east-1', 'AccessDenied for \u202eevil\u2066');
  board.alertSent('account-paused', 'role of \u202eprod\u200d cannot be assumed', '222233334444/us-east-1');
  const html = renderStatusPage({ targets: board.view(), alerts: board.recentAlerts(), now: T0, scrub: (s) => s, accounts, version: '1.0\u202e', account: '1111\u202e' });
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(html, /[\u0000\u200b\u200d\u202e\u2028\u2066]/, 'no raw control, bidi or zero-width character');
  const row = /<tr class="state-[a-z_]+"><td>([^<]+)<\/td>.*?<td>([^<]*)<\/td><\/tr>/.exec(html);
  assert.equal(row?.[1], 'prod[U+202E][U+200B]x y z (222233334444)', 'the account cell');
  assert.equal(row?.[2], 'AccessDenied for [U+202E]evil[U+2066]', 'the failure reason');
  assert.match(html, /<td>account-paused<\/td><td>us-east-1 · prod\[U\+202E\]\[U\+200B\]x y z \(222233334444\)<\/td><td>role of \[U\+202E\]prod\[U\+200D\] cannot be assumed<\/td>/);
  assert.match(html, /version 1\.0\[U\+202E\] · AWS account 1111\[U\+202E\]/);
});
