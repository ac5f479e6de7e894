import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DoctorFlags } from '../src/cli/doctor-command';
import { runCli, type CliHandlers } from '../src/cli/program';
import { EXIT_CONFIG } from '../src/lib/errors';

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
    ['doctor', '--config', 'c.json', '-c', 'audit', '-r', 'us-east-1,eu-west-1', '-s', 'st', '--endpoint', 'http://127.0.0.1:4566', '--post-test', '--json', '--timeout', '3'],
    r.handlers,
    r.io,
  );
  assert.equal(code, 1);
  assert.deepEqual(r.calls, [
    { config: 'c.json', credsProfile: 'audit', regions: ['us-east-1', 'eu-west-1'], stateDir: 'st', endpoint: 'http://127.0.0.1:4566', postTest: true, json: true, timeout: 3 },
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
