import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DoctorFlags } from '../src/cli/doctor-command';
import { runCli, type CliHandlers } from '../src/cli/program';
import { EXIT_CONFIG } from '../src/lib/errors';
import { runDoctorCommand } from '../src/cli/doctor-command';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setEnvForTest } from './support/env';

/** A program whose doctor handler records its flags; `run` must never be reached. */
function recording(): { handlers: CliHandlers; calls: DoctorFlags[]; errors: string[]; io: { writeOut(s: string): void; writeErr(s: string): void } } {
  const calls: DoctorFlags[] = [];
  const errors: string[] = [];
  return {
    calls,
    errors,
    io: { writeOut: () => undefined, writeErr: (s) => void errors.push(s) },
    handlers: {
      run: async () => assert.fail('the run command must not start'),
      doctor: async (flags) => {
        calls.push(flags);
        return 1;
      },
    },
  };
}

test('doctor takes the AWS and config flags that apply after its name, and its own; its exit code is the handler\'s', async () => {
  const r = recording();
  const code = await runCli(
    ['doctor', '--config', 'c.json', '-c', 'audit', '-r', 'us-east-1,eu-west-1', '-s', 'st', '--endpoint', 'http://127.0.0.1:4566', '--poll-interval', '600', '--post-test', '--json', '--timeout', '3'],
    r.handlers,
    r.io,
  );
  assert.equal(code, 1);
  assert.deepEqual(r.calls, [
    { config: 'c.json', credsProfile: 'audit', regions: ['us-east-1', 'eu-west-1'], stateDir: 'st', endpoint: 'http://127.0.0.1:4566', pollInterval: 600, postTest: true, json: true, timeout: 3 },
  ]);
});

test('doctor refuses a bad flag value in one line with exit 78, before any check', async () => {
  for (const args of [['doctor', '--timeout', '0'], ['doctor', '--timeout', '61'], ['doctor', '-r', 'nowhere'], ['doctor', '--endpoint', 'ftp://x'], ['doctor', '--post']]) {
    const r = recording();
    assert.equal(await runCli(args, r.handlers, r.io), EXIT_CONFIG, args.join(' '));
    assert.equal(r.calls.length, 0);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0] ?? '', /^cloudtrail-slack: .*doctor --help/);
  }
});

test('doctor checks the configuration as the daemon will run it: a stallAlertMinutes that only fails with the given --poll-interval is ✗', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cts-doctor-poll-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // Should a check reach AWS anyway, it stays on this machine and fails at once.
  const nowhere = 'http://127.0.0.1:1';
  setEnvForTest(t, { AWS_ACCESS_KEY_ID: 'AKIDTEST', AWS_SECRET_ACCESS_KEY: 'doctor-test', AWS_ENDPOINT_URL_STS: nowhere, AWS_ENDPOINT_URL_ACCOUNT: nowhere, AWS_ENDPOINT_URL_EC2: nowhere });
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ stallAlertMinutes: 20, regions: ['us-east-1'], stateDir: join(dir, 'state'), slack: { webhookUrl: 'http://127.0.0.1:1/services/T0/B0/doctor' } }));
  const out: string[] = [];
  const io = { writeOut: (text: string) => void out.push(text), writeErr: (text: string) => void out.push(text) };
  const code = await runDoctorCommand({ config: file, json: true, pollInterval: 600, endpoint: nowhere, timeout: 1 }, io, { env: {} });
  assert.equal(code, 1);
  const report = JSON.parse(out.join('')) as { checks: Array<{ name: string; status: string; detail: string }> };
  const configuration = report.checks.find((c) => c.name === 'configuration');
  assert.equal(configuration?.status, 'fail', JSON.stringify(report.checks.slice(0, 2)));
  assert.match(configuration?.detail ?? '', /stallAlertMinutes/);
});
