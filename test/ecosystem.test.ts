import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BOUNDS } from '../src/config/bounds';
import { loadConfig } from '../src/config/load';
import type { TestContextLike } from './support/cli-process';

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

describe('the commented multi-instance variant (shards under pm2, API-FACTS N.1)', () => {
  /** ecosystem.config.js with the variant's lines uncommented, in a temp copy, as a user would edit it. */
  function loadVariant(t: TestContextLike): Record<string, unknown> {
    const text = readFileSync(FILE, 'utf8');
    const match = /\/\/ BEGIN multi-instance variant\n([\s\S]*?)\/\/ END multi-instance variant/.exec(text);
    assert.ok(match, 'the variant is marked in ecosystem.config.js');
    const uncommented = match[1]!.replace(/^\/\/ ?/gm, '');
    const dir = mkdtempSync(join(tmpdir(), 'cts-eco-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const copy = join(dir, 'ecosystem.config.js');
    writeFileSync(copy, text.replace(match[0], uncommented));
    const apps = (require(copy) as { apps: Array<Record<string, unknown>> }).apps;
    assert.equal(apps.length, 1, 'the variant replaces the single app: never both (every event would be posted twice)');
    return apps[0]!;
  }

  test('as shipped, one instance; the variant is comments only', () => {
    const app = loadEcosystem({});
    assert.equal(app.instances, 1);
    assert.equal((app.env as Record<string, unknown>).CLOUDTRAIL_SLACK_SHARD_COUNT, undefined);
  });

  test('uncommented: fork mode, 3 instances, the shard count equal to instances, a port per instance; the rest as the single app', (t) => {
    const app = loadVariant(t);
    const env = app.env as Record<string, unknown>;
    assert.equal(app.name, 'cloudtrail-slack');
    assert.equal(app.exec_mode, 'fork');
    assert.equal(app.instances, 3);
    assert.equal(Number(env.CLOUDTRAIL_SLACK_SHARD_COUNT), app.instances, 'pm2 never tells a process its count: the env must');
    assert.equal(app.increment_var, 'CLOUDTRAIL_SLACK_HTTP');
    assert.match(String(env.CLOUDTRAIL_SLACK_HTTP), /^\d+$/, 'increment_var needs a number: a bare port');
    const single = loadEcosystem({});
    assert.ok(String(app.script).endsWith(join('bin', 'cloudtrail-slack')));
    for (const key of ['kill_timeout', 'stop_exit_codes', 'wait_ready', 'autorestart']) assert.deepEqual(app[key], single[key], key);
    assert.equal(env.NODE_ENV, 'production');
  });

  test('the daemon reads what pm2 hands each instance: shard K of 3 on port 9464 + K; a fourth instance (pm2 scale) is refused', (t) => {
    const app = loadVariant(t);
    const base = Object.fromEntries(Object.entries(app.env as Record<string, unknown>).map(([key, value]) => [key, String(value)]));
    const port = Number(base.CLOUDTRAIL_SLACK_HTTP);
    for (const k of [0, 1, 2]) {
      // What pm2 7 does per instance: NODE_APP_INSTANCE = k, increment_var adds k (API-FACTS N.1).
      const env = { ...base, NODE_APP_INSTANCE: String(k), CLOUDTRAIL_SLACK_HTTP: String(port + k), SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x' };
      const config = loadConfig({ flags: {}, env });
      assert.deepEqual(config.shard, { index: k, count: 3 });
      assert.equal(config.http.listen?.port, port + k);
    }
    const fourth = { ...base, NODE_APP_INSTANCE: '3', SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x' };
    assert.throws(() => loadConfig({ flags: {}, env: fourth }), /NODE_APP_INSTANCE: expected a shard index from 0 to 2 \(the count 3, from CLOUDTRAIL_SLACK_SHARD_COUNT\)/);
  });
});
