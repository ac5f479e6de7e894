import { Writable } from 'node:stream';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config/load';
import type { CliFlags } from '../../src/cli/program';
import type { Config } from '../../src/config/types';
import { createLookupClient } from '../../src/cloudtrail/client';
import { createTrailClient } from '../../src/monitors/trail-client';
import { runDaemon, type DaemonDeps } from '../../src/daemon/run-daemon';
import { startCloudTrailSimulator, type CloudTrailSimulator } from '../../src/sim/cloudtrail-server';
import { startSlackSimulator, type SlackSimulator } from '../../src/sim/slack-server';
import type { Logger } from '../../src/logging/logger';
import { ManualClock } from './manual-clock';

export const TEST_CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret-key' };
export const WEBHOOK_PATH = '/services/T000/B000/SECRETTOKEN123';

/** A pino logger writing into an array of parsed lines. */
export function captureLogger(level = 'debug'): { log: Logger; lines: Array<Record<string, unknown>>; text: () => string } {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      done();
    },
  });
  const log = pino({ level, redact: { paths: ['webhookUrl', '*.webhookUrl'], censor: '[REDACTED]' } }, stream);
  return {
    log,
    get lines() {
      return raw.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    text: () => raw.join('\n'),
  };
}

export interface Harness {
  clock: ManualClock;
  cloudtrail: CloudTrailSimulator;
  slack: SlackSimulator;
  stateDir: string;
  /** `file`: the config file's content (JSON), e.g. `{ digest: { enabled: false } }`. */
  config(flags?: CliFlags, env?: Record<string, string>, file?: Record<string, unknown>): Config;
  /** The trail monitor's SDK client against the CloudTrail simulator: pass it as `extra.createTrailClient` to run it. */
  trailClient(region: string): ReturnType<typeof createTrailClient>;
  run(config: Config, extra?: Partial<DaemonDeps>): { done: Promise<number>; proc: EventEmitter; logs: ReturnType<typeof captureLogger>; out: string[] };
}

/** Starts both simulators on 127.0.0.1 with a shared ManualClock; everything is closed by t.after. */
export async function startHarness(
  t: { after(fn: () => unknown): void },
  options: { serviceClockAheadMs?: number } = {},
): Promise<Harness> {
  const clock = new ManualClock();
  // CloudTrail's clock may differ from ours: a positive value means our clock runs slow, negative fast.
  const ahead = options.serviceClockAheadMs ?? 0;
  const cloudtrail = await startCloudTrailSimulator({ now: () => clock.now() + ahead });
  const slack = await startSlackSimulator({ path: WEBHOOK_PATH, now: () => clock.now() });
  const stateDir = mkdtempSync(join(tmpdir(), 'cts-state-'));
  const stopAuto = clock.autoAdvance();
  t.after(async () => {
    stopAuto();
    await cloudtrail.close();
    await slack.close();
    rmSync(stateDir, { recursive: true, force: true });
  });
  return {
    clock,
    cloudtrail,
    slack,
    stateDir,
    config: (flags = {}, env = {}, file) =>
      loadConfig({
        flags: { stateDir, endpoint: cloudtrail.url, ...(file === undefined ? {} : { configFile: 'test-config.json' }), ...flags },
        env: { SLACK_WEBHOOK_URL: slack.url, ...env },
        readFile: () => {
          if (file === undefined) throw new Error('no config file in tests');
          return JSON.stringify(file);
        },
      }),
    trailClient: (region) => createTrailClient({ region, endpoint: cloudtrail.url, credentials: TEST_CREDENTIALS, requestTimeoutMs: 5000 }),
    run: (given, extra = {}) => {
      // The trail monitor sleeps its interval right after its first check, and autoAdvance would jump the clock
      // ahead while the pollers still start: it runs only in the tests that ask for it (extra.createTrailClient).
      const config = extra.createTrailClient ? given : { ...given, trailMonitor: { ...given.trailMonitor, enabled: false } };
      const proc = new EventEmitter();
      const logs = captureLogger();
      const out: string[] = [];
      const done = runDaemon(config, {
        clock,
        log: logs.log,
        proc,
        writeOut: (line) => out.push(line),
        createClient: (region) =>
          createLookupClient({ region, endpoint: cloudtrail.url, credentials: TEST_CREDENTIALS, requestTimeoutMs: 5000, now: () => clock.now() }),
        forceExit: () => {
          throw new Error('forced exit in a test');
        },
        ...extra,
      });
      return { done, proc, logs, out };
    },
  };
}
