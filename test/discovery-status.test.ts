import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness } from './support/daemon-harness';
import { waitFor } from './support/cli-process';
import { noTelemetry } from '../src/observability/telemetry';
import type { Observability } from '../src/observability/observability';
import { EXIT_OK } from '../src/lib/errors';

// Issue 9 items 4 and 7 together: a region that region discovery removes leaves the status page, /readyz and
// /metrics' per-region gauges (lag, state, last scan) once its poller has stopped; the one still polled stays.

const [A, B] = ['eu-west-1', 'eu-central-1'];

test('a region discovery removes disappears from the status page, /readyz and the lag, state and last-scan series', { timeout: 60_000 }, async (t) => {
  const h = await startHarness(t);
  let observed: Observability | undefined;
  const stopped: string[] = [];
  let asked = 0;
  let release = () => undefined as void;
  const seenBoth = new Promise<void>((resolve) => (release = resolve));
  const discoverRegions = async () => {
    asked += 1;
    if (asked === 1) return [A, B];
    // The manual clock skips the daily wait at once: the list changes once the test has seen both regions.
    if (asked === 2) await seenBoth;
    return [B];
  };
  const telemetry = { ...noTelemetry, targetStopped: (region: string) => void stopped.push(region) };
  const run = h.run(h.config({ regions: ['all'], pollIntervalSeconds: 3600, http: '127.0.0.1:0' }), {
    discoverRegions, telemetry, observed: (o) => (observed = o),
  });
  const url = String((await waitFor('the http endpoint', () => run.logs.lines.find((l) => l.msg === 'http endpoint listening'))).url);
  const get = async (path: string) => (await fetch(new URL(path, url))).text();
  await waitFor('both regions scanned', () => observed?.board.view().filter((v) => v.lastScanAt !== undefined).length === 2);
  const before = await get('/metrics');
  for (const region of [A, B]) {
    for (const series of ['lag_seconds', 'region_state', 'last_successful_scan_timestamp_seconds']) {
      assert.match(before, new RegExp(`^cloudtrail_slack_${series}\\{[^}]*region="${region}"`, 'm'), `${series} of ${region} before`);
    }
  }
  assert.ok((await get('/')).includes(`>${A}<`), 'the status page lists a before');
  release();

  await waitFor('a stopped', () => stopped.includes(A));
  const metrics = await get('/metrics');
  for (const series of ['lag_seconds', 'region_state', 'last_successful_scan_timestamp_seconds']) {
    assert.doesNotMatch(metrics, new RegExp(`^cloudtrail_slack_${series}\\{[^}]*region="${A}"`, 'm'), `${series} of a removed`);
    assert.match(metrics, new RegExp(`^cloudtrail_slack_${series}\\{[^}]*region="${B}"`, 'm'), `${series} of b kept`);
  }
  const page = await get('/');
  assert.ok(!page.includes(A), 'the status page no longer names a');
  assert.ok(page.includes(`>${B}<`), 'b is still listed');
  assert.ok(!(await get('/readyz')).includes(A), '/readyz does not wait for a');
  assert.deepEqual(observed?.board.view().map((v) => v.region), [B]);

  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_OK);
  assert.deepEqual(stopped, [A], 'the daemon stop is not a removal');
});
