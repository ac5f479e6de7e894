import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runDemo } from '../src/demo/command';
import { buildDemoConfig } from '../src/demo/config';
import { checkDeliveries } from '../src/demo/delivered';
import { createSampleDecider } from '../src/demo/expected';
import { DEMO_ACCOUNTS } from '../src/demo/accounts';
import { DEMO_REGIONS, planSampleEvents, readSampleRecords } from '../src/demo/sample';
import { EXIT_OK } from '../src/lib/errors';
import { runCliToEnd, tempDir } from './support/cli-process';

const ROOT = join(__dirname, '..');
const [PROD, DEV, LEGACY] = DEMO_ACCOUNTS.map((a) => `${a.name} (${a.id})`) as [string, string, string];

/** The sample's event IDs the daemon posts, and those it must not (muted and read-only). */
async function expectedIds(): Promise<{ posted: Set<string>; not: Set<string> }> {
  const config = buildDemoConfig({ stateDir: '/nonexistent', cloudtrailUrl: 'http://127.0.0.1:9', webhookUrl: 'http://127.0.0.1:9/services/T/B/X', once: true, pollIntervalSeconds: 5 });
  const { decide } = await createSampleDecider(config);
  const plan = planSampleEvents(readSampleRecords(), { now: Date.UTC(2030, 0, 1), once: true, decide });
  const ids = (expected: boolean) => new Set(plan.filter((p) => p.expected === expected).map((p) => String(p.record.eventID)));
  return { posted: ids(true), not: ids(false) };
}

function payloadsIn(out: string): unknown[] {
  const file = /payloads +(\S+slack-payloads\.jsonl)/.exec(out)?.[1] ?? '';
  return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown);
}

test('demo --once --accounts 3: every expected event once, each message naming its account; the refused one paused and alerted once; exit 0', { timeout: 90_000 }, async (t) => {
  const dir = tempDir(t, 'cts-demo-accounts-');
  // The user's own AWS settings must not reach the demo's accounts.
  const env = { PATH: process.env.PATH ?? '', TMPDIR: dir, AWS_PROFILE: 'no-such-profile', AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'), AWS_ENDPOINT_URL: 'http://127.0.0.1:9' };
  const run = await runCliToEnd(t, ['demo', '--once', '--accounts', '3'], { cwd: ROOT, env });
  assert.equal(run.code, EXIT_OK, run.stderr);
  assert.match(run.stdout, new RegExp(`Accounts +${PROD.replace(/[()]/g, '\\$&')} by assuming the role`));
  assert.match(run.stdout, /dev \(222222222222\) by its own profile/);
  assert.match(run.stdout, /legacy \(333333333333\) by a role whose trust policy refuses the daemon/);

  const { posted, not } = await expectedIds();
  const payloads = payloadsIn(run.stdout);
  const check = checkDeliveries(payloads, posted, not);
  assert.deepEqual({ ...check, complete: true }, { ...check, events: posted.size, repeated: [], unexpected: [] });
  const texts = payloads.map((p) => JSON.stringify(p));
  // Both usable accounts got their share; every message names one of them, none the refused one.
  assert.ok(texts.some((text) => text.includes(PROD)), 'a message names prod');
  assert.ok(texts.some((text) => text.includes(DEV)), 'a message names dev');
  for (const text of texts) assert.ok(text.includes(PROD) !== text.includes(DEV), `one account per message: ${text.slice(0, 200)}`);
  assert.ok(!texts.some((text) => text.includes('333333333333')), 'nothing posted for the refused account');
  const alerts = run.stderr.split('\n').filter((line) => line.includes('"kind":"account-unusable"'));
  assert.equal(alerts.length, 1, run.stderr);
  assert.match(alerts[0] ?? '', /legacy \(333333333333\)/);
  assert.match(alerts[0] ?? '', /trust policy/);
});

test('demo --accounts 3, continuous: the status page lists each account\'s regions and the pause alert; /metrics has an account label per account', { timeout: 90_000 }, async (t) => {
  const dir = tempDir(t, 'cts-demo-accounts-');
  const proc = new EventEmitter();
  const { posted } = await expectedIds();
  let out = '';
  const seen: Record<string, string> = {};
  const visit = async () => {
    const page = /status page +(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
    if (page === undefined) return;
    for (const path of ['/', '/metrics']) seen[path] = await (await fetch(new URL(path, page))).text();
  };
  const code = await runDemo(
    { accounts: 3 },
    {
      out: {
        write(text: string) {
          out += text;
          if (text.includes(`All ${posted.size} expected events are in`)) void visit().finally(() => proc.emit('SIGINT', 'SIGINT'));
        },
      },
      err: { write: () => undefined },
      env: {},
      proc,
      tmpRoot: dir,
      pollIntervalSeconds: 2,
      lateAfterMs: [4000],
      forceExit: (c) => assert.fail(`forced exit ${c}`),
    },
  );
  assert.equal(code, EXIT_OK);
  const page = seen['/'] ?? '';
  for (const account of [PROD, DEV]) {
    for (const region of DEMO_REGIONS) assert.match(page, new RegExp(`<td>${account.replace(/[()]/g, '\\$&')}</td><td>${region}</td>`), `${account} ${region} on the page`);
  }
  assert.match(page, /account-unusable/);
  assert.match(page, new RegExp(LEGACY.replace(/[()]/g, '\\$&')));
  for (const id of [DEMO_ACCOUNTS[0]!.id, DEMO_ACCOUNTS[1]!.id]) {
    assert.match(seen['/metrics'] ?? '', new RegExp(`^cloudtrail_slack_events_total\\{account="${id}",region="[a-z0-9-]+",outcome="posted"\\} [1-9]`, 'm'));
  }
  assert.ok(checkDeliveries(payloadsIn(out), posted, new Set()).complete);
});

test('demo --accounts outside 1 to 3 is a usage error (exit 78) naming the range', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t, 'cts-demo-accounts-');
  for (const value of ['0', '4', 'two']) {
    const run = await runCliToEnd(t, ['demo', '--once', '--accounts', value], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', TMPDIR: dir } });
    assert.equal(run.code, 78, `${value}: ${run.stdout}${run.stderr}`);
    assert.match(run.stderr, /--accounts.*expected 1 to 3/);
  }
});
