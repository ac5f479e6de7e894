import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudTrailRecord } from '../../src/events/types';

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
