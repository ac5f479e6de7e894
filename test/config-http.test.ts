import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, type CliFlags } from '../src/cli/program';
import { loadConfig } from '../src/config/load';
import { describeConfig } from '../src/config/describe';
import type { Config } from '../src/config/types';
import { toChildArgs } from '../src/daemon/child-args';
import { ConfigError, EXIT_CONFIG } from '../src/lib/errors';

const WEBHOOK = 'https://hooks.slack.com/services/T0/B0/SECRETTOKEN123';

function load(flags: CliFlags = {}, env: Record<string, string> = {}, file?: object): Config {
  return loadConfig({
    flags: file === undefined ? flags : { configFile: 'c.json', ...flags },
    env: { SLACK_WEBHOOK_URL: WEBHOOK, ...env },
    cwd: '/srv',
    readFile: () => JSON.stringify(file),
  });
}

function rejects(flags: CliFlags, env: Record<string, string>, file: object | undefined, pattern: RegExp): void {
  assert.throws(() => load(flags, env, file), (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
}

test('the HTTP endpoint is off by default', () => {
  assert.equal(load().http.listen, undefined);
  assert.deepEqual(describeConfig(load()).http, { listen: '(off)' });
});

test('http.listen, CLOUDTRAIL_SLACK_HTTP and --http, in that order of precedence; a bare port is 127.0.0.1', () => {
  assert.deepEqual(load({}, {}, { http: { listen: '9464' } }).http.listen, { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(load({}, {}, { http: { listen: 9464 } }).http.listen, { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(load({}, { CLOUDTRAIL_SLACK_HTTP: '0.0.0.0:9100' }, { http: { listen: '9464' } }).http.listen, { host: '0.0.0.0', port: 9100 });
  assert.deepEqual(load({ http: '[::1]:9200' }, { CLOUDTRAIL_SLACK_HTTP: '0.0.0.0:9100' }, { http: { listen: '9464' } }).http.listen, { host: '::1', port: 9200 });
  assert.deepEqual(describeConfig(load({ http: '9464' })).http, { listen: 'http://127.0.0.1:9464' });
});

test('a bad address is one line naming where it came from', () => {
  rejects({ http: 'http://x:1' }, {}, undefined, /^--http: expected a port like 9464, or host:port like 127\.0\.0\.1:9464.*found "http:\/\/x:1"$/);
  rejects({}, { CLOUDTRAIL_SLACK_HTTP: '70000' }, undefined, /^CLOUDTRAIL_SLACK_HTTP: expected a port like 9464.*found "70000"$/);
  rejects({}, {}, { http: { listen: 'nope' } }, /^config file \/srv\/c\.json: http\.listen: expected a port like 9464.*found "nope"$/);
  rejects({}, {}, { http: { listn: '9464' } }, /unknown key 'http\.listn' \(did you mean 'http\.listen'\?\)/);
  rejects({}, {}, { htp: { listen: '9464' } }, /unknown key 'htp' \(did you mean 'http'\?\)/);
});

test('--http on the command line: parsed, refused with exit 78 when bad, and passed on to a -d child', async () => {
  let seen: CliFlags | undefined;
  const io = { out: '', err: '' };
  const run = (argv: string[]) =>
    runCli(argv, { run: async (flags) => ((seen = flags), 0) }, { writeOut: (s) => void (io.out += s), writeErr: (s) => void (io.err += s) });
  assert.equal(await run(['--http', '127.0.0.1:9464']), 0);
  assert.equal(seen?.http, '127.0.0.1:9464');
  assert.equal(await run(['--http', 'x:y']), EXIT_CONFIG);
  assert.match(io.err, /^cloudtrail-slack: option '--http <host:port>' argument 'x:y' is invalid\. Expected a port like 9464/);
  assert.equal(io.err.split('\n').filter((l) => l !== '').length, 1);
  await run(['--help']);
  assert.match(io.out, /--http <host:port>/);
  assert.match(io.out, /CLOUDTRAIL_SLACK_HTTP/);
  const flags: CliFlags = { http: '9464', daemonize: true };
  assert.ok(toChildArgs(flags, load(flags), '/srv').includes('--http=9464'));
});
