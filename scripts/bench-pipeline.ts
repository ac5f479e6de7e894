/**
 * Issue 8's pipeline figures (printed by `npm run bench`; nothing is asserted):
 *
 * 1. The burst: 500 writes from one actor in one region with a StopLogging in the middle, through the real daemon
 *    (--once) against the local simulators on a manual clock: messages, simulated seconds from the first
 *    LookupEvents request to the last Slack post, events/s per webhook, 429s and the smallest gap between posts.
 * 2. CPU ms per 1,000 write events (what LookupEvents ReadOnly=false returns) through parse → rules (the built-in
 *    pack plus 60 generated rules) → plan → format, with digests on and off.
 * 3. CPU of `--dry-run --once` end to end (simulators, SDK, daemon: one process) for 2,500 and 5,000 events.
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config/load';
import { createLookupClient } from '../src/cloudtrail/client';
import { runDaemon } from '../src/daemon/run-daemon';
import { fromLookupEvent, type LookupEvent } from '../src/events/parse';
import type { CloudTrailRecord } from '../src/events/types';
import { actorKey, DEFAULT_DIGEST_OPTIONS, planNext, type DigestOptions } from '../src/pipeline/plan';
import { buildRich } from '../src/pipeline/queue-message';
import type { QueueItem } from '../src/pipeline/types';
import { buildDecider } from '../src/rules/build-decider';
import { loadRuleSet } from '../src/rules/load-rule-set';
import { startCloudTrailSimulator } from '../src/sim/cloudtrail-server';
import { startSlackSimulator } from '../src/sim/slack-server';
import { ManualClock } from '../test/support/manual-clock';
import { loadFixtureRecords, toLookupEvent } from '../test/support/fixtures';
import { makeBurst } from '../test/support/burst';

const MIN = 60_000;
const REGION = 'us-east-1';
const credentials = { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench-secret' };
const silent = pino({ level: 'silent' });

const cpuMsSince = (before: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
};

/** One --once pass of the real daemon over `records` (one region); returns the simulators' records and the CPU. */
async function oncePass(records: readonly CloudTrailRecord[], fileConfig: Record<string, unknown>, dryRun: boolean) {
  const clock = new ManualClock();
  const cloudtrail = await startCloudTrailSimulator({ now: () => clock.now() });
  const slack = await startSlackSimulator({ now: () => clock.now() });
  const stateDir = mkdtempSync(join(tmpdir(), 'cts-bench-'));
  const start = clock.now();
  records.forEach((record, i) => {
    // Oldest first, spread over the lookback: the daemon reads them in one full scan or a few catch-up chunks.
    const span = (Number(fileConfig.initialLookbackMinutes ?? 20) - 2) * MIN;
    cloudtrail.addRecord(record, { region: REGION, eventTime: start - span + Math.floor((i * span) / records.length) });
  });
  const config = loadConfig({
    flags: { regions: [REGION], stateDir, endpoint: cloudtrail.url, configFile: 'bench.json', once: true, dryRun },
    env: { SLACK_WEBHOOK_URL: slack.url },
    readFile: () => JSON.stringify(fileConfig),
  });
  let printed = 0;
  const stopAuto = clock.autoAdvance();
  const before = process.cpuUsage();
  const code = await runDaemon(config, {
    clock,
    log: silent,
    proc: new EventEmitter(),
    writeOut: () => void (printed += 1),
    createClient: (region) => createLookupClient({ region, endpoint: cloudtrail.url, credentials, now: () => clock.now() }),
  });
  const cpuMs = cpuMsSince(before);
  stopAuto();
  const result = { code, cpuMs, printed, lookups: cloudtrail.requests.map((r) => r.at), posts: slack.requests.map((r) => ({ at: r.at, response: r.response })) };
  await cloudtrail.close();
  await slack.close();
  rmSync(stateDir, { recursive: true, force: true });
  return result;
}

async function benchBurst(): Promise<void> {
  const burst = makeBurst(500, REGION, 0);
  const r = await oncePass(burst.records, {}, false);
  const first = Math.min(...r.lookups);
  const postTimes = r.posts.map((p) => p.at);
  const last = Math.max(...postTimes);
  const gaps = postTimes.slice(1).map((at, i) => at - postTimes[i]!);
  const postingSeconds = (last - Math.min(...postTimes)) / 1000;
  const limited = r.posts.filter((p) => p.response !== 'hang' && p.response.status === 429).length;
  console.log(`burst: ${burst.ids.length} events (500 writes by one actor + StopLogging) in ${r.posts.length} messages, exit ${r.code}`);
  console.log(`  → ${((last - first) / 1000).toFixed(0)} s simulated from the first LookupEvents request to the last post (${r.lookups.length} requests at 1/s)`);
  console.log(`  → ${(burst.ids.length / postingSeconds).toFixed(1)} events/s on the webhook from its first post to its last (${postingSeconds.toFixed(0)} s; before: 1 event/s), ${((burst.ids.length / (last - first)) * 1000).toFixed(1)} from the first read; 429s: ${limited}; smallest gap between posts: ${Math.min(...gaps)} ms`);
}

/** 60 rules of our own: pinned and unpinned selections, modifiers, filters, so the index sees a realistic mix. */
function writeBenchRules(dir: string): void {
  const sources = ['ec2', 's3', 'iam', 'ssm', 'kms', 'lambda', 'rds', 'sts', 'secretsmanager', 'logs'];
  const verbs = ['Create', 'Delete', 'Put', 'Update', 'Modify', 'Attach'];
  for (let i = 0; i < 60; i += 1) {
    const source = sources[i % sources.length];
    const verb = verbs[i % verbs.length];
    const detection =
      i % 3 === 0
        ? `    selection:\n        eventSource: '${source}.amazonaws.com'\n        eventName|startswith: '${verb}'\n    filter:\n        userIdentity.type: 'AWSService'\n    condition: selection and not filter`
        : i % 3 === 1
          ? `    selection:\n        eventSource: '${source}.amazonaws.com'\n        eventName:\n            - '${verb}Thing${i}'\n            - '${verb}Other${i}'\n        errorCode: null\n    condition: selection`
          : `    selection:\n        userAgent|contains: 'bench-agent-${i}'\n    keywords:\n        sourceIPAddress|cidr: '198.51.${i}.0/24'\n    condition: selection or keywords`;
    const level = ['low', 'medium', 'informational'][i % 3];
    writeFileSync(
      join(dir, `bench-${i}.yml`),
      `title: Bench rule ${i}\nid: 00000000-0000-4000-8000-${String(i).padStart(12, '0')}\nlogsource:\n    product: aws\n    service: cloudtrail\ndetection:\n${detection}\nlevel: ${level}\n`,
    );
  }
}

async function benchCpu(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cts-bench-rules-'));
  writeBenchRules(dir);
  const set = await loadRuleSet({ paths: [dir], builtin: true });
  rmSync(dir, { recursive: true, force: true });
  if (set.errors.length > 0) throw new Error(`bench rules refused: ${set.errors[0]!.file}: ${set.errors[0]!.error}`);
  const decide = buildDecider({ routes: [], mute: [], exclude: { eventNames: [], eventSources: [], userNames: [] } }, set.index);
  // Write events only: the daemon asks LookupEvents for ReadOnly=false, so nothing else reaches the pipeline.
  const wire: LookupEvent[] = loadFixtureRecords().filter((record) => record.readOnly === false).map(toLookupEvent);
  const pass = (digest: DigestOptions): { messages: number } => {
    const waiting: QueueItem[] = [];
    for (const raw of wire) {
      const event = fromLookupEvent(raw, REGION);
      if (event === undefined || event.readOnly === true) continue;
      const decision = decide(event, { region: REGION });
      if (decision.muted) continue;
      for (const route of decision.routes) waiting.push({ event, decision, webhook: route.webhook, actor: actorKey(event), target: REGION, enqueuedAt: 0 });
    }
    let messages = 0;
    // As a queue drains: plan the next message, format it, take its items out.
    while (waiting.length > 0) {
      const plan = planNext(waiting, digest);
      buildRich(plan, { repeatWindowMs: digest.repeatWindowMs }, silent);
      const chosen = new Set(plan.items);
      for (let i = waiting.length - 1; i >= 0; i -= 1) if (chosen.has(waiting[i]!)) waiting.splice(i, 1);
      messages += 1;
    }
    return { messages };
  };
  const rounds = 20;
  const measure = (digest: DigestOptions) => {
    pass(digest); // warm-up
    let last = { messages: 0 };
    const before = process.cpuUsage();
    for (let round = 0; round < rounds; round += 1) last = pass(digest);
    return { ...last, cpuMs: cpuMsSince(before) };
  };
  const digested = measure(DEFAULT_DIGEST_OPTIONS);
  const single = measure({ ...DEFAULT_DIGEST_OPTIONS, enabled: false });
  const perThousand = (ms: number) => ((ms / (rounds * wire.length)) * 1000).toFixed(1);
  console.log(`parse → rules → plan → format: ${set.rules.length} rules (the pack + 60 generated), ${wire.length} real write events × ${rounds} rounds`);
  console.log(`  → ${perThousand(digested.cpuMs)} ms CPU per 1000 events with digests on (${digested.messages} messages a round; goal ≤ 100)`);
  console.log(`  → ${perThousand(single.cpuMs)} ms CPU per 1000 events with digest.enabled false (${single.messages} messages a round: one single-event message each)`);
}

async function benchDryRun(): Promise<void> {
  const writes = loadFixtureRecords().filter((r) => r.readOnly === false);
  const records = (n: number): CloudTrailRecord[] =>
    Array.from({ length: n }, (_, i) => ({ ...writes[i % writes.length]!, eventID: `00000000-0000-4000-9000-${String(i).padStart(12, '0')}` }));
  const figures: string[] = [];
  for (const enabled of [true, false]) {
    for (const n of [2500, 5000]) {
      const r = await oncePass(records(n), { initialLookbackMinutes: 180, digest: { enabled } }, true);
      figures.push(`${n} events${enabled ? '' : ', digests off'}: ${r.cpuMs.toFixed(0)} ms CPU, ${r.printed} payloads (exit ${r.code})`);
    }
  }
  console.log('--dry-run --once end to end (simulators and SDK in the same process; goal < 2,000 ms CPU for 5,000, linear):');
  for (const figure of figures) console.log(`  → ${figure}`);
}

export async function benchIssue8Pipeline(): Promise<void> {
  await benchCpu();
  await benchBurst();
  await benchDryRun();
}
