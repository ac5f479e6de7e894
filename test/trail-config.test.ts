import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../src/config/load';
import { describeConfig } from '../src/config/describe';
import { ConfigError } from '../src/lib/errors';
import { formatTrailAlert } from '../src/slack/format-trail';

// trailMonitor.* (issue 9 item 6): config file only, defaults, refusals in one line; the message stays in bounds.

const WEBHOOK = 'https://hooks.slack.com/services/T000/B000/SECRETTOKEN123';

function load(file?: Record<string, unknown>) {
  return loadConfig({
    flags: file === undefined ? {} : { configFile: 'c.json' },
    env: { SLACK_WEBHOOK_URL: WEBHOOK },
    cwd: '/srv',
    readFile: () => JSON.stringify(file),
  });
}

function refusal(file: Record<string, unknown>): string {
  try {
    load(file);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.message;
  }
  return assert.fail('accepted');
}

test('trailMonitor: on every 15 minutes by default, from the first region; each key can be set', () => {
  assert.deepEqual(load().trailMonitor, { enabled: true, intervalMinutes: 15, region: undefined });
  const set = load({ regions: ['eu-west-1'], trailMonitor: { enabled: false, intervalMinutes: 60, region: 'us-east-1' } });
  assert.deepEqual(set.trailMonitor, { enabled: false, intervalMinutes: 60, region: 'us-east-1' });
  assert.deepEqual(describeConfig(set).trailMonitor, { enabled: false, intervalMinutes: 60, region: 'us-east-1' });
});

test('trailMonitor: a typo, a bad region or a wrong type is one line naming the key', () => {
  assert.match(refusal({ trailMonitor: { intervalMinute: 5 } }), /unknown key 'trailMonitor\.intervalMinute' \(did you mean 'trailMonitor\.intervalMinutes'\?\)/);
  assert.match(refusal({ trailMonitor: { region: 'Ireland' } }), /trailMonitor\.region: expected a region name like us-east-1/);
  assert.match(refusal({ trailMonitor: { enabled: 'yes' } }), /trailMonitor\.enabled: expected true or false/);
  assert.match(refusal({ trailMonitor: true }), /trailMonitor: expected an object like/);
  for (const message of [refusal({ trailMonitor: { intervalMinute: 5 } }), refusal({ trailMonitor: { region: 'x' } })]) {
    assert.ok(!message.includes('\n'));
  }
});

test('a trail alert with many long hostile names stays within its budget and says how many were left out', () => {
  const names = Array.from({ length: 40 }, (_, i) => `<!here>${'x'.repeat(400)}${i}`);
  const message = formatTrailAlert({ kind: 'trail-not-logging', trails: names, reason: `r ${'<y>'.repeat(2000)}`, action: 'a', region: 'us-east-1' });
  const text = message.attachments?.[0]?.text ?? '';
  assert.ok([...text].length <= 3000, `${[...text].length}`);
  assert.ok(!text.includes('<!here>') && !text.includes('<y>'));
  assert.match(text, /and 30 more/);
  assert.ok(!JSON.stringify(message).includes('<!'), 'no mention anywhere in the payload');
});
