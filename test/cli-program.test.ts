import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildProgram, runCli, type CliFlags, type CliHandlers } from '../src/cli/program';
import { loadConfig } from '../src/config/load';
import { ConfigError, EXIT_CONFIG, EXIT_OK } from '../src/lib/errors';

const VERSION = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;

interface Run {
  code: number;
  out: string;
  err: string;
  /** The flags the run handler received, if it ran. */
  flags: CliFlags | undefined;
  calls: Array<[string, ...unknown[]]>;
}

async function cli(argv: string[], handlers: Partial<CliHandlers> = {}): Promise<Run> {
  const result: Run = { code: -1, out: '', err: '', flags: undefined, calls: [] };
  const all: CliHandlers = {
    async run(flags) {
      result.flags = flags;
      result.calls.push(['run', flags]);
      return 0;
    },
    ...handlers,
  };
  result.code = await runCli(argv, all, {
    writeOut: (s) => void (result.out += s),
    writeErr: (s) => void (result.err += s),
  });
  return result;
}

/** The flags with the undefined ones dropped, for readable comparisons. */
function given(flags: CliFlags | undefined): Partial<CliFlags> {
  return Object.fromEntries(Object.entries(flags ?? {}).filter(([, v]) => v !== undefined));
}

async function usageError(argv: string[], pattern: RegExp, handlers: Partial<CliHandlers> = {}): Promise<void> {
  const run = await cli(argv, handlers);
  assert.equal(run.code, EXIT_CONFIG, `exit code for ${argv.join(' ')}`);
  assert.equal(run.flags, undefined, 'the handler must not run');
  assert.equal(run.out, '');
  assert.match(run.err, /^cloudtrail-slack: [^\n]+\n$/, 'exactly one line on stderr');
  assert.match(run.err, pattern);
}

describe('run command flags', () => {
  test('no flags: the run handler gets every flag undefined', async () => {
    const run = await cli([]);
    assert.equal(run.code, EXIT_OK);
    assert.deepEqual(given(run.flags), {});
    assert.equal(run.err, '');
  });

  test('every flag, long form', async () => {
    const run = await cli([
      '--creds-profile', 'prod',
      '--regions', 'us-east-1,eu-west-1',
      '--state-dir', '/var/lib/cts',
      '--pid', '/run/cts.pid',
      '--log', '/var/log/cts.log',
      '--daemonize',
      '--config', 'c.json',
      '--once',
      '--dry-run',
      '--poll-interval', '30',
      '--log-level', 'warn',
      '--debug',
      '--endpoint', 'http://127.0.0.1:4566',
      '--shutdown-timeout', '2.5',
      '--rules', 'mine.yml',
      '--rules=rules/',
    ]);
    assert.equal(run.code, EXIT_OK);
    assert.deepEqual(given(run.flags), {
      credsProfile: 'prod',
      regions: ['us-east-1', 'eu-west-1'],
      stateDir: '/var/lib/cts',
      pidFile: '/run/cts.pid',
      logFile: '/var/log/cts.log',
      daemonize: true,
      configFile: 'c.json',
      once: true,
      dryRun: true,
      pollIntervalSeconds: 30,
      logLevel: 'warn',
      debug: true,
      endpoint: 'http://127.0.0.1:4566',
      shutdownTimeoutSeconds: 2.5,
      rules: ['mine.yml', 'rules/'],
    });
  });

  test("short forms and the Ruby original's invocation", async () => {
    // bin/server.rb -d -p /tmp/ruby-cloudtrail-slack.pid -l /tmp/ruby-cloudtrail-slack.log -c not_default
    const run = await cli(['-d', '-p', '/tmp/x.pid', '-l', '/tmp/x.log', '-c', 'not_default', '-s', 'st', '-r', 'sa-east-1']);
    assert.deepEqual(given(run.flags), {
      daemonize: true,
      pidFile: '/tmp/x.pid',
      logFile: '/tmp/x.log',
      credsProfile: 'not_default',
      stateDir: 'st',
      regions: ['sa-east-1'],
    });
    assert.deepEqual(given((await cli(['--creds-profile=default'])).flags), { credsProfile: 'default' });
  });

  test('--state-file-path is an alias of --state-dir, hidden from help, not combinable with it', async () => {
    assert.deepEqual(given((await cli(['--state-file-path', '/legacy'])).flags), { stateDir: '/legacy' });
    await usageError(['--state-file-path', 'a', '-s', 'b'], /'--state-file-path <dir>' cannot be used with option '-s, --state-dir <dir>'/);
    assert.doesNotMatch((await cli(['--help'])).out, /state-file-path/);
  });

  test('--help names every environment variable of ours the config loader reads (AWS credential variables excepted)', async () => {
    const loader = ['load.ts', 'schema.ts'].map((f) => readFileSync(join(__dirname, '..', 'src', 'config', f), 'utf8')).join('\n');
    const read = [...new Set([...loader.matchAll(/env\.([A-Z_]+)/g)].map((m) => m[1]!))].filter((name) => !/^AWS_(SECRET_ACCESS_KEY|SESSION_TOKEN)$/.test(name));
    assert.ok(read.length >= 9, `found the loader's variables: ${read.join(', ')}`);
    const help = (await cli(['--help'])).out;
    assert.deepEqual(read.filter((name) => !help.includes(name)), [], 'variables missing from --help');
  });

  test('region lists: commas, spaces, repeats and duplicates', async () => {
    const cases: Array<[string[], string[]]> = [
      [['-r', 'us-east-1'], ['us-east-1']],
      [['-r', 'us-east-1, eu-west-1 ,ap-southeast-2'], ['us-east-1', 'eu-west-1', 'ap-southeast-2']],
      [['-r', 'us-east-1,us-east-1,eu-west-1,'], ['us-east-1', 'eu-west-1']],
      [['-r', 'us-east-1', '-r', 'eu-west-1,us-east-1'], ['us-east-1', 'eu-west-1']],
      [['--regions=us-gov-west-1,cn-north-1'], ['us-gov-west-1', 'cn-north-1']],
    ];
    for (const [argv, regions] of cases) assert.deepEqual((await cli(argv)).flags?.regions, regions, argv.join(' '));
  });

  test('the run handler\'s exit code is returned', async () => {
    assert.equal((await cli(['--once'], { run: async () => 1 })).code, 1);
    assert.equal((await cli(['--once'], { run: async () => 77 })).code, 77);
  });
});

describe('usage errors: exit 78, one line naming the flag', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['unknown flag, with a suggestion', ['--regoins', 'us-east-1'], /^cloudtrail-slack: unknown option '--regoins' \(did you mean --regions\?\); see --help\n$/],
    ['unknown short flag', ['-x'], /^cloudtrail-slack: unknown option '-x'; see --help\n$/],
    ['bad region', ['-r', 'us-east-1,useast1'], /option '-r, --regions <list>' argument 'us-east-1,useast1' is invalid\. 'useast1' is not a region name like us-east-1; see --help/],
    ['upper-case region', ['-r', 'US-EAST-1'], /--regions.*'US-EAST-1' is not a region name/],
    ['empty region list', ['-r', ' , '], /--regions.*Expected comma-separated region names/],
    ['missing value', ['-r'], /option '-r, --regions <list>' argument missing; see --help/],
    ['zero poll interval', ['--poll-interval', '0'], /'--poll-interval <seconds>' argument '0' is invalid\. Expected a number of seconds from 1 to 86400 \(.*\); see --help/],
    ['a 30-day poll interval', ['--poll-interval', '2592000'], /'--poll-interval <seconds>' argument '2592000' is invalid\. Expected a number of seconds from 1 to 86400 \(/],
    ['a 3,000,000 s shutdown timeout', ['--shutdown-timeout', '3000000'], /'--shutdown-timeout <seconds>' argument '3000000' is invalid\. Expected a number of seconds from 0\.1 to 600 \(/],
    ['non-numeric poll interval', ['--poll-interval', '1m'], /'--poll-interval <seconds>' argument '1m' is invalid/],
    ['negative shutdown timeout', ['--shutdown-timeout', '-1'], /--shutdown-timeout/],
    ['bad log level', ['--log-level', 'verbose'], /'--log-level <level>' argument 'verbose' is invalid\. Allowed choices are fatal, error, warn, info, debug, trace; see --help/],
    ['bad endpoint', ['--endpoint', 'localhost:4566'], /'--endpoint <url>' argument 'localhost:4566' is invalid\. Expected an http\(s\) URL/],
    ['a region without -r', ['us-east-1'], /^cloudtrail-slack: unknown command 'us-east-1' \(regions go with -r: -r us-east-1\); see --help\n$/],
    ['subcommand not registered', ['demo'], /^cloudtrail-slack: unknown command 'demo'; see --help\n$/],
  ];
  for (const [name, argv, pattern] of cases) test(name, () => usageError(argv, pattern));

  test('a ConfigError from the handler is one line and exit 78', async () => {
    const run = await cli([], {
      run: async () => {
        throw new ConfigError('no Slack webhook: set SLACK_WEBHOOK_URL');
      },
    });
    assert.equal(run.code, EXIT_CONFIG);
    assert.equal(run.err, 'cloudtrail-slack: no Slack webhook: set SLACK_WEBHOOK_URL\n');
  });

  test('any other error from the handler is left to the caller', async () => {
    await assert.rejects(
      cli([], {
        run: async () => {
          throw new Error('boom');
        },
      }),
      /boom/,
    );
  });
});

describe('unknown commands are named, with a did-you-mean when one is close', () => {
  const handlers: Partial<CliHandlers> = { demo: async () => 0, replay: async () => 0 };
  const cases: Array<[string[], RegExp]> = [
    [['foo'], /^cloudtrail-slack: unknown command 'foo'; see --help\n$/],
    [['replya', 'events.json'], /^cloudtrail-slack: unknown command 'replya' \(did you mean 'replay'\?\); see --help\n$/],
    [['dmeo'], /^cloudtrail-slack: unknown command 'dmeo' \(did you mean 'demo'\?\); see --help\n$/],
    [['--once', 'Replay'], /unknown command 'Replay' \(did you mean 'replay'\?\)/],
  ];
  for (const [argv, pattern] of cases) test(argv.join(' '), () => usageError(argv, pattern, handlers));

  test('the known commands still run', async () => {
    const calls: string[] = [];
    const run = await cli(['demo'], { demo: async () => (calls.push('demo'), 0), replay: async () => 0 });
    assert.equal(run.code, EXIT_OK);
    assert.deepEqual(calls, ['demo']);
  });
});

describe('help and version', () => {
  for (const flag of ['--help', '-h']) {
    test(`${flag} prints usage and exits 0 without running`, async () => {
      const run = await cli([flag]);
      assert.equal(run.code, EXIT_OK);
      assert.equal(run.flags, undefined);
      assert.equal(run.err, '');
      assert.match(run.out, /^Usage: cloudtrail-slack \[options\]/);
      for (const option of ['--creds-profile', '--regions', '--state-dir', '--pid', '--log ', '--daemonize', '--config',
        '--once', '--dry-run', '--poll-interval', '--log-level', '--debug', '--endpoint', '--shutdown-timeout', '--rules', '--version']) {
        assert.ok(run.out.includes(option), option);
      }
      assert.match(run.out, /SLACK_WEBHOOK_URL/);
      assert.match(run.out, /78 usage or configuration error/);
    });
  }

  for (const flag of ['--version', '-v']) {
    test(`${flag} prints the package.json version and exits 0`, async () => {
      const run = await cli([flag]);
      assert.equal(run.code, EXIT_OK);
      assert.equal(run.out, `${VERSION}\n`);
      assert.equal(run.err, '');
      assert.equal(run.flags, undefined);
    });
  }
});

describe('subcommands', () => {
  const handlers: Partial<CliHandlers> = {};
  const calls: unknown[][] = [];
  handlers.demo = async (flags, args) => {
    calls.push(['demo', flags, args]);
    return 3;
  };
  handlers.replay = async (files, flags) => {
    calls.push(['replay', files, flags]);
    return 4;
  };

  test('are registered only when their handler is given', () => {
    assert.deepEqual(buildProgram({ run: async () => 0 }).commands.map((c) => c.name()), []);
    assert.deepEqual(buildProgram({ run: async () => 0, ...handlers }).commands.map((c) => c.name()), ['demo', 'replay']);
  });

  test('demo gets its own flags and returns its exit code', async () => {
    calls.length = 0;
    const run = await cli(['demo', '--once', '--html', 'out.html'], handlers);
    assert.equal(run.code, 3);
    assert.equal(run.flags, undefined, 'run not called');
    assert.deepEqual(calls, [['demo', { once: true, html: 'out.html' }, []]]);
  });

  test('replay gets its files and flags', async () => {
    calls.length = 0;
    const run = await cli(['replay', 'a.json', 'b.jsonl', '--post', '--config', 'c.json'], handlers);
    assert.equal(run.code, 4);
    assert.deepEqual(calls, [['replay', ['a.json', 'b.jsonl'], { post: true, config: 'c.json', builtin: true }]]);
    // The daemon's rule flags, and the webhook filter.
    calls.length = 0;
    await cli(['replay', 'a.json', '--rules', 'mine/', '--rules', 'x.yml', '--no-builtin', '--webhook', 'security'], handlers);
    assert.deepEqual(calls, [['replay', ['a.json'], { rules: ['mine/', 'x.yml'], builtin: false, webhook: 'security' }]]);
  });

  test('replay without files, or with an unknown flag, is a usage error pointing at its help', async () => {
    await usageError(['replay'], /^cloudtrail-slack: missing required argument 'files'; see 'cloudtrail-slack replay --help'\n$/, handlers);
    await usageError(['replay', '--pots', 'a.json'], /unknown option '--pots' \(did you mean --post\?\); see 'cloudtrail-slack replay --help'/, handlers);
    await usageError(['demo', 'extra'], /too many arguments for 'demo'/, handlers);
  });

  test('replay --help exits 0 without running replay', async () => {
    calls.length = 0;
    const run = await cli(['replay', '--help'], handlers);
    assert.equal(run.code, EXIT_OK);
    assert.match(run.out, /Usage: cloudtrail-slack replay \[options\] <files\.\.\.>/);
    assert.deepEqual(calls, []);
  });
});

describe('rules subcommands', () => {
  const calls: unknown[][] = [];
  const handlers: Partial<CliHandlers> = {
    rulesLint: async (flags) => (calls.push(['lint', flags]), 1),
    rulesTest: async (files, flags) => (calls.push(['test', files, flags]), 0),
  };

  test('lint gets --rules (repeatable), --config and --json, and returns its exit code', async () => {
    calls.length = 0;
    const run = await cli(['rules', 'lint', '--rules', 'a.yml', '--rules', 'rules/', '--config', 'c.json', '--json'], handlers);
    assert.equal(run.code, 1);
    assert.deepEqual(calls, [['lint', { rules: ['a.yml', 'rules/'], config: 'c.json', json: true }]]);
  });

  test('test gets its files; --no-builtin gives builtin false, and its absence builtin true (the config decides)', async () => {
    calls.length = 0;
    await cli(['rules', 'test', '--no-builtin', 'a.json', '-', '--rules', 'x.yml'], handlers);
    await cli(['rules', 'test', 'logs/'], handlers);
    assert.deepEqual(calls, [
      ['test', ['a.json', '-'], { builtin: false, rules: ['x.yml'] }],
      ['test', ['logs/'], { builtin: true }],
    ]);
  });

  test('usage errors: exit 78, one line pointing at the right help', async () => {
    await usageError(['rules'], /^cloudtrail-slack: missing command: 'rules lint' or 'rules test'; see 'cloudtrail-slack rules --help'\n$/, handlers);
    await usageError(['rules', 'lnit'], /unknown command 'lnit' \(did you mean 'lint'\?\); see 'cloudtrail-slack rules --help'/, handlers);
    await usageError(['rules', 'test'], /missing required argument 'files'; see 'cloudtrail-slack rules test --help'/, handlers);
    await usageError(['rules', 'lint', 'extra'], /too many arguments for 'lint'/, handlers);
    await usageError(['rules', 'lint', '--no-builtin'], /unknown option '--no-builtin'/, handlers);
    await usageError(['rules', 'lint', '--rules'], /option '--rules <path>' argument missing/, handlers);
  });

  test('rules --help lists both; registered only with their handlers', async () => {
    const run = await cli(['rules', '--help'], handlers);
    assert.equal(run.code, EXIT_OK);
    assert.match(run.out, /lint \[options\]/);
    assert.match(run.out, /test \[options\] <files\.\.\.>/);
    assert.deepEqual(buildProgram({ run: async () => 0, ...handlers }).commands.map((c) => c.name()), ['rules']);
  });
});

describe('flags into loadConfig', () => {
  test('parsed flags load into a Config', async () => {
    const run = await cli(['--state-file-path', 'st', '-r', 'eu-west-1,eu-west-1', '--dry-run', '--debug', '-c', 'p']);
    const config = loadConfig({ flags: run.flags ?? {}, env: {}, cwd: '/srv' });
    assert.equal(config.stateDir, '/srv/st');
    assert.deepEqual(config.regions, ['eu-west-1']);
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.dryRun, true);
    assert.equal(config.profile, 'p');
    assert.equal(config.stateProfile, 'p');
  });

  test('--rules adds to the config file\'s rules.paths', async () => {
    const run = await cli(['--rules', 'b.yml', '--dry-run', '--config', 'c.json', '--rules', 'rules/']);
    const readFile = () => '{"rules": {"paths": ["a.yml"]}}';
    const config = loadConfig({ flags: run.flags ?? {}, env: {}, cwd: '/srv', readFile });
    assert.deepEqual(config.rules.paths, ['/srv/a.yml', '/srv/b.yml', '/srv/rules']);
  });
});
