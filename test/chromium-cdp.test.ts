import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openCdpPage } from './support/chromium-cdp';

// The test helper itself: a Chromium test once failed in its cleanup with ENOTEMPTY (rmdir …/profile-*/Default)
// because node:test runs t.after hooks in the order they were registered, so the folder was removed while the
// browser was still writing its profile. close() now waits for the browser to exit and removes the profile itself.

function findChromium(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  const path = found.status === 0 ? found.stdout.trim() : '';
  return path !== '' && existsSync(path) ? path : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('close() returns once the browser process has exited, and the profile folder is gone', async (t) => {
  const chromium = findChromium();
  if (chromium === undefined) {
    t.skip('chromium not installed: apt-get install chromium');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'cts-cdp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));
  const profileDir = mkdtempSync(join(dir, 'profile-'));
  const browser = await openCdpPage(chromium, { profileDir });
  await browser.load('about:blank');
  assert.ok(readdirSync(profileDir).length > 0, 'the browser wrote its profile');
  assert.ok(isAlive(browser.pid), 'running before close()');
  await browser.close();
  assert.equal(isAlive(browser.pid), false, 'exited');
  assert.equal(existsSync(profileDir), false, 'profile removed by close()');
  await browser.close(); // twice is harmless (a test's own after hook and the helper's)
});
