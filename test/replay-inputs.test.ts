import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { CloudTrailRecord } from '../src/events/types';
import { EXIT_FAILURE, EXIT_OK } from '../src/lib/errors';
import { runReplay, type ReplayDeps, type ReplayOptions } from '../src/replay/command';
import { startSlackSimulator } from '../src/sim/slack-server';
import { captureLogger } from './support/daemon-harness';
import { loadFixtureRecords } from './support/fixtures';
import { ManualClock } from './support/manual-clock';

const writes = loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin');
const jsonl = (records: CloudTrailRecord[]) => records.map((r) => JSON.stringify(r)).join('\n');
const s3File = (records: CloudTrailRecord[]) => gzipSync(JSON.stringify({ Records: records }));

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'cts-replay-in-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function replay(args: string[], options: ReplayOptions, cwd: string, deps: Partial<ReplayDeps> = {}, env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runReplay(args, options, { env, cwd, writeOut: (s) => void out.push(s), writeErr: (s) => void err.push(s), log: captureLogger().log, ...deps });
  const payloads = out.join('').split('\n').filter((l) => l !== '');
  return { code, payloads, err: err.join(''), errLines: err.join('').trimEnd().split('\n') };
}

const idsIn = (payloads: string[]) => payloads.map((p) => writes.find((r) => p.includes(String(r.eventID)))?.eventID);

describe('replay -: standard input', () => {
  const lookupDump = (records: CloudTrailRecord[]) =>
    JSON.stringify({ Events: records.map((r) => ({ EventId: r.eventID, EventName: r.eventName, EventTime: Date.parse(String(r.eventTime)) / 1000, CloudTrailEvent: JSON.stringify(r) })) });
  const shapes: Array<[string, Buffer | string]> = [
    ['an S3 log file, gzipped', s3File(writes.slice(0, 3))],
    ['JSON lines', jsonl(writes.slice(0, 3))],
    ['lookup-events output', lookupDump(writes.slice(0, 3))],
  ];
  for (const [label, data] of shapes) {
    test(`reads ${label} from stdin`, async (t) => {
      const run = await replay(['-'], {}, tempDir(t), { stdin: Readable.from([Buffer.from(data)]) });
      assert.equal(run.code, EXIT_OK, run.err);
      assert.deepEqual(idsIn(run.payloads), writes.slice(0, 3).map((r) => r.eventID));
      assert.match(run.err, /1 file\(s\), 3 record\(s\): 3 printed/);
    });
  }

  test('stdin and files together; a terminal on stdin or more than the limit is one problem, not a hang', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'a.jsonl'), jsonl(writes.slice(3, 4)));
    const both = await replay(['a.jsonl', '-'], {}, dir, { stdin: Readable.from([jsonl(writes.slice(4, 5))]) });
    assert.equal(both.code, EXIT_OK, both.err);
    assert.equal(both.payloads.length, 2);

    const tty = Object.assign(Readable.from([]), { isTTY: true });
    const terminal = await replay(['-', 'a.jsonl'], {}, dir, { stdin: tty });
    assert.equal(terminal.code, EXIT_FAILURE);
    assert.match(terminal.errLines[0]!, /^cloudtrail-slack replay: -: standard input is a terminal: pipe the data in/);
    assert.equal(terminal.payloads.length, 1, 'the file still goes through');

    const big = await replay(['-'], {}, dir, { stdin: Readable.from([Buffer.alloc(2048, 0x20)]), maxFileBytes: 1024 });
    assert.match(big.errLines[0]!, /-: holds more than the 1024 bytes replay reads from one input/);
  });
});

describe('replay <folder>', () => {
  test('reads every .json, .json.gz and .jsonl file in it, recursively, and says how many others were skipped', async (t) => {
    const dir = tempDir(t);
    const logs = join(dir, 'AWSLogs', '111122223333');
    mkdirSync(join(logs, 'CloudTrail', 'eu-west-1', '2026', '03', '02'), { recursive: true });
    mkdirSync(join(logs, 'CloudTrail-Digest', 'eu-west-1'), { recursive: true });
    writeFileSync(join(logs, 'CloudTrail', 'eu-west-1', '2026', '03', '02', '111122223333_CloudTrail_eu-west-1_20260302T0940Z_a.json.gz'), s3File(writes.slice(0, 2)));
    writeFileSync(join(logs, 'CloudTrail', 'eu-west-1', 'more.jsonl'), jsonl(writes.slice(2, 3)));
    writeFileSync(join(logs, 'plain.JSON'), JSON.stringify({ Records: writes.slice(3, 4) }));
    writeFileSync(join(logs, 'CloudTrail-Digest', 'eu-west-1', '111122223333_CloudTrail-Digest_eu-west-1_t_eu-west-1_20260302T0940Z.json.gz'), gzipSync('{"digestPublicKeyFingerprint":"x"}'));
    writeFileSync(join(logs, 'README.txt'), 'not data');
    writeFileSync(join(logs, '.DS_Store'), 'junk');
    symlinkSync(join(dir, 'AWSLogs'), join(logs, 'loop.json')); // a link to a folder (a loop, even)
    const run = await replay(['AWSLogs'], {}, dir);
    assert.equal(run.code, EXIT_OK, run.err);
    assert.deepEqual(new Set(idsIn(run.payloads)), new Set(writes.slice(0, 4).map((r) => r.eventID)));
    assert.equal(run.errLines.length, 2, run.err);
    assert.equal(run.errLines[0], 'cloudtrail-slack replay: AWSLogs: 4 files skipped: 2 not named .json, .json.gz or .jsonl, 1 CloudTrail digest file (no records), 1 link to folders (not followed)');
    assert.match(run.errLines[1]!, /3 file\(s\), 4 record\(s\): 4 printed/);
  });

  test('an empty folder reads nothing and says so in the summary; a bad file in a folder is named by its path', async (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'empty'));
    mkdirSync(join(dir, 'some'));
    writeFileSync(join(dir, 'some', 'bad.jsonl'), 'nope');
    const run = await replay(['empty', 'some'], {}, dir);
    assert.equal(run.code, EXIT_FAILURE);
    assert.match(run.err, /some\/bad\.jsonl: not valid JSON/);
    assert.match(run.errLines.at(-1)!, /1 file\(s\), 0 record\(s\)/);
  });
});

describe('replay --post progress and --html path', () => {
  test('--post says how far it is on stderr while it posts, at a few seconds apart', async (t) => {
    const clock = new ManualClock();
    t.after(clock.autoAdvance());
    const slack = await startSlackSimulator({ now: () => clock.now() });
    t.after(() => slack.close());
    const dir = tempDir(t);
    writeFileSync(join(dir, 'a.jsonl'), jsonl(writes.slice(0, 25)));
    // One message per event, so there are 25 to pace (with digests, these would be a handful).
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ digest: { enabled: false } }));
    const run = await replay(['a.jsonl'], { post: true, config: 'c.json' }, dir, { clock }, { SLACK_WEBHOOK_URL: slack.url });
    assert.equal(run.code, EXIT_OK, run.err);
    assert.equal(slack.received.length, 25);
    const progress = run.errLines.map((l) => /^cloudtrail-slack replay: posted (\d+) of 25$/.exec(l)?.[1]).filter((n) => n !== undefined).map(Number);
    assert.ok(progress.length >= 2, `progress lines: ${run.err}`);
    assert.deepEqual(progress, [...progress].sort((a, b) => a - b), 'counting up');
    assert.ok(progress.every((n) => n > 0 && n < 25));
    assert.match(run.errLines.at(-1)!, /25 posted/);
  });

  test('--html says where it wrote the page, as an absolute path', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'a.jsonl'), jsonl(writes.slice(0, 2)));
    const run = await replay(['a.jsonl'], { html: 'out/../page.html' }, dir);
    assert.equal(run.code, EXIT_OK, run.err);
    assert.ok(run.errLines.includes(`cloudtrail-slack replay: wrote the HTML preview of 2 message(s) to ${resolve(dir, 'page.html')}`), run.err);
  });
});
