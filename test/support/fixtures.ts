import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudTrailRecord } from '../../src/events/types';
import type { LookupEvent } from '../../src/events/parse';

/** The 1,500 real CloudTrail records (see test/fixtures/cloudtrail/SOURCES.md). */
export function loadFixtureRecords(): CloudTrailRecord[] {
  const text = readFileSync(join(__dirname, '..', 'fixtures', 'cloudtrail', 'events.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CloudTrailRecord);
}

/** The fixture's write events (readOnly false), which the daemon must post (ConsoleLogin aside). */
export function isWriteRecord(record: CloudTrailRecord): boolean {
  return record.readOnly === false;
}

/** A record as LookupEvents returns it (the `Event` wrapper around the record's JSON), for benches and tests. */
export function toLookupEvent(record: CloudTrailRecord): LookupEvent {
  return {
    EventId: String(record.eventID),
    EventName: String(record.eventName),
    EventSource: String(record.eventSource),
    EventTime: new Date(String(record.eventTime)),
    ReadOnly: String(record.readOnly),
    Username: record.userIdentity?.userName,
    CloudTrailEvent: JSON.stringify(record),
  };
}
