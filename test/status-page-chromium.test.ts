import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBurst } from './support/burst';
import { openCdpPage } from './support/chromium-cdp';
import { waitFor } from './support/cli-process';
import { WEBHOOK_PATH } from './support/daemon-harness';
import { startRealDaemon } from './support/real-daemon';

/**
 * The status page of the running daemon (runDaemon against the simulators) rendered by Debian's headless
 * Chromium over the DevTools protocol: what the browser built (the table rows' text), whether any script ran, and a
 * PNG screenshot kept under a temp folder. Chromium is required (.ci/run installs it): missing, the test fails.
 */

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const HOSTILE = '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>';

function requireChromium(): string {
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  const path = found.status === 0 ? found.stdout.trim() : '';
  if (path === '' || !existsSync(path)) throw new Error('chromium is not installed: apt-get install chromium');
  return path;
}

test('headless Chromium renders the status page: one row per region with its state, hostile text shown as text', { timeout: 120_000 }, async (t) => {
  const chromium = requireChromium();
  const daemon = await startRealDaemon(t, { regions: ['eu-west-1', 'us-east-1'] }, ({ cloudtrail }) => {
    cloudtrail.addRecords(makeBurst(2, 'eu-west-1', Date.now() - 5 * 60_000).records, { region: 'eu-west-1' });
    cloudtrail.setRegionFailure('us-east-1', 'AccessDeniedException');
  });
  const { url } = daemon;
  const observed = daemon.observability();
  await waitFor('eu-west-1 posted', () => daemon.slack.received.length >= 3);
  await waitFor('eu-west-1 caught up', () => observed.board.view().some((v) => v.region === 'eu-west-1' && v.state === 'ok'));
  await waitFor('us-east-1 failing', () => observed.board.view().some((v) => v.region === 'us-east-1' && v.state === 'failing'));
  // A failure reason and an alert carrying attacker-controlled text, and a secret the page must mask.
  observed.telemetry.alertSent('region-failing', `us-east-1: ${HOSTILE} via ${daemon.slack.url}`, 'us-east-1');

  const dir = mkdtempSync(join(tmpdir(), 'cts-status-page-'));
  // close() waits for Chromium to exit, then removes its profile; the folder stays for the screenshot (diagnostic).
  const browser = await openCdpPage(chromium, { profileDir: mkdtempSync(join(dir, 'profile-')) });
  t.after(() => browser.close());
  await browser.send('Emulation.setDeviceMetricsOverride', { width: 1100, height: 700, deviceScaleFactor: 1, mobile: false });
  await browser.load(url);
  const evaluate = async <T>(expression: string): Promise<T> =>
    (await browser.send<{ result: { value: T } }>('Runtime.evaluate', { expression, returnByValue: true })).result.value;

  const rows = await evaluate<string[][]>(
    `[...document.querySelectorAll('#regions tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent))`,
  );
  // Column 0 is the account: the daemon's own, whatever the harness's STS said (or "—" without one).
  assert.deepEqual(rows.map((r) => [r[1], r[2]]), [['eu-west-1', 'ok'], ['us-east-1', 'failing']]);
  assert.match(rows[0]?.[5] ?? '', /ago$/, 'eu-west-1 shows when an event was last posted');
  assert.match(rows[1]?.[6] ?? '', /AccessDenied/, 'us-east-1 shows why it fails');
  const alerts = await evaluate<string[][]>(
    `[...document.querySelectorAll('#alerts tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent))`,
  );
  assert.equal(alerts[0]?.[1], 'region-failing');
  assert.ok(alerts[0]?.[3]?.includes(HOSTILE), 'the hostile text is shown as text');
  assert.equal(await evaluate<string>('document.title'), 'cloudtrail-slack status', 'no script ran');
  assert.equal(await evaluate<number>('document.querySelectorAll("img, script").length'), 0, 'no element was injected');
  const text = await evaluate<string>('document.body.innerText');
  assert.ok(!text.includes(WEBHOOK_PATH) && !text.includes('SECRETTOKEN123'), 'the webhook URL is masked');

  const shot = await browser.send<{ data: string }>('Page.captureScreenshot', { format: 'png' });
  const png = Buffer.from(shot.data, 'base64');
  assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
  const file = join(dir, 'status-page.png');
  writeFileSync(file, png);
  assert.ok(readFileSync(file).length > 10_000, `a real screenshot: ${file}`);
  t.diagnostic(`screenshot: ${file}`);
  await daemon.stop();
});
