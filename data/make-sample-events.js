#!/usr/bin/env node
'use strict';
/**
 * Rebuilds data/sample-events.jsonl (the demo's events) from the test fixture, deterministically:
 *   node data/make-sample-events.js > data/sample-events.jsonl
 * Lines are copied byte for byte, in the fixture's order; data/SOURCES.md explains the choice.
 */
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const WRITES = 240;
const READS = 60;

const lines = readFileSync(join(__dirname, '..', 'test', 'fixtures', 'cloudtrail', 'events.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '');
const records = lines.map((line, index) => ({ index, line, record: JSON.parse(line) }));
const rank = (r) => createHash('sha256').update(`demo-sample-v1:${r.record.eventID}`).digest('hex');
const byRank = [...records].sort((a, b) => (rank(a) < rank(b) ? -1 : 1));
const typeOf = (r) => (r.record.userIdentity && r.record.userIdentity.type) || '(none)';

/** One of each (source, name, error, identity type) first, then the rest in hash order, up to `limit`. */
function pick(candidates, limit) {
  const chosen = [];
  const seen = new Set();
  for (const r of candidates) {
    const { eventSource, eventName, errorCode } = r.record;
    const key = [eventSource, eventName, errorCode || '', typeOf(r)].join('|');
    if (seen.has(key) || chosen.length >= limit) continue;
    seen.add(key);
    chosen.push(r);
  }
  for (const r of candidates) {
    if (chosen.length >= limit) break;
    if (!chosen.includes(r)) chosen.push(r);
  }
  return chosen;
}

const chosen = [
  ...pick(byRank.filter((r) => r.record.readOnly === false), WRITES),
  ...pick(byRank.filter((r) => r.record.readOnly === true), READS),
];
chosen.sort((a, b) => a.index - b.index);
process.stdout.write(chosen.map((r) => `${r.line}\n`).join(''));
