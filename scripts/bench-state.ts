/**
 * Benchmark figure (run by scripts/bench.ts): what remembering delivered events costs on a real disk, through
 * the real state store. 5,000 events, one Slack message each:
 *
 * - now: per message, recordDelivered (in place) and store.commit (one fsynced journal line); one snapshot save
 *   at the end, as a completed scan does;
 * - before (issue 8's measurement of the first version): per event, a copy of the whole delivered map
 *   (markDelivered) and a full atomic save of the snapshot.
 *
 * Prints wall milliseconds, lines and bytes written; asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { initialState, LEGACY_WEBHOOK, recordDelivered, type RegionState } from '../src/state/region-state';
import { createStateStore, type StateFs } from '../src/state/store';
import { ManualClock } from '../test/support/manual-clock';

const EVENTS = 5_000;
const REGION = 'us-east-1';

/** A StateFs that counts what goes through file handles' writeFile. */
function countingFs(): { fs: StateFs; written: { bytes: number; writes: number } } {
  const written = { bytes: 0, writes: 0 };
  const open = (async (...args: Parameters<typeof fsp.open>) => {
    const handle = await fsp.open(...args);
    const writeFile = handle.writeFile.bind(handle);
    handle.writeFile = (async (data: string) => {
      written.bytes += Buffer.byteLength(data);
      written.writes += 1;
      return writeFile(data);
    }) as typeof handle.writeFile;
    return handle;
  }) as StateFs['open'];
  return { fs: { ...fsp, open }, written };
}

async function withStore<T>(run: (store: ReturnType<typeof createStateStore>, clock: ManualClock) => Promise<T>) {
  const dir = mkdtempSync(join(tmpdir(), 'cts-bench-state-'));
  const { fs, written } = countingFs();
  const clock = new ManualClock();
  const store = createStateStore({ dir, profile: 'bench', clock, log: pino({ level: 'silent' }), fs });
  try {
    const started = performance.now();
    const result = await run(store, clock);
    return { ms: performance.now() - started, written, result };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const idOf = (i: number) => `bench-${String(i).padStart(6, '0')}-0000-0000-0000-000000000000`;

export async function benchStateCommits(): Promise<void> {
  const now = await withStore(async (store, clock) => {
    const state = initialState(clock.now(), 20);
    for (let i = 0; i < EVENTS; i += 1) {
      const t = clock.now() - 10 * 60_000 + i;
      recordDelivered(state, idOf(i), LEGACY_WEBHOOK, t);
      await store.commit(REGION, { webhook: LEGACY_WEBHOOK, entries: [{ id: idOf(i), t }] });
    }
    const saveStarted = performance.now();
    await store.save(REGION, state);
    return performance.now() - saveStarted;
  });
  const snapshotBytes = now.written.bytes; // includes the one snapshot
  console.log(`state commits: ${EVENTS} events, one message each, through the real store on disk (${tmpdir()})`);
  console.log(
    `  → now: ${now.ms.toFixed(0)} ms in all (${(now.ms / EVENTS).toFixed(2)} ms a commit, incl. one final snapshot of ` +
      `${now.result.toFixed(0)} ms); ${now.written.writes - 1} journal lines + 1 snapshot, ${(snapshotBytes / 1024).toFixed(0)} KiB written`,
  );

  const before = await withStore(async (store, clock) => {
    let state: RegionState = initialState(clock.now(), 20);
    for (let i = 0; i < EVENTS; i += 1) {
      const t = clock.now() - 10 * 60_000 + i;
      // The first version's markDelivered: a new map per event.
      state = { ...state, delivered: { ...state.delivered, [idOf(i)]: { t, to: [LEGACY_WEBHOOK] } } };
      await store.save(REGION, state);
    }
  });
  console.log(
    `  → before: ${before.ms.toFixed(0)} ms in all (${(before.ms / EVENTS).toFixed(2)} ms an event): ${before.written.writes} full snapshots, ` +
      `${(before.written.bytes / 1024 / 1024).toFixed(0)} MiB written`,
  );
}
