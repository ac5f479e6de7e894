import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CloudTrailRecord } from '../src/events/types';
import { ConfigError, EXIT_FAILURE, EXIT_FATAL, EXIT_OK } from '../src/lib/errors';
import { formatProblem, parseEventText } from '../src/replay/read';
import { checkDeliveries } from '../src/demo/delivered';
import { runReplay, type ReplayDeps, type ReplayOptions } from '../src/replay/command';
import { startSlackSimulator } from '../src/sim/slack-server';
import { handlers } from '../src/cli';
import { captureLogger } from './support/daemon-harness';
import { loadFixtureRecords } from './support/fixtures';
import { ManualClock } from './support/manual-clock';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const isPosted = (r: CloudTrailRecord) => r.readOnly === false && r.eventName !== 'ConsoleLogin';
/** The fixture's two console sign-ins: one with MFA (muted by default), one without (the pack's rule posts it). */
const SIGN_IN_WITH_MFA = '8feee4c2-5e27-4857-8475-bfa7e7b6d791';
const SIGN_IN_WITHOUT_MFA = '70e5932e-9022-4b38-837e-ca10dad94eb7';
/** A config file turning digests off: one message per event, as before digests. */
const NO_DIGESTS = JSON.stringify({ digest: { enabled: false } });

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'cts-replay-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function replay(
  files: string[],
  options: ReplayOptions = {},
  env: Record<string, string> = {},
  cwd?: string,
  deps: Partial<ReplayDeps> = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runReplay(files, options, {
    ...deps,
    env,
    cwd,
    writeOut: (s) => void out.push(s),
    writeErr: (s) => void err.push(s),
    log: captureLogger().log,
  });
  const payloads = out.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, payloads, err: err.join(''), errLines: err.join('').trimEnd().split('\n') };
}

/**
 * The payload each of `ids` is in, found by its event ID anywhere in the payload (a single's Event ID field, a
 * digest's deep link); each must be in exactly one. Returns the payload index per ID.
 */
function payloadOfEach(payloads: unknown[], ids: readonly string[]): Map<string, number> {
  const raw = payloads.map((p) => JSON.stringify(p));
  const where = new Map<string, number>();
  for (const id of ids) {
    const holders = raw.flatMap((text, i) => (text.includes(id) ? [i] : []));
    assert.equal(holders.length, 1, `event ${id} is in exactly one payload (found in ${holders.length})`);
    where.set(id, holders[0] as number);
  }
  return where;
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
  test('an S3 log file (.json.gz), digests off: one payload per write event, a routine sign-in and reads left out, oldest first', async (t) => {
    const dir = tempDir(t);
    const records = loadFixtureRecords();
    // S3 files are not sorted; shuffle deterministically so the order check means something.
    const shuffled = records.map((r, i) => ({ r, k: (i * 7919) % records.length })).sort((a, b) => a.k - b.k).map((x) => x.r);
    writeFileSync(join(dir, 'log.json.gz'), gzipSync(JSON.stringify({ Records: shuffled })));
    writeFileSync(join(dir, 'c.json'), NO_DIGESTS);
    const run = await replay(['log.json.gz'], { config: 'c.json' }, {}, dir);
    assert.equal(run.code, EXIT_OK);
    // Every write but the sign-in with MFA; the one without MFA is posted (the pack's rule), first: it is medium,
    // not high, so it keeps its place in time.
    const expected = records.filter((r) => r.readOnly === false && r.eventID !== SIGN_IN_WITH_MFA);
    assert.ok(expected.some((r) => r.eventID === SIGN_IN_WITHOUT_MFA), 'fixture has a sign-in without MFA');
    assert.equal(run.payloads.length, expected.length);
    const ids = idsOf(run.payloads);
    assert.deepEqual(new Set(ids), new Set(expected.map((r) => r.eventID)));
    // High and critical events go out ahead (as the daemon's queue sends them); the rest oldest first.
    const levelOf = (p: unknown) => String((p as { attachments: Array<{ color: string }> }).attachments[0]?.color);
    const urgent = run.payloads.filter((p) => /^:(warning|rotating_light):/.test(String(p.text))).length;
    assert.equal(urgent, 3, 'the fixture holds 3 high or critical events');
    const times = ids.slice(urgent).map((id) => Date.parse(String(records.find((r) => r.eventID === id)?.eventTime)));
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'oldest first');
    assert.ok(levelOf(run.payloads[0]) !== levelOf(run.payloads[urgent]), 'the urgent ones are coloured by their level');
    assert.equal(run.errLines.length, 1, 'only the summary on stderr');
    assert.match(run.err, /1500 record\(s\): 360 printed in 360 message\(s\), 1139 read-only, 1 muted \(built-in mute "ConsoleLogin": 1\), 0 duplicate/);
  });

  test('the same log with digests (the default): every write event in exactly one message, far fewer messages', async (t) => {
    const dir = tempDir(t);
    const records = loadFixtureRecords();
    writeFileSync(join(dir, 'log.json.gz'), gzipSync(JSON.stringify({ Records: records })));
    const run = await replay(['log.json.gz'], {}, {}, dir);
    assert.equal(run.code, EXIT_OK, run.err);
    const expected = records.filter((r) => r.readOnly === false && r.eventID !== SIGN_IN_WITH_MFA).map((r) => String(r.eventID));
    // Repeats of one call share a digest line with a count: counted by the digests' own totals, named once at most.
    const check = checkDeliveries(run.payloads, new Set(expected), new Set([SIGN_IN_WITH_MFA]));
    assert.deepEqual({ ...check, complete: true }, { ...check, repeated: [], unexpected: [], events: 360 });
    assert.ok(check.complete && check.digests > 0);
    const summary = /360 printed in (\d+) message\(s\) \((\d+) digests\), 1139 read-only, 1 muted/.exec(run.err);
    assert.ok(summary, run.err);
    assert.equal(Number(summary[1]), run.payloads.length);
    assert.ok(run.payloads.length < 40, `${run.payloads.length} messages for 360 events`);
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
    const where = payloadOfEach(run.payloads, writes.map((r) => String(r.eventID)));
    for (const record of writes) {
      const epoch = Math.floor(Date.parse(String(record.eventTime)) / 1000);
      const payload = run.payloads[where.get(String(record.eventID)) ?? -1];
      assert.ok(JSON.stringify(payload).includes(`<!date^${epoch}^`), `event time kept (${record.eventID})`);
    }

    // A damaged CloudTrailEvent is reported by index, and the event still goes out (the daemon posts it too).
    events[2] = { ...events[2]!, CloudTrailEvent: '{"eventVersion": ' };
    writeFileSync(join(dir, 'lookup.json'), JSON.stringify({ Events: events }));
    const damaged = await replay(['lookup.json'], {}, {}, dir);
    assert.equal(damaged.code, EXIT_FAILURE);
    payloadOfEach(damaged.payloads, writes.map((r) => String(r.eventID)));
    assert.match(damaged.errLines[0] ?? '', /lookup\.json: Events\[2\]: CloudTrailEvent is not valid JSON/);
  });

  test('--post goes through the daemon\'s sender to the webhook, one message per second', async (t) => {
    const dir = tempDir(t);
    // The sender's pace is measured on an injected clock (no real waiting), as Slack's double sees it.
    const clock = new ManualClock();
    t.after(clock.autoAdvance());
    const slack = await startSlackSimulator({ path: '/services/T0/B0/REPLAYTOKEN', now: () => clock.now() });
    t.after(() => slack.close());
    const writes = loadFixtureRecords().filter(isPosted).slice(0, 3);
    writeFileSync(join(dir, 'a.jsonl'), writes.map((r) => JSON.stringify(r)).join('\n'));
    const dry = await replay(['a.jsonl'], {}, {}, dir);
    const run = await replay(['a.jsonl'], { post: true }, { SLACK_WEBHOOK_URL: slack.url }, dir, { clock });
    assert.equal(run.code, EXIT_OK, run.err);
    assert.equal(run.payloads.length, 0, 'nothing printed when posting');
    assert.deepEqual(slack.received.map((m) => m.body), dry.payloads, 'the same payloads as --dry-run prints');
    const first = slack.received[0]?.at ?? 0;
    assert.ok((slack.received[2]?.at ?? 0) - first >= 2000, 'paced at 1 message/s like the daemon');
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

  test('--post routes as the daemon does: named webhooks without a default post to the catch-all route\'s webhook', async (t) => {
    const dir = tempDir(t);
    const slack = await startSlackSimulator({ path: '/services/T0/B1/REPLAYTOKEN' });
    t.after(() => slack.close());
    const record = loadFixtureRecords().filter(isPosted)[0];
    writeFileSync(join(dir, 'a.jsonl'), JSON.stringify(record));
    const config = { slack: { webhooks: { security: slack.url } }, routes: [{ when: {}, to: ['security'] }] };
    writeFileSync(join(dir, 'c.json'), JSON.stringify(config));
    const run = await replay(['a.jsonl'], { post: true, config: 'c.json' }, {}, dir);
    assert.equal(run.code, EXIT_OK, run.err);
    assert.deepEqual(idsOf(slack.received.map((m) => m.body)), [record?.eventID]);
    assert.ok(!run.err.includes('REPLAYTOKEN'), 'the webhook never shows');
    // --webhook names a webhook of the config, or it is a usage error naming the ones there are.
    await assert.rejects(replay(['a.jsonl'], { post: true, config: 'c.json', webhook: 'secuirty' }, {}, dir), (e: unknown) =>
      e instanceof ConfigError && e.message === 'replay --webhook "secuirty": no webhook of that name; the config names default, security',
    );
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
    const kept = writes.filter((r) => r.eventName !== name);
    const html = readFileSync(join(dir, 'page.html'), 'utf8');
    const messages = html.split('data-message="').length - 1;
    const summary = new RegExp(`${kept.length} rendered in (\\d+) message\\(s\\) \\(\\d+ digests\\), 0 read-only, ${writes.length - kept.length} muted \\(exclude\\.eventNames "${name}": ${writes.length - kept.length}\\)`).exec(run.err);
    assert.ok(summary, run.err);
    assert.equal(messages, Number(summary[1]), 'every message rendered');
    for (const record of writes.filter((r) => r.eventName === name)) assert.ok(!html.includes(String(record.eventID)), `${record.eventID} muted`);
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

  test('a gzip bomb or an oversized file is one problem naming it (with a lowered limit); the good file still goes through', async (t) => {
    const dir = tempDir(t);
    const good = loadFixtureRecords().filter(isPosted).slice(0, 2);
    writeFileSync(join(dir, 'good.jsonl'), good.map((r) => JSON.stringify(r)).join('\n'));
    // 5 MiB of JSON lines squeezed into a few KB: over a 1 MiB limit once decompressed, not on disk.
    writeFileSync(join(dir, 'bomb.json.gz'), gzipSync(Buffer.alloc(5 * 1024 * 1024, `${JSON.stringify(good[0])}\n`)));
    // 2 MiB of real records on disk: posted (as duplicates) if the limit were ignored.
    const line = `${JSON.stringify(good[1])}\n`;
    writeFileSync(join(dir, 'big.jsonl'), line.repeat(Math.ceil((2 * 1024 * 1024) / line.length)));
    const run = await replay(['bomb.json.gz', 'good.jsonl', 'big.jsonl'], {}, {}, dir, { maxFileBytes: 1024 * 1024 });
    assert.equal(run.code, EXIT_FAILURE);
    assert.deepEqual(idsOf(run.payloads).sort(), good.map((r) => String(r.eventID)).sort(), 'the good file still goes through');
    assert.equal(run.errLines.length, 3, run.err);
    assert.match(run.errLines[0] ?? '', /^cloudtrail-slack replay: bomb\.json\.gz: decompresses to more than 1 MiB, .*: gunzip it and split it into smaller files/);
    assert.match(run.errLines[1] ?? '', /^cloudtrail-slack replay: big\.jsonl: is 2 MiB, more than the 1 MiB .*: split it into smaller files/);
    assert.match(run.errLines[2] ?? '', /3 file\(s\), 2 record\(s\): 2 printed in 2 message\(s\), .*, 2 problem\(s\)$/);
  });

  test('the default limit (256 MiB) holds against a real gzip bomb and a 300 MiB file, without reading either whole', async (t) => {
    const dir = tempDir(t);
    const good = loadFixtureRecords().filter(isPosted).slice(0, 1);
    writeFileSync(join(dir, 'good.jsonl'), JSON.stringify(good[0]));
    // 600 gzip members of 1 MiB of zeros (~600 KB): 600 MiB decompressed, more than a string may hold.
    const member = gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
    writeFileSync(join(dir, 'bomb.json.gz'), Buffer.concat(Array.from({ length: 600 }, () => member)));
    writeFileSync(join(dir, 'huge.json'), '');
    truncateSync(join(dir, 'huge.json'), 300 * 1024 * 1024); // sparse: costs no disk
    const run = await replay(['bomb.json.gz', 'huge.json', 'good.jsonl'], {}, {}, dir);
    assert.equal(run.code, EXIT_FAILURE);
    assert.equal(run.payloads.length, 1, 'the good file still goes through');
    assert.match(run.errLines[0] ?? '', /^cloudtrail-slack replay: bomb\.json\.gz: decompresses to more than 256 MiB/);
    assert.match(run.errLines[1] ?? '', /^cloudtrail-slack replay: huge\.json: is 300 MiB, more than the 256 MiB /);
    assert.equal(run.errLines.length, 3, run.err);
  });

  test('a FIFO or a device is refused with one line instead of blocking; the good file still goes through', async (t) => {
    const dir = tempDir(t);
    const fifo = join(dir, 'events.fifo');
    const made = spawnSync('mkfifo', [fifo]);
    if (made.error !== undefined || made.status !== 0) {
      t.skip(`mkfifo is not available here (${made.error?.message ?? made.stderr.toString().trim()}), so no FIFO can be made`);
      return;
    }
    // A writer that closes after 1 s: should the FIFO be read after all, the test fails instead of hanging.
    const writer = spawn('sh', ['-c', 'exec sleep 1 > "$0"', fifo], { stdio: 'ignore' });
    t.after(() => void writer.kill());
    writeFileSync(join(dir, 'good.jsonl'), JSON.stringify(loadFixtureRecords().filter(isPosted)[0]));
    const run = await replay(['events.fifo', '/dev/null', 'good.jsonl'], {}, {}, dir);
    assert.equal(run.code, EXIT_FAILURE);
    assert.equal(run.payloads.length, 1);
    assert.deepEqual(run.errLines.slice(0, 2), [
      'cloudtrail-slack replay: events.fifo: is not a regular file (a FIFO): to read it, pipe it in: cloudtrail-slack replay - < events.fifo',
      'cloudtrail-slack replay: /dev/null: is not a regular file (a device): to read it, pipe it in: cloudtrail-slack replay - < /dev/null',
    ]);
    assert.equal(writer.exitCode, null, 'the FIFO was never opened, so its writer still waits');
  });

  test('--post: control and bidi characters in event IDs, Slack answers and file content never reach the terminal', async (t) => {
    const dir = tempDir(t);
    const slack = await startSlackSimulator();
    t.after(() => slack.close());
    const hostile = '\x1b[2J\x1b]0;owned\x07\u009b31m\u202e\x7f';
    const record = { ...loadFixtureRecords().filter(isPosted)[0], eventID: `1b2c3d4e-0000-4000-8000-00000000abcd${hostile}` };
    writeFileSync(join(dir, 'a.jsonl'), `${JSON.stringify(record)}\n\u202e\x1b[31m\n`);
    const hostileStderr = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

    slack.setDefault({ status: 400, body: `invalid_payload${hostile}` });
    const rejected = await replay(['a.jsonl'], { post: true }, { SLACK_WEBHOOK_URL: slack.url }, dir);
    assert.equal(rejected.code, EXIT_FAILURE);
    assert.equal(slack.requests.length, 2, 'the message and its plain retry were posted');
    assert.match(rejected.err, /a\.jsonl: line 2: not valid JSON/);
    assert.match(rejected.err, /event 1b2c3d4e-0000-4000-8000-00000000abcd .*: Slack rejected the message \(invalid_payload /);
    assert.ok(!hostileStderr.test(rejected.err), `stderr is inert: ${JSON.stringify(rejected.err)}`);

    slack.setDefault({ status: 404, body: `gone${hostile}` });
    const refused = await replay(['a.jsonl'], { post: true }, { SLACK_WEBHOOK_URL: slack.url }, dir);
    assert.equal(refused.code, EXIT_FATAL);
    assert.match(refused.err, /Slack refused the webhook \(HTTP 404 gone /);
    assert.ok(!hostileStderr.test(refused.err), `stderr is inert: ${JSON.stringify(refused.err)}`);
    // formatProblem itself, for other callers: bidi controls too, not only C0/C1.
    assert.equal(formatProblem({ file: 'e\u202evil.json', where: 'line 1', message: `bad${hostile}` }), 'e[U+202E]vil.json: line 1: bad [2J ]0;owned  31m[U+202E] ');
  });

  test('a file of many broken lines is summarised after 20', () => {
    const result = parseEventText('junk.jsonl', ['{}', ...Array.from({ length: 30 }, () => 'nope')].join('\n'));
    assert.equal(result.problems.length, 21);
    assert.equal(result.problems[20]?.message, 'and 11 more problems in this file');
  });

  test('the summary counts every problem, also those folded into "and N more"', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'junk.jsonl'), ['{}', ...Array.from({ length: 30 }, () => 'nope')].join('\n'));
    const run = await replay(['junk.jsonl'], {}, {}, dir);
    assert.equal(run.code, EXIT_FAILURE);
    // `{}` (a record without an eventID) and the 30 broken lines: 20 shown, "and 11 more", 31 in the summary.
    assert.match(run.errLines.at(-1) ?? '', /, 31 problem\(s\)$/);
  });

  test('an --html path that cannot be written is a one-line error naming --html (exit 78)', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'afile'), 'x');
    writeFileSync(join(dir, 'ok.jsonl'), '');
    const run = await replay(['ok.jsonl'], { html: 'afile/page.html' }, {}, dir);
    assert.equal(run.code, 78);
    assert.match(run.err, /--html afile\/page\.html: cannot write the page/);
  });

  test('the CLI has the replay and demo commands wired', () => {
    assert.equal(typeof handlers.replay, 'function');
    assert.equal(typeof handlers.demo, 'function');
  });
});
