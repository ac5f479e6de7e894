import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { test, type TestContext } from 'node:test';
import { createLogger } from '../src/logging/logger';
import {
  deliveredEntry,
  initialState,
  isDelivered,
  isDeliveredTo,
  LEGACY_WEBHOOK,
  pruneDelivered,
  recordDelivered,
  type RegionState,
} from '../src/state/region-state';
import { createStateStore, StateWriteError, type StateFs } from '../src/state/store';
import { ManualClock } from './support/manual-clock';

const MINUTE = 60_000;
const REGION = 'us-east-1';

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

function setup(t: TestContext, options: { clock?: ManualClock; fs?: StateFs; dir?: string; readOnly?: boolean } = {}) {
  let dir = options.dir;
  if (dir === undefined) {
    const made = fs.mkdtempSync(path.join(os.tmpdir(), 'state-v2-'));
    t.after(() => fs.rmSync(made, { recursive: true, force: true }));
    dir = made;
  }
  const clock = options.clock ?? new ManualClock();
  const lines: LogLine[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (msg: string) => lines.push(JSON.parse(msg)) } });
  const store = createStateStore({ dir, profile: 'prod', clock, log, fs: options.fs, readOnly: options.readOnly });
  const file = store.pathFor(REGION);
  return { dir, clock, lines, store, file, journal: `${file}.journal` };
}

const load = (store: ReturnType<typeof setup>['store']) => store.load(REGION, { initialLookbackMinutes: 20 });

// ---------------------------------------------------------------------------------------------------------------
// Pure helpers

test('recordDelivered mutates the state in place: one entry per ID, each webhook once, t only grows', () => {
  const state = initialState(1_000_000_000_000, 20);
  const map = state.delivered;
  recordDelivered(state, 'e1', 'default', 500);
  recordDelivered(state, 'e1', 'security', 400);
  recordDelivered(state, 'e1', 'default', 450);
  assert.equal(state.delivered, map, 'the same map: no copy per event');
  assert.deepEqual(state.delivered, { e1: { t: 500, to: ['default', 'security'] } });
  recordDelivered(state, 'e1', 'security', 900);
  assert.deepEqual(deliveredEntry(state, 'e1'), { t: 900, to: ['default', 'security'] });

  assert.equal(isDeliveredTo(state, 'e1', 'default'), true);
  assert.equal(isDeliveredTo(state, 'e1', 'security'), true);
  assert.equal(isDeliveredTo(state, 'e1', 'ops'), false);
  assert.equal(isDelivered(state, 'e1'), true);
  assert.equal(isDelivered(state, 'e2'), false);
  assert.equal(LEGACY_WEBHOOK, 'default');
});

test('an entry is replaced, never changed, so a pruned copy sharing it is not affected', () => {
  const state = initialState(1_000_000_000_000, 20);
  recordDelivered(state, 'e1', 'default', state.offset + 1);
  const copy = pruneDelivered(state);
  recordDelivered(state, 'e1', 'security', state.offset + 2);
  assert.deepEqual(copy.delivered, { e1: { t: state.offset + 1, to: ['default'] } });
});

test('inherited names are not delivered IDs, and "__proto__" is an ID like any other', () => {
  const state = initialState(1_000_000_000_000, 20);
  assert.equal(isDelivered(state, 'toString'), false);
  assert.equal(isDeliveredTo(state, '__proto__', 'default'), false);
  assert.equal(deliveredEntry(state, 'constructor'), undefined);
  recordDelivered(state, '__proto__', 'default', state.offset + 6);
  assert.equal(isDeliveredTo(state, '__proto__', 'default'), true);
  assert.equal(Object.getPrototypeOf(state.delivered), Object.prototype, 'the map keeps its prototype');
  assert.deepEqual(Object.keys(pruneDelivered(state).delivered), ['__proto__']);
});

test('pruneDelivered drops entries with t below the offset and returns a new state; the input is untouched', () => {
  const state = initialState(1_000_000_000_000, 20);
  recordDelivered(state, 'old', 'default', state.offset - 1);
  recordDelivered(state, 'edge', 'default', state.offset);
  recordDelivered(state, 'new', 'security', state.offset + 1);
  const pruned = pruneDelivered(state);
  assert.deepEqual(Object.keys(pruned.delivered).sort(), ['edge', 'new']);
  assert.equal(Object.keys(state.delivered).length, 3, 'input not mutated');
  assert.notEqual(pruned.delivered, state.delivered);
});

test('an event ID a state file cannot hold (too long, control characters) is kept under a hash: deduplicated and savable', async (t) => {
  const { store, clock } = setup(t);
  const state = initialState(clock.now(), 20);
  const long = 'x'.repeat(10_000);
  const control = 'evil\nid';
  recordDelivered(state, long, 'default', clock.now() - MINUTE);
  recordDelivered(state, control, 'security', clock.now() - MINUTE);
  assert.equal(isDeliveredTo(state, long, 'default'), true);
  assert.equal(isDeliveredTo(state, control, 'security'), true);
  assert.equal(isDelivered(state, 'x'.repeat(9_999)), false);
  for (const key of Object.keys(state.delivered)) assert.match(key, /^#[0-9a-f]{64}$/);
  await store.save(REGION, state);
  await store.commit(REGION, { webhook: 'ops', entries: [{ id: long, t: clock.now() }] });
  const loaded = (await load(store)).state;
  assert.equal(isDeliveredTo(loaded, long, 'default'), true);
  assert.equal(isDeliveredTo(loaded, long, 'ops'), true, 'the journal uses the same key');
  assert.equal(isDeliveredTo(loaded, control, 'security'), true);
});

// ---------------------------------------------------------------------------------------------------------------
// Version 1 → 2, and versions from the future

test('a version 1 file on disk loads as version 2, its IDs delivered to "default", and is saved back as version 2', async (t) => {
  const { store, clock, file, lines } = setup(t);
  const now = clock.now();
  const v1 = { version: 1, offset: now - 10 * MINUTE, lastScanEnd: now - MINUTE, lastFullScanEnd: now - MINUTE, updatedAt: now - MINUTE,
    delivered: { a: now - 5 * MINUTE, b: now - 4 * MINUTE } };
  fs.writeFileSync(file, JSON.stringify(v1, null, 2));
  const { state, source } = await load(store);
  assert.equal(source, 'file');
  assert.deepEqual(state, { ...v1, version: 2, delivered: { a: { t: now - 5 * MINUTE, to: ['default'] }, b: { t: now - 4 * MINUTE, to: ['default'] } } });
  assert.ok(lines.some((l) => l.msg === 'read a version 1 state file; it is written as version 2 from the next save' && l['file'] === file));
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).version, 1, 'loading alone writes nothing');

  recordDelivered(state, 'a', 'security', now - 5 * MINUTE);
  await store.save(REGION, state);
  const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(saved.version, 2);
  assert.deepEqual(saved.delivered, { a: { t: now - 5 * MINUTE, to: ['default', 'security'] }, b: { t: now - 4 * MINUTE, to: ['default'] } });
  assert.deepEqual((await load(store)).state, { ...state, updatedAt: now });
});

test('each migrated entry has its own list: recording one does not touch the others', async (t) => {
  const { store, clock, file } = setup(t);
  const now = clock.now();
  fs.writeFileSync(file, JSON.stringify({ version: 1, offset: now - MINUTE, updatedAt: now, delivered: { a: now, b: now } }));
  const { state } = await load(store);
  recordDelivered(state, 'a', 'security', now);
  assert.deepEqual(deliveredEntry(state, 'b')?.to, ['default']);
});

test('a state file from a newer version (3) is set aside with a reason naming the version: never downgraded', async (t) => {
  const { store, clock, file, dir } = setup(t);
  const now = clock.now();
  const content = JSON.stringify({ version: 3, offset: now - MINUTE, updatedAt: now, delivered: { a: { t: now, to: ['x'], via: 'y' } } });
  fs.writeFileSync(file, content);
  const { state, source, corrupt } = await load(store);
  assert.equal(source, 'corrupt');
  assert.deepEqual(state, initialState(now, 20));
  assert.match(corrupt?.reason ?? '', /^version 3 was written by a newer cloudtrail-slack; this one reads versions 1 and 2 \(a downgrade is refused\)/);
  assert.equal(fs.readFileSync(path.join(dir, path.basename(corrupt?.movedTo ?? '')), 'utf8'), content, 'kept for a human');
});

// ---------------------------------------------------------------------------------------------------------------
// The journal

test('commit appends one fsynced JSON line per message and resolves after it; a new store instance replays it', async (t) => {
  const { store, clock, dir, journal } = setup(t);
  const now = clock.now();
  const base = initialState(now, 20);
  recordDelivered(base, 'a', 'default', now - 5 * MINUTE);
  await store.save(REGION, base);
  await store.commit(REGION, { webhook: 'default', entries: [{ id: 'b', t: now - 4 * MINUTE }, { id: 'c', t: now - 3 * MINUTE }] });
  await store.commit(REGION, { webhook: 'security', entries: [{ id: 'a', t: now - 2 * MINUTE }] });
  assert.equal(
    fs.readFileSync(journal, 'utf8'),
    `{"to":"default","ids":["b","c"],"t":[${now - 4 * MINUTE},${now - 3 * MINUTE}]}\n{"to":"security","ids":["a"],"t":[${now - 2 * MINUTE}]}\n`,
  );
  assert.equal(fs.statSync(journal).mode & 0o777, 0o600);

  // kill -9: no save; the next process reads the snapshot and the journal.
  const next = setup(t, { dir, clock });
  const { state, source, journal: info } = await load(next.store);
  assert.equal(source, 'file');
  assert.deepEqual(state.delivered, {
    a: { t: now - 2 * MINUTE, to: ['default', 'security'] },
    b: { t: now - 4 * MINUTE, to: ['default'] },
    c: { t: now - 3 * MINUTE, to: ['default'] },
  });
  assert.deepEqual(info, { file: journal, lines: 2, replayed: 3, dropped: 0, torn: false });
});

test('commits of a first scan that never reached a snapshot (a crash) are not lost', async (t) => {
  const { store, clock, dir, file } = setup(t);
  await store.commit(REGION, { webhook: 'default', entries: [{ id: 'a', t: clock.now() - MINUTE }] });
  assert.equal(fs.existsSync(file), false);
  const { state, source } = await load(setup(t, { dir, clock }).store);
  assert.equal(source, 'new');
  assert.equal(isDeliveredTo(state, 'a', 'default'), true);
});

test('replayed IDs below the offset are pruned at load', async (t) => {
  const { store, clock } = setup(t);
  const state = initialState(clock.now(), 20);
  await store.save(REGION, state);
  await store.commit(REGION, { webhook: 'default', entries: [{ id: 'old', t: state.offset - 1 }, { id: 'new', t: state.offset }] });
  assert.deepEqual(Object.keys((await load(store)).state.delivered), ['new']);
});

test('save writes the snapshot, then empties the journal; commits after it start a new one', async (t) => {
  const { store, clock, file, journal } = setup(t);
  const state = initialState(clock.now(), 20);
  await store.commit(REGION, { webhook: 'default', entries: [{ id: 'a', t: clock.now() }] });
  recordDelivered(state, 'a', 'default', clock.now());
  const saved = store.save(REGION, state);
  const after = store.commit(REGION, { webhook: 'default', entries: [{ id: 'b', t: clock.now() }] });
  await Promise.all([saved, after]);
  assert.deepEqual(Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).delivered), ['a'], 'the snapshot holds the committed ID');
  assert.equal(fs.readFileSync(journal, 'utf8'), `{"to":"default","ids":["b"],"t":[${clock.now()}]}\n`, 'only the commit queued after the save');
  const loaded = (await load(store)).state;
  assert.deepEqual(Object.keys(loaded.delivered).sort(), ['a', 'b']);
});

test('a torn last line (no newline) is ignored with a warning and cut off, so later commits stay readable', async (t) => {
  const { store, clock, journal, lines } = setup(t);
  const now = clock.now();
  await store.commit(REGION, { webhook: 'default', entries: [{ id: 'a', t: now }] });
  const good = fs.readFileSync(journal, 'utf8');
  fs.appendFileSync(journal, '{"to":"default","ids":["b"],"t":[17');
  const first = await load(store);
  assert.deepEqual(Object.keys(first.state.delivered), ['a']);
  assert.equal(first.journal?.torn, true);
  const warning = lines.find((l) => l.level === 40 && l['file'] === journal);
  assert.equal(warning?.msg, 'state journal ends with an incomplete line (a crash while writing it?); ignoring that line');
  assert.equal(fs.readFileSync(journal, 'utf8'), good, 'the torn tail is cut off');

  await store.commit(REGION, { webhook: 'default', entries: [{ id: 'c', t: now }] });
  const second = await load(store);
  assert.deepEqual(Object.keys(second.state.delivered).sort(), ['a', 'c']);
  assert.equal(second.journal?.torn, false);
});

test('a last line that is not JSON, even with its newline, is torn too', async (t) => {
  const { store, clock, journal } = setup(t);
  await store.commit(REGION, { webhook: 'default', entries: [{ id: 'a', t: clock.now() }] });
  fs.appendFileSync(journal, '\u0000\u0000\u0000\n');
  const { state, journal: info } = await load(store);
  assert.deepEqual(Object.keys(state.delivered), ['a']);
  assert.equal(info?.torn, true);
  assert.equal(info?.corrupt, undefined);
});

test('an invalid line in the middle: the journal is moved aside with a warning, the snapshot still used', async (t) => {
  const { store, clock, journal, dir, lines } = setup(t);
  const now = clock.now();
  const snapshot = initialState(now, 20);
  recordDelivered(snapshot, 's', 'default', now);
  await store.save(REGION, snapshot);
  await store.commit(REGION, { webhook: 'default', entries: [{ id: 'a', t: now }] });
  fs.appendFileSync(journal, '{"to":"default","ids":["b"]\n');
  await store.commit(REGION, { webhook: 'default', entries: [{ id: 'c', t: now }] });
  const content = fs.readFileSync(journal, 'utf8');

  const { state, source, journal: info } = await load(store);
  assert.equal(source, 'file');
  assert.deepEqual(Object.keys(state.delivered), ['s'], 'a damaged journal is not trusted: its IDs may be posted again');
  assert.equal(info?.corrupt?.reason, 'line 2 is not a journal entry (not JSON)');
  assert.equal(info?.corrupt?.movedTo, `${journal}.corrupt-20261126T120000Z`);
  assert.equal(fs.readFileSync(info?.corrupt?.movedTo ?? '', 'utf8'), content);
  assert.equal(fs.existsSync(journal), false);
  assert.ok(fs.readdirSync(dir).includes(path.basename(info?.corrupt?.movedTo ?? '')));
  const warning = lines.find((l) => l.level === 40 && l['file'] === journal);
  assert.equal(warning?.msg, 'state journal is corrupt; moved it aside and using the state file alone (events it recorded may be posted again)');
  assert.equal(warning?.['reason'], 'line 2 is not a journal entry (not JSON)');
});

const badLines: Array<[string, string, string]> = [
  ['a webhook that is not a webhook name', '{"to":"Bad Name","ids":["b"],"t":[1]}', 'line 2 names no webhook'],
  ['IDs and times of different lengths', '{"to":"default","ids":["b","c"],"t":[1]}', 'line 2 has 2 IDs but 1 times'],
  ['an array', '["default"]', 'line 2 is not a journal entry (not an object)'],
];
for (const [label, line, reason] of badLines) {
  test(`a middle line with ${label} makes the journal corrupt`, async (t) => {
    const { store, clock, journal } = setup(t);
    await store.commit(REGION, { webhook: 'default', entries: [{ id: 'a', t: clock.now() }] });
    fs.appendFileSync(journal, `${line}\n`);
    await store.commit(REGION, { webhook: 'default', entries: [{ id: 'c', t: clock.now() }] });
    const { state, journal: info } = await load(store);
    assert.equal(info?.corrupt?.reason, reason);
    assert.deepEqual(state.delivered, {});
  });
}

test('journal entries whose IDs or times are out of bounds are dropped, with a warning; the others are replayed', async (t) => {
  const { store, clock, journal, lines } = setup(t);
  const now = clock.now();
  const ids = ['ok', '', 'x'.repeat(300), 'a\u0007b', 42, 'late'];
  const times = [now, now, now, now, now, 1e300];
  fs.writeFileSync(journal, `${JSON.stringify({ to: 'default', ids, t: times })}\n`);
  const { state, journal: info } = await load(store);
  assert.deepEqual(Object.keys(state.delivered), ['ok']);
  assert.equal(info?.dropped, 5);
  assert.ok(lines.some((l) => l.level === 40 && l.msg === 'state journal entries out of bounds were dropped' && l['dropped'] === 5));
});

test('N commits of one ID each append N lines and never rewrite the snapshot', async (t) => {
  const calls: string[] = [];
  let bytes = 0;
  const counting: StateFs = {
    ...fsp,
    open: (async (file: fs.PathLike, flags?: string | number, mode?: fs.Mode) => {
      calls.push(`open ${path.basename(String(file))} ${String(flags)}`);
      const handle = await fsp.open(file, flags, mode);
      const writeFile = handle.writeFile.bind(handle);
      handle.writeFile = (async (data: string) => {
        bytes += Buffer.byteLength(data);
        return writeFile(data);
      }) as typeof handle.writeFile;
      const datasync = handle.datasync.bind(handle);
      handle.datasync = async () => {
        calls.push('datasync');
        return datasync();
      };
      return handle;
    }) as StateFs['open'],
    rename: async (from, to) => {
      calls.push(`rename ${path.basename(String(to))}`);
      return fsp.rename(from, to);
    },
    readFile: (async (...args: Parameters<typeof fsp.readFile>) => {
      calls.push(`readFile ${path.basename(String(args[0]))}`);
      return fsp.readFile(...args);
    }) as StateFs['readFile'],
  };
  const { store, clock, journal, file } = setup(t, { fs: counting });
  const state = initialState(clock.now(), 20);
  for (let i = 0; i < 100; i += 1) recordDelivered(state, `old-${i}`, 'default', clock.now());
  await store.save(REGION, state);
  calls.length = 0;
  bytes = 0;

  const n = 200;
  for (let i = 0; i < n; i += 1) {
    await store.commit(REGION, { webhook: 'default', entries: [{ id: `e-${String(i).padStart(4, '0')}`, t: clock.now() }] });
  }
  const name = path.basename(journal);
  assert.equal(calls.filter((c) => c === 'datasync').length, n, 'each line is synced before its commit resolves');
  assert.deepEqual(calls.filter((c) => c !== 'datasync' && !c.startsWith(`open ${name} a`) && !c.startsWith(`open ${path.basename(path.dirname(file))} r`)), [],
    'no rename, no read, nothing opened but the journal (and its folder once, to make the new file durable)');
  assert.equal(calls.filter((c) => c === `open ${name} a`).length, n, 'one append per commit');
  const content = fs.readFileSync(journal, 'utf8');
  assert.equal(content.split('\n').length - 1, n);
  assert.equal(bytes, Buffer.byteLength(content), 'only the lines were written');
  assert.ok(bytes < n * 80, `each line is about one ID long (${bytes} bytes for ${n})`);
});

test('a failed append is cut back, so no partial line is left in the middle of the journal', async (t) => {
  let failNext = false;
  const failing: StateFs = {
    ...fsp,
    open: (async (file: fs.PathLike, flags?: string | number, mode?: fs.Mode) => {
      const handle = await fsp.open(file, flags, mode);
      if (failNext) {
        failNext = false;
        handle.datasync = async () => {
          throw Object.assign(new Error('EIO: injected'), { code: 'EIO' });
        };
      }
      return handle;
    }) as StateFs['open'],
  };
  const { store, clock, journal } = setup(t, { fs: failing });
  await store.commit(REGION, { webhook: 'default', entries: [{ id: 'a', t: clock.now() }] });
  const before = fs.readFileSync(journal, 'utf8');
  failNext = true;
  await assert.rejects(
    store.commit(REGION, { webhook: 'default', entries: [{ id: 'b', t: clock.now() }] }),
    (e: unknown) => e instanceof StateWriteError && e.code === 'EIO' && e.path === journal,
  );
  assert.equal(fs.readFileSync(journal, 'utf8'), before);
  await store.commit(REGION, { webhook: 'default', entries: [{ id: 'c', t: clock.now() }] });
  assert.deepEqual(Object.keys((await load(store)).state.delivered).sort(), ['a', 'c']);
});

test('commit refuses a webhook that is not a webhook name, and writes nothing for no entries', async (t) => {
  const { store, clock, journal } = setup(t);
  await assert.rejects(store.commit(REGION, { webhook: 'Not A Name', entries: [{ id: 'a', t: clock.now() }] }), TypeError);
  await store.commit(REGION, { webhook: 'default', entries: [] });
  assert.equal(fs.existsSync(journal), false);
});

test('a read-only store (--dry-run): commit and save write nothing; load replays the journal but leaves it as it is', async (t) => {
  const writer = setup(t);
  const { clock, dir, journal, file } = writer;
  await writer.store.commit(REGION, { webhook: 'default', entries: [{ id: 'a', t: clock.now() }] });
  fs.appendFileSync(journal, '{"to":"def');
  const content = fs.readFileSync(journal, 'utf8');
  const ro = setup(t, { dir, clock, readOnly: true });
  await ro.store.commit(REGION, { webhook: 'default', entries: [{ id: 'b', t: clock.now() }] });
  await ro.store.save(REGION, initialState(clock.now(), 20));
  const { state, journal: info } = await load(ro.store);
  assert.deepEqual(Object.keys(state.delivered), ['a']);
  assert.equal(info?.torn, true);
  assert.equal(fs.readFileSync(journal, 'utf8'), content, 'not cut');
  assert.equal(fs.existsSync(file), false);

  fs.writeFileSync(journal, 'garbage\n{"to":"default","ids":[],"t":[]}\n');
  assert.equal((await load(ro.store)).journal?.corrupt?.movedTo, undefined);
  assert.ok(fs.existsSync(journal), 'not moved aside');
});

test('the snapshot keeps one delivered entry per line, so a human can read it', async (t) => {
  const { store, clock, file } = setup(t);
  const state = initialState(clock.now(), 20);
  recordDelivered(state, 'a', 'default', clock.now());
  recordDelivered(state, 'a', 'security', clock.now());
  recordDelivered(state, 'b', 'default', clock.now());
  await store.save(REGION, state);
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.includes(`\n    "a": {"t":${clock.now()},"to":["default","security"]},\n    "b": {"t":${clock.now()},"to":["default"]}\n`), text);
  assert.deepEqual(JSON.parse(text).delivered, state.delivered);
  const empty = initialState(clock.now(), 20);
  await store.save(REGION, empty);
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { ...empty, version: 2 });
});

test('load keeps the saved state object intact: a later recordDelivered on it does not change what was saved', async (t) => {
  const { store, clock, file } = setup(t);
  const state: RegionState = initialState(clock.now(), 20);
  const saving = store.save(REGION, state);
  recordDelivered(state, 'late', 'default', clock.now());
  await saving;
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')).delivered, {}, 'serialised when save was called');
});
