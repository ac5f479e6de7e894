import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { BOUNDS } from '../src/config/bounds';

const FILE = join(__dirname, '..', 'ecosystem.config.js');

/** ecosystem.config.js as pm2 would read it with `env` in the `pm2 start` shell. */
function loadEcosystem(env: Record<string, string>): Record<string, unknown> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    delete require.cache[require.resolve(FILE)];
    return (require(FILE) as { apps: Array<Record<string, unknown>> }).apps[0] ?? {};
  } finally {
    for (const key of Object.keys(env)) if (saved[key] === undefined) delete process.env[key];
    Object.assign(process.env, saved);
    delete require.cache[require.resolve(FILE)];
  }
}

test('CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT reaches the daemon as a variable (checked there) and sets kill_timeout 5 s above', () => {
  const app = loadEcosystem({ CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT: '30' });
  assert.equal(app.kill_timeout, 35_000);
  assert.equal((app.env as Record<string, string>).CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT, '30');
  assert.ok(!(app.args as string[]).includes('--shutdown-timeout'));
});

test('a value the daemon refuses does not break `pm2 start`: kill_timeout keeps the default, the daemon exits 78 naming it', () => {
  for (const value of ['3000000', 'ten', '0']) {
    const app = loadEcosystem({ CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT: value });
    assert.equal(app.kill_timeout, 15_000, value);
    assert.equal((app.env as Record<string, string>).CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT, value);
  }
  // The file repeats the daemon's range (it cannot import TypeScript): keep them equal.
  assert.deepEqual([BOUNDS.shutdownTimeoutSeconds.min, BOUNDS.shutdownTimeoutSeconds.max], [0.1, 600]);
  assert.equal(loadEcosystem({ CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT: '600' }).kill_timeout, 605_000);
});
