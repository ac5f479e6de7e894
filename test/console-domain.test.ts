import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config/load';
import { describeConfig } from '../src/config/describe';
import type { CloudTrailRecord } from '../src/events/types';
import { ConfigError, EXIT_CONFIG, EXIT_OK } from '../src/lib/errors';
import { runReplay } from '../src/replay/command';
import { ROOT, daemonEnv, runCliToEnd, tempDir } from './support/cli-process';
import { startHarness } from './support/daemon-harness';
import { loadFixtureRecords } from './support/fixtures';

/**
 * Item 7 of issue 7: the config key `consoleDomain` (the AWS console's host for the deep links) reaches every
 * path that formats messages, is validated like the other URLs, and is derived from the region when absent.
 */

const WEBHOOK = 'https://hooks.slack.com/services/T0/B0/SECRETTOKEN123';
const BOUNDED = { timeout: 90_000 };

function loadWithFile(file: object) {
  return loadConfig({
    flags: { configFile: 'c.json' },
    env: { SLACK_WEBHOOK_URL: WEBHOOK },
    cwd: '/srv',
    readFile: () => JSON.stringify(file),
  });
}

function refusal(value: unknown): string {
  try {
    loadWithFile({ consoleDomain: value });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.message;
  }
  assert.fail(`consoleDomain ${JSON.stringify(value)} was accepted`);
}

/** A real write event, moved to `region` (as LookupEvents would return it there). */
function writeIn(region: string): CloudTrailRecord {
  const record = loadFixtureRecords().find((r) => r.readOnly === false && r.eventName === 'CreateRole');
  assert.ok(record);
  return { ...record, awsRegion: region };
}

describe('the consoleDomain config key', () => {
  test('is accepted as a host name (case-insensitive) and absent by default', () => {
    assert.equal(loadWithFile({ consoleDomain: 'console.amazonaws-us-gov.com' }).consoleDomain, 'console.amazonaws-us-gov.com');
    assert.equal(loadWithFile({ consoleDomain: 'Console.AmazonAWS.CN' }).consoleDomain, 'console.amazonaws.cn');
    assert.equal(loadWithFile({}).consoleDomain, undefined);
    assert.equal(describeConfig(loadWithFile({ consoleDomain: 'console.amazonaws.cn' })).consoleDomain, 'console.amazonaws.cn');
  });

  test('is refused, in one line naming the key, unless it is a bare host name', () => {
    const bad = ['https://console.aws.amazon.com', 'console.aws.amazon.com/cloudtrail', 'console.aws.amazon.com:443', 'console aws.com',
      'user@console.aws.amazon.com', '', 'localhost', '-console.aws.com', 'console..aws.com', 'console.aws.com.', `${'a'.repeat(64)}.com`, 42, null];
    for (const value of bad) {
      const message = refusal(value);
      assert.match(message, /consoleDomain: expected a host name like console\.amazonaws-us-gov\.com \(no scheme, no path\)/, message);
      assert.doesNotMatch(message, /\n/);
    }
  });

  test('a bad one stops the CLI with exit 78 and one line on stderr', BOUNDED, async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ consoleDomain: 'https://console.aws.amazon.com/' }));
    const run = await runCliToEnd(t, ['--once', '--dry-run', '--config', join(dir, 'c.json')], { cwd: ROOT, env: daemonEnv(dir) });
    assert.equal(run.code, EXIT_CONFIG, run.stderr);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    assert.match(run.stderr, /consoleDomain: expected a host name/);
  });
});

describe('the deep links, end to end', () => {
  test('the daemon posts links on the configured console domain', BOUNDED, async (t) => {
    const h = await startHarness(t);
    h.cloudtrail.addRecord(writeIn('us-gov-west-1'), { region: 'us-gov-west-1', eventTime: h.clock.now() - 5 * 60_000 });
    const config = loadConfig({
      flags: { stateDir: h.stateDir, endpoint: h.cloudtrail.url, regions: ['us-gov-west-1'], once: true, configFile: 'c.json' },
      env: { SLACK_WEBHOOK_URL: h.slack.url },
      readFile: () => JSON.stringify({ consoleDomain: 'console.example.gov' }),
    });
    assert.equal(await h.run(config).done, EXIT_OK);
    assert.equal(h.slack.received.length, 1);
    const text = (h.slack.received[0]?.body as { attachments: Array<{ text: string }> }).attachments[0]?.text ?? '';
    // The attachment text is the context line, then the link to the event.
    assert.match(text, /\n<https:\/\/us-gov-west-1\.console\.example\.gov\/cloudtrailv2\/home\?region=us-gov-west-1#\/events\/[0-9a-f-]{36}\|/);
    assert.equal([...text.matchAll(/<https:\/\//g)].length, [...text.matchAll(/<https:\/\/us-gov-west-1\.console\.example\.gov\//g)].length, 'every link');
  });

  test('without the key, the daemon derives the China console from the region', BOUNDED, async (t) => {
    const h = await startHarness(t);
    h.cloudtrail.addRecord(writeIn('cn-north-1'), { region: 'cn-north-1', eventTime: h.clock.now() - 5 * 60_000 });
    assert.equal(await h.run(h.config({ regions: ['cn-north-1'], once: true })).done, EXIT_OK);
    assert.match(h.slack.received[0]?.raw ?? '', /https:\/\/cn-north-1\.console\.amazonaws\.cn\/cloudtrailv2\/home\?region=cn-north-1#\/events\//);
  });

  test('replay takes the key from --config', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'a.jsonl'), JSON.stringify(writeIn('us-gov-east-1')));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ consoleDomain: 'console.example.gov' }));
    const out: string[] = [];
    const code = await runReplay(['a.jsonl'], { config: 'c.json' }, { env: {}, cwd: dir, writeOut: (s) => void out.push(s), writeErr: () => undefined });
    assert.equal(code, EXIT_OK);
    assert.match(out.join(''), /<https:\/\/us-gov-east-1\.console\.example\.gov\/cloudtrailv2\/home\?region=us-gov-east-1#\/events\//);
  });
});
