import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fail, ok, reportOf, skipped, warn } from '../src/doctor/check';
import { renderJson, renderTable, verdictOf } from '../src/doctor/render';

const REPORT = reportOf([
  ok('configuration', 'loaded'),
  warn('alert email', 'no alert email', 'set email.smtpUrl'),
  fail('LookupEvents eu-west-1', 'denied', 'grant cloudtrail:LookupEvents'),
  skipped('webhook alerts', 'not posted', 'run doctor --post-test'),
]);

test('the table: a mark per status, names in one column, the advice under every row that is not ✓, a verdict', () => {
  assert.equal(
    renderTable(REPORT),
    [
      'cloudtrail-slack doctor',
      '',
      '  ✓ configuration           loaded',
      '  ! alert email             no alert email',
      '      → set email.smtpUrl',
      '  ✗ LookupEvents eu-west-1  denied',
      '      → grant cloudtrail:LookupEvents',
      '  - webhook alerts          not posted',
      '      → run doctor --post-test',
      '',
      '✗ 1 problem blocks the daemon (1 warning, 1 not checked)',
      '',
    ].join('\n'),
  );
});

test('the verdict: ok when nothing failed, warnings allowed', () => {
  assert.equal(verdictOf(reportOf([ok('a', 'x')])), '✓ nothing blocks the daemon');
  assert.equal(verdictOf(reportOf([ok('a', 'x'), warn('b', 'y', 'z'), warn('c', 'y', 'z')])), '✓ nothing blocks the daemon (2 warnings)');
  assert.equal(reportOf([warn('b', 'y', 'z')]).ok, true);
  assert.equal(reportOf([fail('b', 'y', 'z'), fail('c', 'y', 'z')]).ok, false);
  assert.equal(verdictOf(reportOf([fail('b', 'y', 'z'), fail('c', 'y', 'z')])), '✗ 2 problems block the daemon');
});

test('hostile text from AWS cannot forge a row or hide one: newlines, escapes and bidi controls are made visible', () => {
  const report = reportOf([fail('trail status', 'trail "x\n  ✓ clock  fine\u001b[2K\u202e" stopped logging', 'start it\r\n  ✓ forged')]);
  const table = renderTable(report);
  const lines = table.split('\n');
  assert.equal(lines.filter((line) => /^ {2}✓/.test(line)).length, 0, table);
  assert.equal(lines.length, 7, 'title, blank, the row, its advice, blank, verdict, end');
  assert.ok(!/[\u0000-\u001f\u007f\u202e]/.test(table.replace(/\n/g, '')), 'no control character survives');
  assert.match(table, /\[U\+202E\]/);
  const json = JSON.parse(renderJson(report)) as { checks: Array<{ detail: string }> };
  assert.ok(!json.checks[0]?.detail.includes('\n'));
});

test('--json: one document, { ok, checks: [{ name, status, detail, action? }] }, action only where there is one', () => {
  const text = renderJson(REPORT);
  assert.equal(text.split('\n').length, 2, 'one line and its newline');
  assert.deepEqual(JSON.parse(text), {
    ok: false,
    checks: [
      { name: 'configuration', status: 'ok', detail: 'loaded' },
      { name: 'alert email', status: 'warn', detail: 'no alert email', action: 'set email.smtpUrl' },
      { name: 'LookupEvents eu-west-1', status: 'fail', detail: 'denied', action: 'grant cloudtrail:LookupEvents' },
      { name: 'webhook alerts', status: 'skipped', detail: 'not posted', action: 'run doctor --post-test' },
    ],
  });
});
