import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness } from './support/daemon-harness';
import { loadFixtureRecords } from './support/fixtures';
import { EXIT_OK } from '../src/lib/errors';

const MIN = 60_000;
/** A broken daemon must fail a test, not hang the run. */
const BOUNDED = { timeout: 90_000 };
/** These tests count one Slack message per event: digests (issue 8) would fold a burst into fewer. */
const ONE_MESSAGE_PER_EVENT = { digest: { enabled: false } };
const REGION = 'eu-west-1';
const writes = loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin');

const postedIds = (raws: string[]) => raws.map((raw) => /[0-9a-f]{8}-[0-9a-f-]{27}/.exec(raw)?.[0]);

test('odd LookupEvents answers (Resources a string, EventTime a string, …) are delivered and the region goes on', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const records = writes.slice(0, 6);
  const now = h.clock.now();
  // synthetic: the real records, each answered with one field of an unexpected type
  const odd: Array<Record<string, unknown> | undefined> = [
    { Resources: 'arn:aws:s3:::a-bucket' },
    { EventTime: 'not a time' }, // the SDK itself rejects this one unless the answer is made readable first
    { Username: 42, EventId: undefined },
    { CloudTrailEvent: { ...records[3], sourceIPAddress: '203.0.113.77' } },
    { Resources: [null, 7, { ResourceName: { nested: true } }] },
    undefined, // a later, well-formed event: the region must get to it
  ];
  records.forEach((r, i) => h.cloudtrail.addRecord(r, { region: REGION, eventTime: now - 10 * MIN + i * MIN, wire: odd[i] }));
  const run = h.run(h.config({ regions: [REGION], once: true }, {}, ONE_MESSAGE_PER_EVENT));
  assert.equal(await run.done, EXIT_OK);
  assert.deepEqual(postedIds(h.slack.received.map((m) => m.raw)), records.map((r) => r.eventID), 'every event, once, in order');
  assert.ok(h.slack.received[0]!.raw.includes('arn:aws:s3:::a-bucket'), 'the string is shown as the resource');
  assert.ok(h.slack.received[3]!.raw.includes('203.0.113.77'), 'the record object is read as the record');
});

test('an event whose time is far before the window asked for is posted once, not on every run', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const [record, later] = writes;
  const now = h.clock.now();
  // synthetic: the service finds it in the window, but answers EventTime 1970-01-02
  h.cloudtrail.addRecord(record!, { region: REGION, eventTime: now - 5 * MIN, wire: { EventTime: 86_400 } });
  const first = h.run(h.config({ regions: [REGION], once: true }, {}, ONE_MESSAGE_PER_EVENT));
  assert.equal(await first.done, EXIT_OK);
  assert.equal(h.slack.received.length, 1);

  await h.clock.advance(2 * MIN);
  h.cloudtrail.addRecord(later!, { region: REGION, eventTime: h.clock.now() - MIN });
  const second = h.run(h.config({ regions: [REGION], once: true }, {}, ONE_MESSAGE_PER_EVENT));
  assert.equal(await second.done, EXIT_OK);
  assert.deepEqual(postedIds(h.slack.received.map((m) => m.raw)), [record!.eventID, later!.eventID], 'the odd one exactly once');
  const state = JSON.parse(readFileSync(join(h.stateDir, `.default.${REGION}.cloudtrail.state`), 'utf8'));
  assert.ok(Object.hasOwn(state.delivered, String(record!.eventID)), 'its ID is kept while the window can still return it');
});
