import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../src/demo/command';
import { DEMO_REGIONS, isExpectedWrite, planSampleEvents, readSampleRecords, SAMPLE_FILE } from '../src/demo/sample';
import { EXIT_OK } from '../src/lib/errors';
import { runCliToEnd, type TestContextLike } from './support/cli-process';

const ROOT = join(__dirname, '..');
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
const MIN = 60_000;

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'cts-demo-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function eventIdOf(payload: unknown): string {
  const fields = (payload as { attachments: Array<{ fields: Array<{ title: string; value: string }> }> }).attachments[0]?.fields ?? [];
  const id = fields.find((f) => f.title === 'Event ID')?.value ?? '';
  assert.match(id, UUID);
  return id;
}

async function run(t: TestContextLike, args: string[], env: Record<string, string>) {
  const result = await runCliToEnd(t, args, { cwd: ROOT, env });
  return { code: result.code, out: result.stdout, err: result.stderr };
}

describe('the bundled sample', () => {
  test('is 300 unedited fixture records, rebuilt identically by data/make-sample-events.js', () => {
    const fixture = new Set(readFileSync(join(ROOT, 'test', 'fixtures', 'cloudtrail', 'events.jsonl'), 'utf8').split('\n'));
    const sample = readFileSync(SAMPLE_FILE, 'utf8');
    const lines = sample.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 300);
    for (const line of lines) assert.ok(fixture.has(line), 'copied byte for byte');
    const rebuilt = spawnSync(process.execPath, [join(ROOT, 'data', 'make-sample-events.js')], { encoding: 'utf8' });
    assert.equal(rebuilt.status, 0, rebuilt.stderr);
    assert.equal(rebuilt.stdout, sample, 'deterministic');
    const records = readSampleRecords();
    assert.ok(records.filter(isExpectedWrite).length >= 200, 'mostly write events');
    const types = new Set(records.map((r) => r.userIdentity?.type ?? '(none)'));
    assert.ok(types.size >= 4, `identity types: ${[...types].join(', ')}`);
  });

  test('the plan: moved to the last hour, three regions, global services in us-east-1, a few late', () => {
    const now = Date.UTC(2030, 0, 1, 12);
    const records = readSampleRecords();
    const plan = planSampleEvents(records, { now, once: false });
    assert.equal(Math.max(...plan.map((p) => p.eventTime)), now - MIN);
    assert.ok(Math.min(...plan.map((p) => p.eventTime)) > now - 60 * MIN, 'inside the demo\'s 60-minute lookback');
    assert.deepEqual(new Set(plan.map((p) => p.region)), new Set(DEMO_REGIONS));
    for (const p of plan.filter((p) => p.record.eventSource === 'iam.amazonaws.com')) assert.equal(p.region, 'us-east-1');
    const late = plan.filter((p) => p.late);
    assert.ok(late.length >= 6 && late.length <= 12, `${late.length} late`);
    for (const p of late) {
      assert.ok(p.expected, 'only posted events are late (so each shows up)');
      assert.ok((p.visibleAt ?? 0) > now && (p.visibleAt ?? 0) <= now + 32_000);
      assert.ok((p.visibleAt ?? 0) - p.eventTime < 15 * MIN, 'late by less than the settle window');
    }
    const once = planSampleEvents(records, { now, once: true });
    assert.ok(once.filter((p) => p.late).every((p) => p.visibleAt === now), '--once: visible before the pass');
  });
});

describe('cloudtrail-slack demo', () => {
  test('demo --once: exits 0, shows every message, saves one payload line per write event, writes the HTML', { timeout: 90_000 }, async (t) => {
    const dir = tempDir(t);
    const html = join(dir, 'preview.html');
    // The user's settings must not leak into the demo: each of these would fail or hang the run if used.
    const poisoned = {
      // Loopback's discard port: used, it would refuse the connection; nothing ever leaves the machine.
      SLACK_WEBHOOK_URL: 'http://127.0.0.1:9/services/T/B/NOT-THE-DEMO',
      CLOUDTRAIL_SLACK_CONFIG: join(dir, 'no-such-config.json'),
      AWS_ENDPOINT_URL_CLOUDTRAIL: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_PROFILE: 'no-such-profile',
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
      AWS_CONFIG_FILE: join(dir, 'none'),
      SMTP_URL: 'smtp://127.0.0.1:9',
    };
    const result = await run(t, ['demo', '--once', '--html', html], { PATH: process.env.PATH ?? '', TMPDIR: dir, ...poisoned });
    assert.equal(result.code, EXIT_OK, result.err);

    const expected = readSampleRecords().filter(isExpectedWrite).map((r) => String(r.eventID));
    assert.match(result.out, new RegExp(`${expected.length} messages posted, as expected`));
    // One Event ID field per message (beside the Access Key field when the call had one).
    assert.equal([...result.out.matchAll(/^\| (?:Access Key: `[^`]*` +)?Event ID: /gm)].length, expected.length, 'every message shown in the terminal');
    assert.ok(!result.out.includes('\u001b'), 'no colour codes when stdout is not a terminal');
    assert.ok(result.out.includes('only 127.0.0.1') || result.out.includes('Nothing leaves 127.0.0.1'));

    const payloadFile = /payloads +(\S+slack-payloads\.jsonl)/.exec(result.out)?.[1];
    assert.ok(payloadFile && payloadFile.startsWith(dir), `payload file in the demo's temp folder: ${payloadFile}`);
    const payloads = readFileSync(payloadFile, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown);
    assert.equal(payloads.length, expected.length, 'one line per write event of the sample');
    assert.deepEqual(payloads.map(eventIdOf).sort(), [...expected].sort(), 'each write event exactly once');
    const page = readFileSync(html, 'utf8');
    assert.equal(page.split('data-message="').length - 1, expected.length);
  });

  test('continuous mode: late events arrive on a later poll; Ctrl-C stops cleanly', async (t) => {
    const dir = tempDir(t);
    const proc = new EventEmitter();
    let out = '';
    const LATE_MS = 8000; // longer than any region's first scan, so the late ones cannot be in it
    const records = readSampleRecords();
    const expected = records.filter(isExpectedWrite).length;
    const done = runDemo(
      {},
      {
        out: {
          write(text: string) {
            out += text;
            if (text.includes(`All ${expected} expected messages are in`)) setImmediate(() => proc.emit('SIGINT', 'SIGINT'));
          },
        },
        err: { write: () => undefined },
        env: {},
        proc,
        tmpRoot: dir,
        pollIntervalSeconds: 2,
        lateAfterMs: [LATE_MS],
        forceExit: (code) => assert.fail(`forced exit ${code}`),
      },
    );
    assert.equal(await done, EXIT_OK);
    const payloadFile = /payloads +(\S+slack-payloads\.jsonl)/.exec(out)?.[1] ?? '';
    const ids = readFileSync(payloadFile, 'utf8').split('\n').filter((l) => l !== '').map((l) => eventIdOf(JSON.parse(l)));
    assert.equal(ids.length, expected);
    assert.equal(new Set(ids).size, expected, 'nothing twice');

    const plan = planSampleEvents(records, { now: 0, once: false, lateAfterMs: [LATE_MS] });
    for (const region of DEMO_REGIONS) {
      const inRegion = plan.filter((p) => p.region === region && p.expected);
      const position = (p: (typeof plan)[number]) => ids.indexOf(String(p.record.eventID));
      const lastOnTime = Math.max(...inRegion.filter((p) => !p.late).map(position));
      for (const p of inRegion.filter((p) => p.late)) assert.ok(position(p) > lastOnTime, `${region}: late event after the first poll's`);
    }
    assert.equal(out.split('↳ late: visible 8 s after the demo started').length - 1, plan.filter((p) => p.late).length);
    assert.match(out, /Demo stopped after [\d.]+ s: 239 messages posted, as expected/);
  });
});
