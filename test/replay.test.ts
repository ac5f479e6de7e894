import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CloudTrailRecord } from '../src/events/types';
import { ConfigError, EXIT_FAILURE, EXIT_FATAL, EXIT_OK } from '../src/lib/errors';
import { parseEventText } from '../src/replay/read';
import { runReplay, type ReplayOptions } from '../src/replay/command';
import { startSlackSimulator } from '../src/sim/slack-server';
import { handlers } from '../src/cli';
import { captureLogger } from './support/daemon-harness';
import { loadFixtureRecords } from './support/fixtures';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const isPosted = (r: CloudTrailRecord) => r.readOnly === false && r.eventName !== 'ConsoleLogin';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'cts-replay-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function replay(files: string[], options: ReplayOptions = {}, env: Record<string, string> = {}, cwd?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runReplay(files, options, {
    env,
    cwd,
    writeOut: (s) => void out.push(s),
    writeErr: (s) => void err.push(s),
    log: captureLogger().log,
  });
  const payloads = out.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, payloads, err: err.join(''), errLines: err.join('').trimEnd().split('\n') };
}

/** The event ID each payload is about (its Event ID field). */
function idsOf(payloads: unknown[]): string[] {
  return payloads.map((p) => {
    const field = (p as { attachments: Array<{ fields: Array<{ title: string; value: string }> }> }).attachments[0]?.fields.find(
      (f) => f.title === 'Event ID',
    );
    assert.ok(field && UUID.test(field.value), 'every payload names its event');
    return field.value;
  });
}

describe('replay', () => {
  test('an S3 log file (.json.gz): one payload per write event, ConsoleLogin and reads left out, oldest first', async (t) => {
    const dir = tempDir(t);
    const records = loadFixtureRecords();
    // S3 files are not sorted; shuffle deterministically so the order check means something.
    const shuffled = records.map((r, i) => ({ r, k: (i * 7919) % records.length })).sort((a, b) => a.k - b.k).map((x) => x.r);
    writeFileSync(join(dir, 'log.json.gz'), gzipSync(JSON.stringify({ Records: shuffled })));
    const run = await replay(['log.json.gz'], {}, {}, dir);
    assert.equal(run.code, EXIT_OK);
    const expected = records.filter(isPosted);
    assert.ok(records.some((r) => r.eventName === 'ConsoleLogin' && r.readOnly === false), 'fixture has a ConsoleLogin write');
    assert.equal(run.payloads.length, expected.length);
    const ids = idsOf(run.payloads);
    assert.deepEqual(new Set(ids), new Set(expected.map((r) => r.eventID)));
    const times = ids.map((id) => Date.parse(String(records.find((r) => r.eventID === id)?.eventTime)));
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'oldest first');
    assert.equal(run.errLines.length, 1, 'only the summary on stderr');
    assert.match(run.err, /1500 record\(s\): 359 printed, 1139 read-only, 2 excluded, 0 duplicate/);
  });

  test('a JSONL file with a corrupt line: one message naming file and line, every other record printed, exit 1', async (t) => {
    const dir = tempDir(t);
    const writes = loadFixtureRecords().filter(isPosted).slice(0, 4);
    const lines = writes.map((r) => JSON.stringify(r));
    lines.splice(2, 0, '{"eventID": "broken", "eventName": ');
    writeFileSync(join(dir, 'events.jsonl'), `${lines.join('\n')}\n`);
    const run = await replay(['events.jsonl'], {}, {}, dir);
    assert.equal(run.code, EXIT_FAILURE);
    assert.deepEqual(idsOf(run.payloads).sort(), writes.map((r) => String(r.eventID)).sort());
    assert.equal(run.errLines.length, 2, 'one problem line and the summary');
    assert.match(run.errLines[0] ?? '', /^cloudtrail-slack replay: events\.jsonl: line 3: not valid JSON \(/);
  });

  test('a LookupEvents dump as the AWS CLI prints it: EventTime as ISO string or epoch seconds', async (t) => {
    const dir = tempDir(t);
    const writes = loadFixtureRecords().filter(isPosted).slice(10, 16);
    const events = writes.map((r, i) => ({
      EventId: r.eventID,
      EventName: r.eventName,
      ReadOnly: 'false',
      EventTime: i % 2 === 0 ? Date.parse(String(r.eventTime)) / 1000 : String(r.eventTime).replace('Z', '+00:00'),
      EventSource: r.eventSource,
      Username: r.userIdentity?.userName,
      Resources: [],
      CloudTrailEvent: JSON.stringify(r),
    }));
    writeFileSync(join(dir, 'lookup.json'), JSON.stringify({ Events: events }, null, 4));
    const run = await replay(['lookup.json'], {}, {}, dir);
    assert.equal(run.code, EXIT_OK, run.err);
    assert.deepEqual(new Set(idsOf(run.payloads)), new Set(writes.map((r) => r.eventID)));
    for (const [i, payload] of run.payloads.entries()) {
      const epoch = Math.floor(Date.parse(String(writes.find((r) => r.eventID === idsOf([payload])[0])?.eventTime)) / 1000);
      assert.ok(JSON.stringify(payload).includes(`<!date^${epoch}^`), `event time kept (payload ${i})`);
    }

    // A damaged CloudTrailEvent is reported by index, and the event still goes out (the daemon posts it too).
    events[2] = { ...events[2]!, CloudTrailEvent: '{"eventVersion": ' };
    writeFileSync(join(dir, 'lookup.json'), JSON.stringify({ Events: events }));
    const damaged = await replay(['lookup.json'], {}, {}, dir);
    assert.equal(damaged.code, EXIT_FAILURE);
    assert.equal(damaged.payloads.length, 6);
    assert.match(damaged.errLines[0] ?? '', /lookup\.json: Events\[2\]: CloudTrailEvent is not valid JSON/);
  });

  test('--post goes through the daemon\'s sender to the webhook, one message per second', async (t) => {
    const dir = tempDir(t);
    const slack = await startSlackSimulator({ path: '/services/T0/B0/REPLAYTOKEN' });
    t.after(() => slack.close());
    const writes = loadFixtureRecords().filter(isPosted).slice(0, 3);
    writeFileSync(join(dir, 'a.jsonl'), writes.map((r) => JSON.stringify(r)).join('\n'));
    const dry = await replay(['a.jsonl'], {}, {}, dir);
    const run = await replay(['a.jsonl'], { post: true }, { SLACK_WEBHOOK_URL: slack.url }, dir);
    assert.equal(run.code, EXIT_OK, run.err);
    assert.equal(run.payloads.length, 0, 'nothing printed when posting');
    assert.deepEqual(slack.received.map((m) => m.body), dry.payloads, 'the same payloads as --dry-run prints');
    const first = slack.received[0]?.at ?? 0;
    assert.ok((slack.received[2]?.at ?? 0) - first >= 1900, 'paced at 1 message/s like the daemon');
    assert.match(run.err, /3 posted/);
    assert.ok(!run.err.includes('REPLAYTOKEN'), 'the webhook never shows');
  });

  test('--post: a revoked webhook exits 77; no webhook or --dry-run with it is a usage error', async (t) => {
    const dir = tempDir(t);
    const slack = await startSlackSimulator();
    t.after(() => slack.close());
    slack.setDefault({ status: 404, body: 'no_service' });
    writeFileSync(join(dir, 'a.jsonl'), JSON.stringify(loadFixtureRecords().filter(isPosted)[0]));
    const refused = await replay(['a.jsonl'], { post: true }, { SLACK_WEBHOOK_URL: slack.url }, dir);
    assert.equal(refused.code, EXIT_FATAL);
    assert.match(refused.err, /Slack refused the webhook/);
    await assert.rejects(replay(['a.jsonl'], { post: true }, {}, dir), (e: unknown) => e instanceof ConfigError && /SLACK_WEBHOOK_URL/.test(e.message));
    await assert.rejects(replay(['a.jsonl'], { post: true, dryRun: true }, { SLACK_WEBHOOK_URL: slack.url }, dir), ConfigError);
  });

  test('--config exclusions apply; --html writes the preview instead of printing', async (t) => {
    const dir = tempDir(t);
    const writes = loadFixtureRecords().filter(isPosted);
    const name = String(writes[0]?.eventName);
    writeFileSync(join(dir, 'a.jsonl'), writes.map((r) => JSON.stringify(r)).join('\n'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ exclude: { eventNames: [name] } }));
    const run = await replay(['a.jsonl'], { config: 'config.json', html: 'page.html' }, {}, dir);
    assert.equal(run.code, EXIT_OK);
    assert.equal(run.payloads.length, 0, '--html alone prints no payloads');
    const kept = writes.filter((r) => r.eventName !== name).length;
    const html = readFileSync(join(dir, 'page.html'), 'utf8');
    assert.equal(html.split('data-message="').length - 1, kept);
    assert.match(run.err, new RegExp(`${kept} rendered, 0 read-only, ${writes.length - kept} excluded`));
  });

  test('unreadable inputs are named one line each and the good files still go through', async (t) => {
    const dir = tempDir(t);
    const good = loadFixtureRecords().filter(isPosted).slice(0, 2);
    writeFileSync(join(dir, 'good.json'), JSON.stringify({ Records: [good[0], 'oops', { eventName: 'X' }, good[1]] }));
    writeFileSync(join(dir, 'bad.json.gz'), Buffer.from([0x1f, 0x8b, 1, 2, 3]));
    writeFileSync(join(dir, 'pretty.json'), '{\n  "Records": [\n    {"eventID": "a",}\n  ]\n}\n');
    writeFileSync(join(dir, 'other.json'), '{"hello": "world"}');
    const run = await replay(['good.json', 'bad.json.gz', 'pretty.json', 'missing.json', 'other.json'], {}, {}, dir);
    assert.equal(run.code, EXIT_FAILURE);
    assert.equal(run.payloads.length, 2);
    const problems = run.errLines.slice(0, -1);
    assert.deepEqual(problems.map((l) => l.replace(/^cloudtrail-slack replay: /, '').replace(/ \([^()]*\)$/, '')), [
      'good.json: Records[1]: not a JSON object',
      'good.json: Records[2]: record has no eventID',
      'bad.json.gz: not valid gzip data',
      'pretty.json: not valid JSON',
      'missing.json: not found',
      'other.json: not CloudTrail data: expected a Records array (log file), an Events array (lookup-events output) or one record per line',
    ]);
    assert.match(problems[3] ?? '', /at line 3, column \d+\)$/, 'a pretty-printed file gets one line with the position');
  });

  test('a file of many broken lines is summarised after 20', () => {
    const result = parseEventText('junk.jsonl', ['{}', ...Array.from({ length: 30 }, () => 'nope')].join('\n'));
    assert.equal(result.problems.length, 21);
    assert.equal(result.problems[20]?.message, 'and 11 more problems in this file');
  });

  test('the CLI has the replay and demo commands wired', () => {
    assert.equal(typeof handlers.replay, 'function');
    assert.equal(typeof handlers.demo, 'function');
  });
});
