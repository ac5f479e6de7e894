import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromLookupEvent, fromRecord } from '../src/events/parse';
import type { CloudTrailRecord, TrailEvent } from '../src/events/types';
import { createEventFilter } from '../src/rules/filter';
import type { Level } from '../src/rules/decision';
import { formatEventMessage, formatPlainMessage, type FormatOptions } from '../src/slack/format';
import { loadFixtureRecords } from './support/fixtures';
import { seededRandom } from './support/prng';

/**
 * Fuzz: thousands of real fixture events with random fields replaced by values of the wrong type, in the
 * LookupEvents Event and inside its record. Deterministic (seeded PRNG), so a failure names a reproducible case.
 */
const SEED = 0x7e5a_1c0d;
const ROUNDS = 3000;


// synthetic: the junk a field may hold instead of what the API documents
const JUNK: unknown[] = [
  undefined, null, 0, -1, 1e300, -1e300, 0.5, true, false, '', ' ', 'x', 'true', '1970-01-01T00:00:00Z',
  '<!channel> & <@U1>', '\u202e\u200bx', '`*_~', 'x'.repeat(5000), '🚀'.repeat(300), [], [null], [1, 'a', {}],
  {}, { a: { b: { c: [] } } }, { ResourceType: 1, ResourceName: null }, new Date(Number.NaN), new Date(8.64e15),
  new Date(-1), '__proto__', { __proto__: null, toString: 5 }, JSON.parse('{"__proto__": {"polluted": 1}}'),
  'a\ud800b', '\udc00', 'Failure', 'Yes', { items: [{ instanceId: 'i-1' }, null] }, { accessKey: { accessKeyId: ['x'] } },
];

const LOOKUP_FIELDS = ['EventId', 'EventName', 'ReadOnly', 'AccessKeyId', 'EventTime', 'EventSource', 'Username', 'Resources', 'CloudTrailEvent'];
const RECORD_PATHS = [
  ['eventID'], ['eventName'], ['eventSource'], ['eventTime'], ['awsRegion'], ['readOnly'], ['userIdentity'],
  ['userIdentity', 'type'], ['userIdentity', 'arn'], ['userIdentity', 'userName'], ['userIdentity', 'invokedBy'],
  ['userIdentity', 'sessionContext'], ['userIdentity', 'sessionContext', 'sessionIssuer'],
  ['userIdentity', 'sessionContext', 'sessionIssuer', 'userName'], ['userIdentity', 'onBehalfOf'], ['resources'],
  ['requestParameters'], ['errorCode'], ['errorMessage'], ['userAgent'], ['sourceIPAddress'], ['recipientAccountId'],
  ['eventType'], ['eventCategory'], ['insightDetails'], ['insightDetails', 'insightContext'],
  ['responseElements'], ['responseElements', 'instancesSet'], ['responseElements', 'accessKey'], ['responseElements', 'ConsoleLogin'],
  ['additionalEventData'], ['additionalEventData', 'MFAUsed'], ['userIdentity', 'accessKeyId'],
  ['userIdentity', 'sessionContext', 'attributes', 'mfaAuthenticated'], ['requestParameters', 'name'], ['requestParameters', 'instancesSet'],
];
/** Decisions and mentions as the pipeline passes them, including a hit with odd values (the formatter must not care). */
const OPTIONS: FormatOptions[] = [
  {},
  { mention: '<!subteam^S1>', decision: { level: 'critical', matched: [{ id: 'r', title: 'T', level: 'critical', tags: [] }], muted: false, routes: [] } },
  { decision: { level: 'bogus' as Level, matched: [{ id: '', title: '<!channel>'.repeat(50), level: 'nope' as Level, tags: [] }], muted: false, routes: [] } },
];

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

test(`fromLookupEvent, fromRecord, the filter and both formatters never throw on ${ROUNDS} mutated events`, () => {
  const records = loadFixtureRecords();
  const random = seededRandom(SEED);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const filter = createEventFilter({ eventNames: ['Delete*'], eventSources: ['s3.*'], userNames: ['*admin*', 'root', 'i-0*'] });
  let formatted = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    const record = structuredClone(pick(records)) as Record<string, unknown>;
    for (let n = Math.floor(random() * 4); n >= 0; n -= 1) setPath(record, pick(RECORD_PATHS), structuredClone(pick(JUNK)));
    const lookup: Record<string, unknown> = {
      EventId: record.eventID, EventName: record.eventName, ReadOnly: typeof record.readOnly === 'boolean' ? String(record.readOnly) : undefined, EventTime: new Date(),
      EventSource: record.eventSource, Resources: [], CloudTrailEvent: random() < 0.8 ? JSON.stringify(record) : record,
    };
    for (let n = Math.floor(random() * 3); n >= 0; n -= 1) lookup[pick(LOOKUP_FIELDS)] = pick(JUNK);
    const where = `round ${round}`;
    const events: Array<TrailEvent | undefined> = [];
    assert.doesNotThrow(() => events.push(fromLookupEvent(lookup, 'us-east-1')), where);
    assert.doesNotThrow(() => events.push(fromRecord(record as CloudTrailRecord)), where);
    for (const event of events) {
      if (event === undefined) continue;
      assert.doesNotThrow(() => filter(event), where);
      const options = pick(OPTIONS);
      assert.doesNotThrow(() => assert.ok(formatEventMessage(event, options).text.length > 0), where);
      assert.doesNotThrow(() => assert.ok(formatPlainMessage(event, options).text.length > 0), where);
      formatted += 1;
    }
  }
  assert.ok(formatted > ROUNDS, `${formatted} events formatted`);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
});
