import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness } from './support/daemon-harness';
import { loadFixtureRecords } from './support/fixtures';
import type { AlertInput, Alerter } from '../src/alerts/alerter';
import { EXIT_FATAL } from '../src/lib/errors';

// The daemon's answer to each kind of failure comes from the one classifier (src/errors/classify.ts): these
// tests run the real daemon against the simulators and check what a human is told.

const MIN = 60_000;
const BOUNDED = { timeout: 90_000 };
const REGION = 'eu-west-1';

function recordingAlerter(): Alerter & { alerts: AlertInput[] } {
  const alerts: AlertInput[] = [];
  return {
    alerts,
    alert: async (alert) => {
      alerts.push(alert);
    },
    recovered: async () => undefined,
    openAlerts: async () => [],
  };
}

test('a failed state write gives one state-unwritable alert with state-folder advice and no network advice', BOUNDED, async (t) => {
  const h = await startHarness(t);
  const records = loadFixtureRecords().filter((r) => r.readOnly === false && r.eventName !== 'ConsoleLogin').slice(0, 4);
  const now = h.clock.now();
  records.forEach((r, i) => h.cloudtrail.addRecord(r, { region: REGION, eventTime: now - 10 * MIN + i * 1000 }));
  const file = join(h.stateDir, `.default.${REGION}.cloudtrail.state`);
  // After the first message, directories take the place of the state file and its journal: every write fails.
  h.slack.onMessage(() => {
    if (h.slack.received.length === 1) {
      for (const path of [file, `${file}.journal`]) {
        rmSync(path, { force: true });
        mkdirSync(join(path, 'blocker'), { recursive: true });
      }
    }
  });
  const alerter = recordingAlerter();
  const run = h.run(h.config({ regions: [REGION] }, {}, { digest: { enabled: false } }), { alerter });
  await h.slack.waitForMessages(1);
  // Well past alertAfterMinutes (15): the region keeps failing to save all along.
  const since = h.clock.now();
  while (h.clock.now() - since < 40 * MIN) await new Promise((r) => setTimeout(r, 5));
  run.proc.emit('SIGTERM', 'SIGTERM');
  await run.done;
  const kinds = alerter.alerts.map((a) => a.kind);
  assert.deepEqual(kinds.filter((k) => k === 'state-unwritable'), ['state-unwritable'], `alerts: ${kinds.join(', ')}`);
  assert.deepEqual(kinds.filter((k) => k !== 'state-unwritable'), [], 'no other alert for the same cause');
  const [alert] = alerter.alerts;
  assert.match(alert!.action, new RegExp(h.stateDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  for (const a of alerter.alerts) assert.doesNotMatch(`${a.reason} ${a.action}`, /network/i);
});

test('an AWS error no retry can fix (HTTP 400 the SDK does not name) stops the daemon: exit 77 with its alert', BOUNDED, async (t) => {
  const h = await startHarness(t);
  let attempts = 0;
  let third!: () => void;
  const thirdAttempt = new Promise<void>((resolve) => (third = resolve));
  const rejected = () => {
    attempts += 1;
    if (attempts === 3) third();
    return Promise.reject(
      Object.assign(new Error('The lookup attributes are not valid.'), {
        name: 'InvalidLookupAttributesException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      }),
    );
  };
  const alerter = recordingAlerter();
  const run = h.run(h.config({ regions: [REGION] }), { alerter, createClient: () => ({ lookupEvents: rejected }) });
  // Retrying forever is the defect: a third attempt means it is retrying; stop it and see the clean-stop code.
  await Promise.race([run.done, thirdAttempt]);
  run.proc.emit('SIGTERM', 'SIGTERM');
  assert.equal(await run.done, EXIT_FATAL);
  assert.equal(attempts, 1, 'no retry');
  const fatal = alerter.alerts.filter((a) => a.kind === 'fatal-other');
  assert.equal(fatal.length, 1, JSON.stringify(alerter.alerts));
  assert.match(fatal[0]!.reason, /InvalidLookupAttributesException/);
  assert.doesNotMatch(fatal[0]!.action, /network/i);
});
