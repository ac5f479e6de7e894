import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { createLookupClient } from '../../src/cloudtrail/client';
import type { CliFlags } from '../../src/cli/program';
import { loadConfig } from '../../src/config/load';
import { runDaemon } from '../../src/daemon/run-daemon';
import { EXIT_OK } from '../../src/lib/errors';
import { systemClock } from '../../src/lib/clock';
import type { Observability } from '../../src/observability/observability';
import { waitFor, type TestContextLike } from './cli-process';
import { captureLogger, TEST_CREDENTIALS } from './daemon-harness';
import { startSims } from './sims';
import { createServer } from 'node:net';

/**
 * runDaemon on the REAL clock against both simulators, with the HTTP endpoint on a free port: for tests where
 * another real program (prometheus, Chromium) looks at the daemon in real time. Stopped (SIGTERM, exit 0) after.
 */
export async function startRealDaemon(
  t: TestContextLike,
  flags: CliFlags,
  /** Called before the daemon starts: add records, script failures. */
  seed: (sims: Awaited<ReturnType<typeof startSims>>) => void = () => undefined,
) {
  const { cloudtrail, slack } = await startSims(t);
  seed({ cloudtrail, slack });
  const dir = mkdtempSync(join(tmpdir(), 'cts-real-'));
  const config = loadConfig({
    flags: { stateDir: join(dir, 'state'), endpoint: cloudtrail.url, http: '127.0.0.1:0', ...flags },
    env: { SLACK_WEBHOOK_URL: slack.url },
  });
  const proc = new EventEmitter();
  const logs = captureLogger('info');
  let observed: Observability | undefined;
  const done = runDaemon(config, {
    clock: systemClock,
    log: logs.log,
    proc,
    writeOut: () => undefined,
    createClient: (region) => createLookupClient({ region, endpoint: cloudtrail.url, credentials: TEST_CREDENTIALS, requestTimeoutMs: 5000 }),
    forceExit: () => {
      throw new Error('forced exit in a test');
    },
    observed: (o) => (observed = o),
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    proc.emit('SIGTERM', 'SIGTERM');
    assert.equal(await done, EXIT_OK);
    rmSync(dir, { recursive: true, force: true });
  };
  t.after(stop);
  const line = await waitFor('the http endpoint', () => logs.lines.find((l) => l.msg === 'http endpoint listening'));
  return { cloudtrail, slack, logs, url: String(line.url), stop, observability: () => observed as Observability };
}

/** A TCP port free on 127.0.0.1 right now (for a program that must be told its port before it starts). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
