import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { createAccountCredentials, STS_REQUEST_TIMEOUT_MS } from '../src/aws/account-credentials';
import { whoAmI } from '../src/aws/identity';
import { createAccountCheck } from '../src/targets/account-check';
import { captureLogger } from './support/daemon-harness';
import { ManualClock } from './support/manual-clock';
import { waitFor } from './support/cli-process';

// A stop while STS hangs (issue 10 item 3's start-up check): the stop is prompt, it does not wait for STS's timeout.

const KEYS = { accessKeyId: 'AKIDEXAMPLESTOP', secretAccessKey: 'stop-secret' };

async function hangingSts(t: { after(fn: () => unknown): void }) {
  const sockets: Socket[] = [];
  const server = createServer((socket) => void sockets.push(socket)); // accepts, reads, never answers
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, sockets };
}

test('a stop while AssumeRole hangs ends the account check at once, not at the STS timeout', async (t) => {
  const sts = await hangingSts(t);
  const clock = new ManualClock();
  t.after(clock.autoAdvance()); // the STS pace (a token for the check, one for AssumeRole)
  const stop = new AbortController();
  const credentials = createAccountCredentials({ base: KEYS, stsRegion: 'us-east-1', stsEndpoint: sts.url, clock, signal: stop.signal });
  const check = createAccountCheck({
    credentials,
    whoAmI: (provider, signal) => whoAmI({ region: 'us-east-1', credentials: provider, endpoint: sts.url }, signal),
    log: captureLogger().log,
    describe: (id) => id,
  });
  const verdict = check({ id: '111111111111', roleArn: 'arn:aws:iam::111111111111:role/Reader' }, stop.signal);
  let settled = false;
  void verdict.then(() => (settled = true), () => (settled = true));
  await waitFor('AssumeRole to reach STS', () => sts.sockets.length > 0);
  stop.abort(new DOMException('stopped', 'AbortError'));
  await assert.rejects(verdict, { name: 'AbortError' });
  assert.ok(sts.sockets.every((socket) => !socket.destroyed), 'settled while STS still had not answered nor timed out');
  assert.ok(settled);
  assert.ok(STS_REQUEST_TIMEOUT_MS <= 5_000, 'the inner STS request is bounded well below the 10 s default shutdown budget');
});

test('a stop while the STS pace is exhausted ends the wait for the limiter', async (t) => {
  const sts = await hangingSts(t);
  const clock = new ManualClock();
  const stop = new AbortController();
  const credentials = createAccountCredentials({ base: KEYS, stsRegion: 'us-east-1', stsEndpoint: sts.url, clock, signal: stop.signal, stsCallsPerSecond: 0.001 });
  const providers = ['111111111111', '222222222222', '333333333333'].map((id) => credentials.providerFor({ id, roleArn: `arn:aws:iam::${id}:role/Reader` }));
  const calls = providers.map((provider) => provider({}).then(() => 'resolved', (e: unknown) => (e as Error).name));
  await waitFor('the first AssumeRole at STS', () => sts.sockets.length > 0);
  stop.abort(new DOMException('stopped', 'AbortError'));
  const outcomes = await Promise.all(calls.slice(1));
  assert.deepEqual(outcomes, ['AbortError', 'AbortError'], 'the ones waiting for the limiter end with the stop');
});
