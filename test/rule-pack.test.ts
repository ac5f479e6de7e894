import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { buildRuleIndex, loadRulePaths, type CompiledRule } from '../src/rules/sigma';
import { loadFixtureRecords } from './support/fixtures';

// The built-in pack (rules/builtin) against its samples (test/fixtures/rule-pack, see SOURCES.md there) and
// against the 1,500 real records of test/fixtures/cloudtrail/events.jsonl.
const PACK_DIR = join(__dirname, '..', 'rules', 'builtin');
const SAMPLE_DIR = join(__dirname, 'fixtures', 'rule-pack');
const RULE_FILES = readdirSync(PACK_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const stemOf = (file: string) => basename(file).replace(/\.ya?ml$/, '');
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// ATT&CK tactic names and technique IDs as SigmaHQ writes them (attack.defense-evasion, attack.t1562.008).
const ATTACK_TAG = /^attack\.([a-z]+(-[a-z]+)*|t\d{4}(\.\d{3})?)$/;
// The only rules that may match a failed call: they are about failures (or about root, where any attempt counts).
const FAILURE_RULES = new Set(['signin-root-console-login-failed', 'root-account-usage']);

function readSamples(stem: string, kind: 'positive' | 'negative'): unknown[] {
  const data: unknown = JSON.parse(readFileSync(join(SAMPLE_DIR, `${stem}.${kind}.json`), 'utf8'));
  return Array.isArray(data) ? data : [data];
}

function label(record: unknown, index: number): string {
  const r = record as { eventName?: string; errorCode?: string };
  return `#${index} ${r.eventName ?? '?'}${r.errorCode ? ` (${r.errorCode})` : ''}`;
}

// Loaded once for the whole file; the first test fails on any load error, the others use what did load.
let loading: ReturnType<typeof loadRulePaths> | undefined;
const loadResult = () => (loading ??= loadRulePaths([PACK_DIR]));

async function loadPack(): Promise<Map<string, CompiledRule>> {
  const { rules } = await loadResult();
  return new Map(rules.map((rule) => [stemOf(rule.file), rule]));
}

describe('built-in rule pack', () => {
  test('every rule file loads, once, with no errors', async () => {
    assert.deepEqual((await loadResult()).errors, []);
    const pack = await loadPack();
    assert.ok(RULE_FILES.length >= 25, `the pack has ${RULE_FILES.length} rule files`);
    assert.deepEqual([...pack.keys()].sort(), RULE_FILES.map(stemOf));
  });

  test('every rule has a unique UUID v4 id, a title, a level, ATT&CK tags and the pack metadata', async () => {
    const pack = await loadPack();
    const ids = new Set<string>();
    for (const [stem, rule] of pack) {
      assert.match(rule.id, UUID_V4, `${stem}: id`);
      assert.ok(!ids.has(rule.id), `${stem}: id ${rule.id} is used twice`);
      ids.add(rule.id);
      assert.ok(rule.title.trim().length > 0, `${stem}: title`);
      assert.ok(['informational', 'low', 'medium', 'high', 'critical'].includes(rule.level), `${stem}: level`);
      assert.ok(rule.tags.some((t) => /^attack\.t\d{4}/.test(t)), `${stem}: an ATT&CK technique tag`);
      for (const tag of rule.tags) assert.match(tag, ATTACK_TAG, `${stem}: tag ${tag}`);
      const doc = parse(readFileSync(rule.file, 'utf8')) as Record<string, unknown>;
      assert.equal(doc.author, 'cloudtrail-slack', `${stem}: author`);
      assert.ok(doc.status === 'stable' || doc.status === 'test', `${stem}: status`);
      assert.match(String(doc.date), /^\d{4}-\d{2}-\d{2}$/, `${stem}: date`);
      assert.deepEqual(doc.logsource, { product: 'aws', service: 'cloudtrail' }, `${stem}: logsource`);
      assert.ok(Array.isArray(doc.falsepositives) && doc.falsepositives.length > 0, `${stem}: falsepositives`);
      // Each description says whether failed calls count.
      assert.match(String(doc.description), /success|fail/i, `${stem}: description names success or failure`);
    }
  });

  test('every rule has a positive and a negative sample, and every sample has its rule', () => {
    const stems = new Set(RULE_FILES.map(stemOf));
    for (const stem of stems) {
      for (const kind of ['positive', 'negative'] as const) {
        assert.ok(existsSync(join(SAMPLE_DIR, `${stem}.${kind}.json`)), `${stem}: ${kind} sample is missing`);
        assert.ok(readSamples(stem, kind).length > 0, `${stem}: ${kind} sample is empty`);
      }
    }
    for (const file of readdirSync(SAMPLE_DIR).filter((f) => f.endsWith('.json'))) {
      const match = /^(.+)\.(positive|negative)\.json$/.exec(file);
      assert.ok(match && stems.has(match[1]!), `${file} belongs to no rule of rules/builtin`);
    }
  });

  for (const file of RULE_FILES) {
    const stem = stemOf(file);
    test(`${stem}: the positive sample matches, the negative sample does not`, async () => {
      const pack = await loadPack();
      const rule = pack.get(stem);
      assert.ok(rule, `${stem} loaded`);
      const index = buildRuleIndex([...pack.values()]);
      readSamples(stem, 'positive').forEach((record, i) => {
        assert.equal(rule.matches(record), true, `${stem}: positive ${label(record, i)} should match`);
        assert.ok(index.match(record).includes(rule), `${stem}: the index finds positive ${label(record, i)}`);
      });
      readSamples(stem, 'negative').forEach((record, i) => {
        assert.equal(rule.matches(record), false, `${stem}: negative ${label(record, i)} should not match`);
        assert.ok(!index.match(record).includes(rule), `${stem}: the index skips negative ${label(record, i)}`);
      });
    });
  }

  test('no rule but the failure rules matches a failed call, in the samples or the fixture', async () => {
    const pack = await loadPack();
    const index = buildRuleIndex([...pack.values()]);
    const sampleRecords = RULE_FILES.flatMap((f) => [...readSamples(stemOf(f), 'positive'), ...readSamples(stemOf(f), 'negative')]);
    const failed = [...sampleRecords, ...loadFixtureRecords()].filter((r) => (r as { errorCode?: unknown }).errorCode != null);
    assert.ok(failed.length > 300, `${failed.length} failed calls checked`);
    for (const record of failed) {
      for (const rule of index.match(record)) {
        assert.ok(FAILURE_RULES.has(stemOf(rule.file)), `${stemOf(rule.file)} matched failed ${label(record, 0)}`);
      }
    }
  });

  test('an Insights record (no userIdentity, eventSource or eventName) matches no rule', async () => {
    const pack = await loadPack();
    // API-FACTS M: the shape of a trail Insights event.
    const insight = {
      eventVersion: '1.08', eventTime: '2026-11-02T01:42:00Z', awsRegion: 'us-east-1', eventID: 'b1f0c7de-3a9e-4d67-9c1e-0e3f6a7b8c9d',
      eventType: 'AwsCloudTrailInsight', recipientAccountId: '111122223333', sharedEventID: '4f2e8d1c-7b6a-4e5d-8c3b-2a1f0e9d8c7b',
      insightDetails: {
        state: 'Start', eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey', insightType: 'ApiCallRateInsight',
        insightContext: { statistics: { baseline: { average: 0.0001 }, insight: { average: 5 }, insightDuration: 1, baselineDuration: 10181 } },
      },
      eventCategory: 'Insight',
    };
    assert.deepEqual(buildRuleIndex([...pack.values()]).match(insight), []);
    for (const rule of pack.values()) assert.equal(rule.matches(insight), false, stemOf(rule.file));
  });

  // The fixture is one hour of a real account under a Stratus Red Team attack simulation (see its SOURCES.md):
  // 1,500 records, 361 of them writes. The successful attack steps the pack is meant to catch are 12 records
  // (a deleted trail, weakened event selectors, a deleted flow log, an ingress rule open to 0.0.0.0/0, an AMI, an
  // EBS snapshot and an RDS snapshot shared with an outside account, an IAM user with a password, an admin policy,
  // an access key, and a console sign-in without MFA). Everything else is Terraform set-up and tear-down, reads,
  // and the failed attempts. The table below pins exactly which rules fire; the bound says the pack stays quiet:
  // at most 2% of all records (30) may match, which for this attack-dense hour is already generous. A rule that
  // fires on routine traffic here (Decrypt, AssumeRole, PutParameter, CreateTags…) would break both.
  test('over the 1,500 fixture records the pack fires only on the attack steps', async (t) => {
    const pack = await loadPack();
    const index = buildRuleIndex([...pack.values()]);
    const fired = new Map<string, string[]>();
    let matchedRecords = 0;
    for (const record of loadFixtureRecords()) {
      const hits = index.match(record);
      if (hits.length > 0) matchedRecords += 1;
      for (const rule of hits) {
        const stem = stemOf(rule.file);
        fired.set(stem, [...(fired.get(stem) ?? []), record.eventName ?? '?']);
      }
    }
    for (const [stem, names] of [...fired].sort()) t.diagnostic(`${stem} (${pack.get(stem)?.level}): ${names.join(', ')}`);
    t.diagnostic(`${matchedRecords} of 1,500 records matched at least one rule`);
    assert.deepEqual(Object.fromEntries([...fired].sort()), {
      'cloudtrail-logging-stopped-or-trail-deleted': ['DeleteTrail'],
      'cloudtrail-management-events-excluded': ['PutEventSelectors'],
      'cloudtrail-trail-or-event-selectors-changed': ['PutEventSelectors'],
      'ec2-flow-logs-deleted': ['DeleteFlowLogs'],
      'ec2-security-group-ingress-open-to-internet': ['AuthorizeSecurityGroupIngress'],
      'iam-access-key-created': ['CreateAccessKey'],
      'iam-admin-policy-attached': ['AttachUserPolicy'],
      'iam-login-profile-created-or-updated': ['CreateLoginProfile'],
      'iam-user-created': ['CreateUser'],
      'signin-console-login-without-mfa': ['ConsoleLogin'],
      'snapshot-or-image-shared-with-account': ['ModifyImageAttribute', 'ModifySnapshotAttribute', 'ModifyDBSnapshotAttribute'],
    });
    assert.equal(matchedRecords, 12);
    assert.ok(matchedRecords <= 30, `${matchedRecords} records matched; the pack is noisy`);
  });
});
