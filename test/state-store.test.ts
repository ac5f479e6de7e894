import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { test, type TestContext } from 'node:test';
import { ConfigError, DaemonError } from '../src/lib/errors';
import { createLogger } from '../src/logging/logger';
import { initialState, type RegionState } from '../src/state/region-state';
import {
  createStateStore,
  StateReadError,
  StateWriteError,
  type StateFs,
} from '../src/state/store';
import { ManualClock } from './support/manual-clock';
import { EVENT_HISTORY_RETENTION_MS } from '../src/cloudtrail/retention';

const MINUTE = 60_000;
const REGION = 'us-east-1';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'state-store-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function setup(t: TestContext, options: { clock?: ManualClock; fs?: StateFs; profile?: string; dir?: string } = {}) {
  const dir = options.dir ?? tempDir(t);
  const clock = options.clock ?? new ManualClock();
  const lines: LogLine[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (msg: string) => lines.push(JSON.parse(msg)) } });
  const store = createStateStore({ dir, profile: options.profile ?? 'prod', clock, log, fs: options.fs });
  return { dir, clock, lines, store, file: store.pathFor(REGION) };
}

function sampleState(clock: ManualClock, offset = clock.now() - 10 * MINUTE): RegionState {
  return {
    version: 2,
    offset,
    delivered: { 'id-a': { t: offset, to: ['default'] }, 'id-b': { t: offset + 1000, to: ['default', 'security'] } },
    lastScanEnd: clock.now() - MINUTE,
    lastFullScanEnd: clock.now() - 2 * MINUTE,
    updatedAt: clock.now(),
  };
}

function errnoError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), { code });
}

test('missing file starts a new region from the initial lookback', async (t) => {
  const { store, clock } = setup(t);
  const { state, source } = await store.load(REGION, { initialLookbackMinutes: 20 });
  assert.equal(source, 'new');
  assert.deepEqual(state, initialState(clock.now(), 20));
});

test('saves and loads the same state', async (t) => {
  const { store, clock, file } = setup(t);
  const saved = sampleState(clock);
  await store.save(REGION, saved);
  const { state, source } = await store.load(REGION, { initialLookbackMinutes: 20 });
  assert.equal(source, 'file');
  assert.deepEqual(state, saved);
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).version, 2);
});

test('save stamps updatedAt with the clock', async (t) => {
  const { store, clock } = setup(t);
  const saved = sampleState(clock);
  await clock.advance(5000);
  await store.save(REGION, saved);
  const { state } = await store.load(REGION, { initialLookbackMinutes: 20 });
  assert.equal(state.updatedAt, clock.now());
});

test('state file is named .<profile>.<region>.cloudtrail.state in the state dir', async (t) => {
  const { store, dir, clock } = setup(t, { profile: 'not_default' });
  assert.equal(store.pathFor('eu-west-1'), path.join(dir, '.not_default.eu-west-1.cloudtrail.state'));
  await store.save('eu-west-1', sampleState(clock));
  assert.deepEqual(fs.readdirSync(dir), ['.not_default.eu-west-1.cloudtrail.state']);
});

test('creates a missing state dir with mode 0700 and the file with mode 0600', async (t) => {
  const root = tempDir(t);
  const dir = path.join(root, 'a', 'state');
  const { store, clock, file } = setup(t, { dir });
  await store.save(REGION, sampleState(clock));
  assert.equal(fs.statSync(dir).mode & 0o777, 0o700);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
});

test('an overwritten 0644 file ends up 0600', async (t) => {
  const { store, clock, file, dir } = setup(t);
  fs.writeFileSync(file, 'old', { mode: 0o644 });
  fs.chmodSync(file, 0o644);
  await store.save(REGION, sampleState(clock));
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(fs.readdirSync(dir), [path.basename(file)], 'no temp file left behind');
});

test('a failed rename leaves the previous file intact and throws a StateWriteError naming the path', async (t) => {
  const dir = tempDir(t);
  const clock = new ManualClock();
  const good = setup(t, { dir, clock });
  const first = sampleState(clock);
  await good.store.save(REGION, first);
  const before = fs.readFileSync(good.file, 'utf8');

  const failing: StateFs = { ...fsp, rename: async () => Promise.reject(errnoError('EIO')) };
  const bad = setup(t, { dir, clock, fs: failing });
  const error = await bad.store.save(REGION, { ...first, offset: first.offset + 1 }).then(
    () => assert.fail('save should have failed'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof StateWriteError);
  assert.ok(error instanceof DaemonError);
  assert.match(error.message, new RegExp(`${good.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.match(error.message, /EIO/);
  assert.match(error.message, /writable by this user/);
  assert.equal(error.code, 'EIO');
  assert.equal(fs.readFileSync(good.file, 'utf8'), before);
  assert.deepEqual(fs.readdirSync(dir), [path.basename(good.file)], 'temp file removed');
});

test('a failed save does not block the next one', async (t) => {
  let failNext = true;
  const flaky: StateFs = {
    ...fsp,
    rename: async (from, to) => {
      if (failNext) {
        failNext = false;
        throw errnoError('ENOSPC');
      }
      return fsp.rename(from, to);
    },
  };
  const { store, clock } = setup(t, { fs: flaky });
  const state = sampleState(clock);
  await assert.rejects(store.save(REGION, state), (e: unknown) => e instanceof StateWriteError && /disk space/.test(e.message));
  await store.save(REGION, state);
  assert.deepEqual((await store.load(REGION, { initialLookbackMinutes: 20 })).state, state);
});

test('save refuses a state that would load as corrupt', async (t) => {
  const { store, clock, file } = setup(t);
  await assert.rejects(store.save(REGION, { ...sampleState(clock), offset: Number.NaN }), TypeError);
  assert.equal(fs.existsSync(file), false);
});

test('concurrent saves for a region are serialised and the last one wins', async (t) => {
  let inFlight = 0;
  let maxInFlight = 0;
  const tracking: StateFs = {
    ...fsp,
    rename: async (from, to) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      try {
        return await fsp.rename(from, to);
      } finally {
        inFlight -= 1;
      }
    },
  };
  const { store, clock } = setup(t, { fs: tracking });
  const base = sampleState(clock);
  const offsets = [1, 2, 3, 4, 5].map((n) => base.offset + n);
  await Promise.all(offsets.map((offset) => store.save(REGION, { ...base, offset })));
  assert.equal(maxInFlight, 1);
  const { state } = await store.load(REGION, { initialLookbackMinutes: 20 });
  assert.equal(state.offset, offsets.at(-1));
});

test('legacy Ruby file is upgraded at the recorded local second, with a backup', async (t) => {
  const recorded = new Date(2017, 6, 10, 11, 42, 18).getTime();
  const clock = new ManualClock(recorded + 30 * MINUTE);
  const { store, file, dir, lines } = setup(t, { clock });
  const legacy = 'latest_event_time=2017-07-10 11:42:18\n  \n';
  fs.writeFileSync(file, legacy);

  const { state, source } = await store.load(REGION, { initialLookbackMinutes: 20 });
  assert.equal(source, 'legacy');
  assert.equal(state.offset, recorded, 'the recorded second itself, not +1 s');
  assert.deepEqual(state.delivered, {});

  const expectedBackup = `${file}.legacy-${new Date(clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '')}`;
  assert.ok(fs.existsSync(expectedBackup), `backup ${expectedBackup} exists in ${fs.readdirSync(dir).join(', ')}`);
  assert.equal(fs.readFileSync(expectedBackup, 'utf8'), legacy);

  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).offset, recorded, 'saved in the new format');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const again = await store.load(REGION, { initialLookbackMinutes: 20 });
  assert.equal(again.source, 'file');
  assert.equal(again.state.offset, recorded);
  assert.ok(lines.some((l) => l.msg.includes('upgraded legacy state file') && l['backup'] === expectedBackup));
});

test('legacy time is read in the local time zone', async (t) => {
  const previous = process.env['TZ'];
  t.after(() => {
    if (previous === undefined) delete process.env['TZ'];
    else process.env['TZ'] = previous;
  });
  process.env['TZ'] = 'Asia/Tokyo'; // UTC+9, no DST
  const clock = new ManualClock(Date.UTC(2017, 6, 10, 3, 0, 0));
  const { store, file } = setup(t, { clock });
  fs.writeFileSync(file, 'latest_event_time=2017-07-10 11:42:18');
  const { state } = await store.load(REGION, { initialLookbackMinutes: 20 });
  assert.equal(state.offset, Date.UTC(2017, 6, 10, 2, 42, 18));
});

test('legacy time with an explicit UTC offset honours it', async (t) => {
  const clock = new ManualClock(Date.UTC(2017, 6, 10, 14, 0, 0));
  const { store, file } = setup(t, { clock });
  fs.writeFileSync(file, 'latest_event_time=2017-07-10 11:42:18 -0200\n');
  const { state, source } = await store.load(REGION, { initialLookbackMinutes: 20 });
  assert.equal(source, 'legacy');
  assert.equal(state.offset, Date.UTC(2017, 6, 10, 13, 42, 18));
});

const corruptCases: Array<[string, string]> = [
  ['garbage', 'hello, this is not state\n'],
  ['truncated JSON', '{"version":1,"offset":1764158400000,"deliv'],
  ['version 0', JSON.stringify({ version: 0, offset: 1764158400000, delivered: {}, updatedAt: 1764158400000 })],
  ['version 3', JSON.stringify({ version: 3, offset: 1764158400000, delivered: {}, updatedAt: 1764158400000 })],
  ['a version 2 entry as a bare time', JSON.stringify({ version: 2, offset: 1764158400000, delivered: { a: 1764158400000 }, updatedAt: 1764158400000 })],
  ['a version 2 entry without to', JSON.stringify({ version: 2, offset: 1764158400000, delivered: { a: { t: 1764158400000 } }, updatedAt: 1764158400000 })],
  ['a version 2 entry whose t is a string', JSON.stringify({ version: 2, offset: 1764158400000, delivered: { a: { t: '1', to: ['default'] } }, updatedAt: 1764158400000 })],
  ['offset as a string', JSON.stringify({ version: 1, offset: '1764158400000', delivered: {}, updatedAt: 1 })],
  ['delivered time not a number', JSON.stringify({ version: 1, offset: 1, delivered: { a: 'x' }, updatedAt: 1 })],
  ['delivered an array', JSON.stringify({ version: 1, offset: 1, delivered: [], updatedAt: 1 })],
  ['JSON null', 'null'],
  ['empty file', ''],
  ['impossible legacy date', 'latest_event_time=2017-02-30 11:42:18'],
];

for (const [label, content] of corruptCases) {
  test(`corrupt file (${label}) is moved aside and the region restarts from the lookback`, async (t) => {
    const { store, file, dir, clock, lines } = setup(t);
    fs.writeFileSync(file, content);
    const { state, source } = await store.load(REGION, { initialLookbackMinutes: 20 });
    assert.equal(source, 'corrupt');
    assert.deepEqual(state, initialState(clock.now(), 20));

    const aside = `${file}.corrupt-20261126T120000Z`;
    assert.deepEqual(fs.readdirSync(dir).sort(), [path.basename(aside)]);
    assert.equal(fs.readFileSync(aside, 'utf8'), content, 'never deleted');
    const error = lines.find((l) => l.level === 50);
    assert.ok(error, 'an error is logged');
    assert.equal(error['file'], file);
    assert.equal(error['movedTo'], aside);
    assert.match(error.msg, /restarting region from the initial lookback/);
  });
}

test('a second corrupt file in the same second does not overwrite the first one set aside', async (t) => {
  const { store, file, dir } = setup(t);
  fs.writeFileSync(file, 'first');
  await store.load(REGION, { initialLookbackMinutes: 20 });
  fs.writeFileSync(file, 'second');
  await store.load(REGION, { initialLookbackMinutes: 20 });
  const aside = `${file}.corrupt-20261126T120000Z`;
  assert.equal(fs.readFileSync(aside, 'utf8'), 'first');
  assert.equal(fs.readFileSync(`${aside}-1`, 'utf8'), 'second');
  assert.equal(fs.readdirSync(dir).length, 2);
});

test('an unreadable state path is reported, not treated as corrupt', async (t) => {
  const { store, file } = setup(t);
  fs.mkdirSync(file);
  await assert.rejects(
    store.load(REGION, { initialLookbackMinutes: 20 }),
    (e: unknown) => e instanceof StateReadError && e.message.includes(file) && e.code === 'EISDIR',
  );
  assert.ok(fs.statSync(file).isDirectory(), 'left in place');
});

test('an offset far in the future is corrupt: set aside, never clamped to now (that would skip what happened since)', async (t) => {
  const { store, clock, file } = setup(t);
  const future = clock.now() + 60 * MINUTE;
  fs.writeFileSync(file, JSON.stringify({ version: 2, offset: future, delivered: { x: { t: future, to: ['default'] } }, updatedAt: clock.now() }));
  const { state, source, corrupt } = await store.load(REGION, { initialLookbackMinutes: 20 });
  assert.equal(source, 'corrupt');
  assert.equal(state.offset, clock.now() - 20 * MINUTE);
  assert.match(corrupt?.reason ?? '', /offset 2026-11-26T13:00:00.000Z is not between 2013-11-13T00:00:00.000Z and now/);
  assert.equal(corrupt?.movedTo, `${file}.corrupt-20261126T120000Z`);
});

test('an offset a little ahead (a clock that stepped back) resumes one settle window before now; future scan ends are forgotten', async (t) => {
  const { store, clock, lines } = setup(t);
  const ahead = clock.now() + 3 * MINUTE;
  await store.save(REGION, { version: 2, offset: ahead, delivered: { x: { t: ahead, to: ['default'] } }, lastScanEnd: ahead, lastFullScanEnd: ahead, updatedAt: clock.now() });
  const { state, source } = await store.load(REGION, { initialLookbackMinutes: 20, settleMinutes: 10 });
  assert.equal(source, 'file');
  assert.equal(state.offset, clock.now() - 10 * MINUTE, 'not now: the settle window is read again');
  assert.equal(state.lastScanEnd, undefined, 'the next scan is a full one');
  assert.equal(state.lastFullScanEnd, undefined);
  assert.deepEqual(state.delivered, { x: { t: ahead, to: ['default'] } }, 'what was delivered stays deduplicated');
  assert.ok(lines.some((l) => l.level === 40 && /ahead of the clock/.test(l.msg)));
});

test('a FIFO in place of the state file is refused at once (reading it would block), with advice', async (t) => {
  const { store, file } = setup(t);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  execFileSync('mkfifo', [file]);
  await assert.rejects(
    store.load(REGION, { initialLookbackMinutes: 20 }),
    (e: unknown) => e instanceof StateReadError && e.code === 'NOT_A_FILE' && /is a FIFO, not a state file/.test(e.message) && /move it out/.test(e.advice),
  );
});

test('a legacy file with a time before CloudTrail existed is corrupt, not upgraded', async (t) => {
  const { store, file } = setup(t);
  fs.writeFileSync(file, 'latest_event_time=1999-07-10 11:42:18\n');
  const { source, corrupt } = await store.load(REGION, { initialLookbackMinutes: 20 });
  assert.equal(source, 'corrupt');
  assert.match(corrupt?.reason ?? '', /^offset 1999-/);
});

test('save refuses a state whose values would load as out of bounds', async (t) => {
  const { store, clock, file } = setup(t);
  await assert.rejects(store.save(REGION, { ...sampleState(clock), offset: 1e300 }), /offset 1e\+300 is not between/);
  await assert.rejects(store.save(REGION, { ...sampleState(clock), delivered: { ['i'.repeat(300)]: { t: clock.now(), to: ['default'] } } }), /event ID/);
  await assert.rejects(store.save(REGION, { ...sampleState(clock), delivered: { a: { t: clock.now(), to: ['Not A Name'] } } }), /not a webhook name/);
  assert.equal(fs.existsSync(file), false);
});

test('a delivered entry may carry more numbers than its time (a later format), each checked', async (t) => {
  const { store, clock, file } = setup(t);
  const now = clock.now();
  const write = (entry: unknown) =>
    fs.writeFileSync(file, JSON.stringify({ version: 1, offset: now - MINUTE, delivered: { a: entry }, updatedAt: now }));
  write({ time: now, at: 1e300 });
  assert.match((await store.load(REGION, { initialLookbackMinutes: 20 })).corrupt?.reason ?? '', /delivered\["a"\] holds 1e\+300/);
});

const v2Bounds: Array<[string, unknown, RegExp]> = [
  ['an empty to', { t: 0, to: [] }, /^delivered\["a"\]\.to lists 0 webhooks, not 1 to 16$/],
  ['17 webhooks', { t: 0, to: Array.from({ length: 17 }, (_, i) => `w${i}`) }, /^delivered\["a"\]\.to lists 17 webhooks, not 1 to 16$/],
  ['an upper-case name', { t: 0, to: ['Security'] }, /^delivered\["a"\]\.to holds "Security", not a webhook name$/],
  ['a name of 65 characters', { t: 0, to: ['a'.repeat(65)] }, /\.to holds "a{65}", not a webhook name$/],
  ['a name starting with "-"', { t: 0, to: ['-x'] }, /\.to holds "-x", not a webhook name$/],
  ['a number as a name', { t: 0, to: [7] }, /\.to holds 7, not a webhook name$/],
  ['a long hostile name, cut in the reason', { t: 0, to: [`<!channel>${'x'.repeat(500)}`] }, /\.to holds "<!channel>x{59}…, not a webhook name$/],
  ['a webhook twice', { t: 0, to: ['default', 'default'] }, /^delivered\["a"\]\.to names a webhook twice$/],
  ['t past the Date range', { t: 8.7e15, to: ['default'] }, /^delivered\["a"\] holds 8700000000000000, not a time$/],
  ['nine fields', { t: 0, to: ['default'], a: 1, b: 1, c: 1, d: 1, e: 1, f: 1, g: 1 }, /^delivered\["a"\] has more than 8 fields$/],
  ['to not a list', { t: 0, to: 'default' }, /^delivered\["a"\]\.to is not a list of webhook names$/],
];
for (const [label, entry, reason] of v2Bounds) {
  test(`a version 2 delivered entry with ${label} makes the file corrupt`, async (t) => {
    const { store, clock, file } = setup(t);
    const now = clock.now();
    fs.writeFileSync(file, JSON.stringify({ version: 2, offset: now - MINUTE, delivered: { a: entry }, updatedAt: now }));
    const { source, corrupt } = await store.load(REGION, { initialLookbackMinutes: 20 });
    assert.equal(source, 'corrupt');
    assert.match(corrupt?.reason ?? '', reason);
  });
}

test('16 webhooks of 64 characters each are within bounds', async (t) => {
  const { store, clock } = setup(t);
  const to = Array.from({ length: 16 }, (_, i) => `${i.toString(16)}${'_-x9'.repeat(16)}`.slice(0, 64));
  const state: RegionState = { ...initialState(clock.now(), 20), delivered: { a: { t: clock.now(), to } } };
  await store.save(REGION, state);
  assert.deepEqual((await store.load(REGION, { initialLookbackMinutes: 20 })).state.delivered, state.delivered);
});

test('an offset older than 90 days is loaded as it is: the poller reports what aged out', async (t) => {
  const { store, clock } = setup(t);
  const ancient = clock.now() - 120 * 24 * 60 * MINUTE;
  await store.save(REGION, { version: 2, offset: ancient, delivered: { old: { t: ancient, to: ['default'] } }, updatedAt: ancient });
  const { state } = await store.load(REGION, { initialLookbackMinutes: 20 });
  assert.equal(state.offset, ancient);
  assert.equal(EVENT_HISTORY_RETENTION_MS, 90 * 24 * 60 * MINUTE);
});

test('undeliverable events are appended as JSON lines with mode 0600', async (t) => {
  const { store, dir } = setup(t);
  const first = { id: 'e1', name: 'DeleteBucket', time: 1, error: 'invalid_blocks', at: 2 };
  const second = { id: 'e2', name: 'Put\nPolicy', time: 3, error: 'no_text', at: 4 };
  await Promise.all([store.recordUndeliverable(REGION, first), store.recordUndeliverable(REGION, second)]);
  const file = path.join(dir, `.prod.${REGION}.undeliverable.jsonl`);
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[2], '');
  assert.deepEqual(JSON.parse(lines[0] ?? ''), first);
  assert.deepEqual(JSON.parse(lines[1] ?? ''), second);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
});

test('profile or region that could escape the state dir is rejected', (t) => {
  const dir = tempDir(t);
  const log = createLogger({ level: 'silent' });
  const clock = new ManualClock();
  for (const profile of ['../etc', 'a/b', 'a\\b', '..', 'a\u0000b', 'a\nb', '']) {
    assert.throws(
      () => createStateStore({ dir, profile, clock, log }),
      (e: unknown) => e instanceof ConfigError && /profile/.test(e.message),
      `profile ${JSON.stringify(profile)}`,
    );
  }
  const store = createStateStore({ dir, profile: 'prod', clock, log });
  assert.throws(() => store.pathFor('../../tmp'), ConfigError);
  assert.throws(() => store.pathFor('us-east-1/x'), ConfigError);
});

test('a read-only store (--dry-run) reads legacy and corrupt files but changes nothing on disk', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cts-ro-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const clock = new ManualClock();
  const store = createStateStore({ dir, profile: 'default', clock, log: createLogger({ level: 'silent' }), readOnly: true });
  fs.writeFileSync(store.pathFor('us-east-1'), 'latest_event_time=2026-11-26 11:50:00\n');
  fs.writeFileSync(store.pathFor('eu-west-1'), '{"version":1,"offset":');
  const before = fs.readdirSync(dir).sort();
  assert.equal((await store.load('us-east-1', { initialLookbackMinutes: 20 })).source, 'legacy');
  assert.equal((await store.load('eu-west-1', { initialLookbackMinutes: 20 })).source, 'corrupt');
  assert.deepEqual(fs.readdirSync(dir).sort(), before, 'no file added, renamed or upgraded');
  assert.equal(fs.readFileSync(store.pathFor('us-east-1'), 'utf8'), 'latest_event_time=2026-11-26 11:50:00\n');
});
