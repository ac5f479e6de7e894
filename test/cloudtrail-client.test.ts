import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { classifyAwsError, createLookupClient, describeAwsError } from '../src/cloudtrail/client';
import { ShutdownRequested } from '../src/lib/errors';
import { startCloudTrailSimulator, type SimFailure } from '../src/sim/cloudtrail-server';
import { ManualClock } from './support/manual-clock';

const CREDENTIALS = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

async function setUp(t: TestContext, throttleStatus: 400 | 429 = 400) {
  const clock = new ManualClock();
  const sim = await startCloudTrailSimulator({ now: () => clock.now(), throttleStatus, requestsPerSecond: 1000 });
  const client = createLookupClient({ region: 'eu-west-1', endpoint: sim.url, credentials: CREDENTIALS });
  t.after(async () => {
    client.destroy();
    await sim.close();
  });
  return { sim, client };
}

const WINDOW = { start: Date.parse('2023-07-10T11:00:00.250Z'), end: Date.parse('2023-07-10T13:00:00Z') };

test('sends a fresh request per call: ReadOnly=false, 50 a page, epoch-second times, no SDK retry', async (t) => {
  const { sim, client } = await setUp(t);
  await client.lookupEvents(WINDOW);
  await client.lookupEvents({ ...WINDOW, nextToken: undefined });
  sim.failNext('*', { status: 503 });
  await assert.rejects(client.lookupEvents(WINDOW));
  const expected = {
    LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'false' }],
    MaxResults: 50,
    StartTime: 1688986800.25,
    EndTime: 1688994000,
  };
  assert.deepEqual(sim.requests.map((r) => r.body), [expected, expected, expected]);
  assert.equal(sim.requests.length, 3, 'maxAttempts 1: the 503 was not retried underneath us');
  assert.ok(sim.requests.every((r) => r.region === 'eu-west-1' && r.accessKeyId === 'AKIDTEST'));
});

test('uses the named profile from the shared credentials file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-creds-'));
  const saved = { creds: process.env.AWS_SHARED_CREDENTIALS_FILE, config: process.env.AWS_CONFIG_FILE };
  writeFileSync(join(dir, 'credentials'), '[audit]\naws_access_key_id = AKIDAUDIT\naws_secret_access_key = s\n');
  writeFileSync(join(dir, 'config'), '');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
  process.env.AWS_CONFIG_FILE = join(dir, 'config');
  const sim = await startCloudTrailSimulator();
  const client = createLookupClient({ region: 'us-east-1', endpoint: sim.url, profile: 'audit' });
  t.after(async () => {
    client.destroy();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
    const restore = [
      ['AWS_SHARED_CREDENTIALS_FILE', saved.creds],
      ['AWS_CONFIG_FILE', saved.config],
    ] as const;
    for (const [key, value] of restore) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
  await client.lookupEvents(WINDOW);
  assert.equal(sim.requests[0]?.accessKeyId, 'AKIDAUDIT');
});

const CASES: Array<[SimFailure, string, 400 | 429]> = [
  ['throttle', 'throttled', 400],
  ['throttle', 'throttled', 429],
  [{ status: 500 }, 'transient', 400],
  [{ status: 502 }, 'transient', 400],
  [{ status: 503 }, 'transient', 400],
  ['UnrecognizedClientException', 'unrecognized-client', 400],
  ['ExpiredTokenException', 'expired-token', 400],
  ['AccessDeniedException', 'access-denied', 400],
];

for (const [failure, kind, status] of CASES) {
  test(`classifies the SDK's error for ${JSON.stringify(failure)} (${status}) as ${kind}`, async (t) => {
    const { sim, client } = await setUp(t, status);
    sim.failNext('*', failure);
    const error = await client.lookupEvents(WINDOW).then(() => undefined, (e: unknown) => e);
    assert.equal(classifyAwsError(error), kind);
    assert.doesNotMatch(describeAwsError(error), /test-secret/);
  });
}

test('classifies the service validation errors the window logic can cause', async (t) => {
  const { client } = await setUp(t);
  const range = await client.lookupEvents({ start: 2000, end: 1000 }).catch((e: unknown) => e);
  assert.equal(classifyAwsError(range), 'invalid-time-range');
  const token = await client.lookupEvents({ ...WINDOW, nextToken: 'bogus' }).catch((e: unknown) => e);
  assert.equal(classifyAwsError(token), 'invalid-next-token');
  assert.match(describeAwsError(token), /^InvalidNextTokenException \(HTTP 400\): /);
});

test('classifies a refused connection as transient', async () => {
  const sim = await startCloudTrailSimulator();
  const url = sim.url;
  await sim.close(); // nothing listens there now
  const client = createLookupClient({ region: 'us-east-1', endpoint: url, credentials: CREDENTIALS });
  try {
    const error = await client.lookupEvents(WINDOW).catch((e: unknown) => e);
    assert.equal(classifyAwsError(error), 'transient');
    assert.match(describeAwsError(error), /ECONNREFUSED/);
  } finally {
    client.destroy();
  }
});

test('classifies an aborted call as aborted', async (t) => {
  const { client } = await setUp(t);
  const error = await client.lookupEvents(WINDOW, AbortSignal.abort()).catch((e: unknown) => e);
  assert.equal(classifyAwsError(error), 'aborted');
});

test('classifies by name, status and cause chain', () => {
  const withStatus = (name: string, status?: number) =>
    Object.assign(new Error('x'), { name, $metadata: { httpStatusCode: status } });
  const table: Array<[unknown, string]> = [
    [withStatus('TooManyRequestsException'), 'throttled'],
    [withStatus('SomethingNew', 429), 'throttled'],
    [withStatus('SomethingNew', 504), 'transient'],
    [withStatus('TimeoutError'), 'transient'],
    [Object.assign(new Error('reset'), { code: 'ECONNRESET' }), 'transient'],
    [new Error('wrapped', { cause: Object.assign(new Error('dns'), { code: 'EAI_AGAIN' }) }), 'transient'],
    [new AggregateError([Object.assign(new Error('a'), { code: 'ENETUNREACH' })]), 'transient'],
    [withStatus('AccessDenied', 403), 'access-denied'],
    [withStatus('SomethingForbidden', 403), 'access-denied'],
    [withStatus('ExpiredToken'), 'expired-token'],
    [withStatus('CredentialsProviderError'), 'no-credentials'],
    [
      Object.assign(new Error('Could not load credentials'), {
        name: 'CredentialsProviderError',
        cause: Object.assign(new Error('imds'), { code: 'ECONNREFUSED' }),
      }),
      'transient',
    ],
    [new ShutdownRequested(), 'aborted'],
    [withStatus('InvalidMaxResultsException', 400), 'fatal-other'],
    [new Error('plain'), 'fatal-other'],
    ['a string', 'fatal-other'],
    [undefined, 'fatal-other'],
  ];
  for (const [error, kind] of table) assert.equal(classifyAwsError(error), kind, describeAwsError(error));
});

test('describes an error in one bounded line with anything secret-shaped masked', () => {
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const message = `The request signature we calculated does not match.\nCanonical: ${secret} AKIAIOSFODNN7EXAMPLE`;
  const error = Object.assign(new Error(message), {
    name: 'SignatureDoesNotMatch',
    $metadata: { httpStatusCode: 403 },
  });
  const line = describeAwsError(error);
  assert.doesNotMatch(line, /\n/);
  assert.ok(!line.includes(secret) && !line.includes('AKIAIOSFODNN7EXAMPLE'), line);
  assert.match(line, /^SignatureDoesNotMatch \(HTTP 403\): The request signature/);
  assert.ok(describeAwsError(new Error('y'.repeat(10) + ' z'.repeat(1000))).length <= 300);
  assert.equal(describeAwsError('boom'), 'Error: boom');
});
