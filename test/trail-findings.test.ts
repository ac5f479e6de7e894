import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findTrailDefects, type TrailView } from '../src/monitors/trail-findings';
import { judgeSelectors, type TrailSelectors } from '../src/monitors/trail-selectors';

function trail(change: Partial<TrailView> = {}): TrailView {
  return {
    name: 'main',
    arn: 'arn:aws:cloudtrail:us-east-1:123456789012:trail/main',
    homeRegion: 'us-east-1',
    multiRegion: true,
    globalEvents: true,
    organization: false,
    logging: true,
    selectors: { recordsWrites: true },
    ...change,
  };
}

const kinds = (trails: TrailView[]) => findTrailDefects(trails, 'eu-west-1').map((f) => f.kind);

test('healthy when one trail is multi-region, global, logging and records writes, whatever the others are', () => {
  assert.deepEqual(kinds([trail()]), []);
  assert.deepEqual(kinds([trail({ name: 'data', multiRegion: false, logging: false }), trail({ organization: true })]), []);
});

test('no trail, or only single-region trails: trail-missing naming them', () => {
  const none = findTrailDefects([], 'eu-west-1');
  assert.deepEqual(none.map((f) => [f.kind, f.trails]), [['trail-missing', []]]);
  assert.match(none[0]?.reason ?? '', /no CloudTrail trail exists \(DescribeTrails in eu-west-1/);
  const local = findTrailDefects([trail({ multiRegion: false })], 'eu-west-1');
  assert.deepEqual(local.map((f) => [f.kind, f.trails]), [['trail-missing', ['main']]]);
  assert.match(local[0]?.reason ?? '', /no multi-region trail: .*"main" \(us-east-1 only\)/);
});

test('each defect of a multi-region trail is its own finding, naming the trail', () => {
  const stopped = findTrailDefects([trail({ logging: false, stoppedAt: Date.UTC(2026, 10, 30, 8) })], 'us-east-1');
  assert.deepEqual(stopped.map((f) => f.kind), ['trail-not-logging']);
  assert.equal(stopped[0]?.reason, 'trail "main" (home us-east-1) stopped logging (since 2026-11-30T08:00:00.000Z)');
  assert.match(stopped[0]?.action ?? '', /start-logging/);
  assert.deepEqual(kinds([trail({ globalEvents: false })]), ['trail-coverage']);
  const selectors = findTrailDefects([trail({ selectors: { recordsWrites: false, why: 'read-only' } })], 'us-east-1');
  assert.deepEqual(selectors.map((f) => [f.kind, f.reason]), [['trail-selectors', 'trail "main" (home us-east-1) does not record write management events: read-only']]);
  assert.deepEqual(kinds([trail({ logging: false, globalEvents: false, selectors: { recordsWrites: false } })]), [
    'trail-not-logging',
    'trail-coverage',
    'trail-selectors',
  ]);
});

test('the trails closest to healthy are reported, an organization trail says so', () => {
  const broken = trail({ name: 'org', organization: true, logging: false });
  const dataOnly = trail({ name: 'data', logging: false, globalEvents: false, selectors: { recordsWrites: false } });
  const findings = findTrailDefects([dataOnly, broken], 'us-east-1');
  assert.deepEqual(findings.map((f) => [f.kind, f.trails]), [['trail-not-logging', ['org']]]);
  assert.match(findings[0]?.reason ?? '', /trail "org" \(organization trail, home us-east-1\) stopped logging/);
  const two = findTrailDefects([trail({ name: 'a', logging: false }), trail({ name: 'b', logging: false })], 'us-east-1');
  assert.deepEqual(two.map((f) => f.trails), [['a', 'b']]);
});

const management = { Field: 'eventCategory', Equals: ['Management'] };
const cases: Array<[string, TrailSelectors, boolean, RegExp?]> = [
  ['default classic selector', { EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }] }, true],
  ['classic, defaults left out', { EventSelectors: [{}] }, true],
  ['classic WriteOnly', { EventSelectors: [{ ReadWriteType: 'WriteOnly' }] }, true],
  ['classic, KMS excluded', { EventSelectors: [{ ReadWriteType: 'All', ExcludeManagementEventSources: ['kms.amazonaws.com'] }] }, true],
  ['classic ReadOnly', { EventSelectors: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: true }] }, false, /read-only/],
  ['classic without management events', { EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: false }] }, false, /IncludeManagementEvents false/],
  ['classic ReadOnly and a data-only All', { EventSelectors: [{ ReadWriteType: 'ReadOnly' }, { ReadWriteType: 'All', IncludeManagementEvents: false }] }, false],
  ['no selector at all', {}, false, /no event selector/],
  ['advanced management', { AdvancedEventSelectors: [{ FieldSelectors: [management] }] }, true],
  ['advanced management writes', { AdvancedEventSelectors: [{ FieldSelectors: [management, { Field: 'readOnly', Equals: ['false'] }] }] }, true],
  ['advanced, KMS left out', { AdvancedEventSelectors: [{ FieldSelectors: [management, { Field: 'eventSource', NotEquals: ['kms.amazonaws.com'] }] }] }, true],
  ['advanced read-only', { AdvancedEventSelectors: [{ FieldSelectors: [management, { Field: 'readOnly', Equals: ['true'] }] }] }, false, /read-only/],
  ['advanced data events only', { AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Data'] }] }] }, false, /no management events/],
  ['advanced, one source only', { AdvancedEventSelectors: [{ FieldSelectors: [management, { Field: 'eventSource', Equals: ['s3.amazonaws.com'] }] }] }, false, /only some/],
  ['advanced read-only, and writes in another selector', {
    AdvancedEventSelectors: [
      { FieldSelectors: [management, { Field: 'readOnly', Equals: ['true'] }] },
      { FieldSelectors: [management, { Field: 'readOnly', NotEquals: ['true'] }] },
    ],
  }, true],
];

for (const [name, selectors, recordsWrites, why] of cases) {
  test(`selectors: ${name} → ${recordsWrites ? 'records' : 'misses'} write management events`, () => {
    const verdict = judgeSelectors(selectors);
    assert.equal(verdict.recordsWrites, recordsWrites);
    if (why) assert.match(verdict.why ?? '', why);
  });
}
