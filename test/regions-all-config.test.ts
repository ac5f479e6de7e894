import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, type CliHandlers } from '../src/cli/program';
import { loadConfig } from '../src/config/load';
import { DEFAULT_REGIONS, type Config } from '../src/config/types';
import { ConfigError } from '../src/lib/errors';

// `-r all` / `regions: "all"` (issue 9 item 7): the regions enabled for the account, discovered at runtime.

const env = { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0/B0/SECRETTOKEN123' };

function load(flags: Record<string, unknown>, file?: object): Config {
  return loadConfig({
    flags: { ...flags, ...(file === undefined ? {} : { configFile: 'c.json' }) },
    env,
    cwd: '/srv',
    readFile: () => JSON.stringify(file),
  });
}

test('-r all and regions: "all" turn discovery on, with the default list until discovery answers', () => {
  for (const config of [load({ regions: ['all'] }), load({}, { regions: 'all' })]) {
    assert.equal(config.discoverRegions, true);
    assert.deepEqual(config.regions, [...DEFAULT_REGIONS]);
  }
  assert.equal(load({}).discoverRegions, false, 'off by default: the default list, as before');
  assert.equal(load({}, { regions: ['eu-west-1'] }).discoverRegions, false);
});

test('a region list given as a flag wins over regions: "all" in the file (flags win)', () => {
  const config = load({ regions: ['eu-west-1'] }, { regions: 'all' });
  assert.equal(config.discoverRegions, false);
  assert.deepEqual(config.regions, ['eu-west-1']);
  const all = load({ regions: ['all'] }, { regions: ['eu-west-1'] });
  assert.equal(all.discoverRegions, true);
});

test('regions: any other string is refused in one line that names "all"', () => {
  assert.throws(() => load({}, { regions: 'everything' }), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /regions.*"all"/);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
});

test('the -r flag: all alone is accepted; mixed with names it is refused', async () => {
  const parsed: unknown[] = [];
  let err = '';
  const handlers = {
    run: async (flags: { regions?: string[] }) => {
      parsed.push(flags.regions);
      return 0;
    },
  } as unknown as CliHandlers;
  const io = { writeOut: () => undefined, writeErr: (text: string) => void (err += text) };
  assert.equal(await runCli(['-r', 'all'], handlers, io), 0);
  assert.deepEqual(parsed, [['all']]);
  for (const argv of [['-r', 'all,us-east-1'], ['-r', 'us-east-1', '-r', 'all'], ['-r', 'all', '-r', 'eu-west-1']]) {
    err = '';
    assert.notEqual(await runCli(argv, handlers, io), 0, argv.join(' '));
    assert.match(err, /'all' stands alone/, argv.join(' '));
  }
});
