import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BUILTIN_RULES_DIR, loadRuleSet } from '../src/rules/load-rule-set';
import { ROOT, tempDir } from './support/cli-process';
import { ensureDist } from './support/dist';
import { ruleText } from './support/sigma';

const PACK_FILES = readdirSync(join(ROOT, 'rules', 'builtin')).filter((f) => f.endsWith('.yml'));
const SAMPLES = join(ROOT, 'test', 'fixtures', 'rule-pack');

function firstSample(stem: string, kind: 'positive' | 'negative'): unknown {
  const data: unknown = JSON.parse(readFileSync(join(SAMPLES, `${stem}.${kind}.json`), 'utf8'));
  return Array.isArray(data) ? data[0] : data;
}

const OWN_RULE = ruleText("selection:\n    eventName: 'CreateTags'\ncondition: selection", 'id: own-create-tags\nlevel: low\n');

describe('BUILTIN_RULES_DIR', () => {
  test('is <package root>/rules/builtin when run from src/ (tsx)', () => {
    assert.equal(BUILTIN_RULES_DIR, join(ROOT, 'rules', 'builtin'));
  });

  test('is the same folder when run from dist/ (compiled), one level deeper than package.json either way', () => {
    ensureDist();
    // The compiled module, loaded as the installed package loads it.
    const compiled = require(join(ROOT, 'dist', 'rules', 'load-rule-set.js')) as { BUILTIN_RULES_DIR: string };
    assert.equal(compiled.BUILTIN_RULES_DIR, join(ROOT, 'rules', 'builtin'));
  });

  test('the package ships it: package.json "files" lists rules/builtin', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    assert.ok(pkg.files.includes('rules/builtin'), JSON.stringify(pkg.files));
  });
});

describe('loadRuleSet', () => {
  test('default: the built-in pack, every rule loaded and indexed', async () => {
    const set = await loadRuleSet({ paths: [], builtin: true });
    assert.deepEqual(set.errors, []);
    assert.equal(set.rules.length, PACK_FILES.length);
    assert.equal(set.index.size, PACK_FILES.length);
    const hits = set.index.match(firstSample('cloudtrail-logging-stopped-or-trail-deleted', 'positive'));
    assert.deepEqual(hits.map((rule) => rule.level), ['critical']);
    assert.deepEqual(set.index.match(firstSample('cloudtrail-logging-stopped-or-trail-deleted', 'negative')), []);
  });

  test('rules.builtin false: only the paths given; none: an empty index', async (t) => {
    const dir = tempDir(t, 'cts-ruleset-');
    writeFileSync(join(dir, 'own.yml'), OWN_RULE);
    const set = await loadRuleSet({ paths: [join(dir, 'own.yml')], builtin: false });
    assert.deepEqual(set.rules.map((rule) => rule.id), ['own-create-tags']);
    assert.equal(set.index.match({ eventName: 'CreateTags' }).length, 1);
    const none = await loadRuleSet({ paths: [], builtin: false });
    assert.deepEqual([none.rules, none.errors, none.index.size], [[], [], 0]);
  });

  test('the pack first, then the paths; a bad file is one error and the others still load', async (t) => {
    const dir = tempDir(t, 'cts-ruleset-');
    mkdirSync(join(dir, 'mine'));
    writeFileSync(join(dir, 'mine', 'a-good.yml'), OWN_RULE);
    writeFileSync(join(dir, 'mine', 'b-bad.yml'), ruleText("selection:\n    eventName|base64: 'x'\ncondition: selection", 'id: own-bad\n'));
    const set = await loadRuleSet({ paths: [join(dir, 'mine'), join(dir, 'missing.yml')], builtin: true });
    assert.equal(set.rules.length, PACK_FILES.length + 1);
    assert.equal(set.rules.at(-1)?.id, 'own-create-tags');
    assert.ok(set.rules.slice(0, -1).every((rule) => rule.file.startsWith(BUILTIN_RULES_DIR)));
    // The missing path is found while walking the paths, the refused rule when its file is compiled.
    assert.deepEqual(
      set.errors.map((e) => [e.file, e.id]),
      [[join(dir, 'missing.yml'), null], [join(dir, 'mine', 'b-bad.yml'), 'own-bad']],
    );
    for (const error of set.errors) assert.doesNotMatch(error.error, /\n/);
    assert.match(set.errors.find((e) => e.id === 'own-bad')!.error, /base64/);
  });

  test('a rule that reuses a built-in id is refused; the built-in one stays', async (t) => {
    const dir = tempDir(t, 'cts-ruleset-');
    const builtin = (await loadRuleSet({ paths: [], builtin: true })).rules[0]!;
    writeFileSync(join(dir, 'copy.yml'), ruleText("selection:\n    eventName: 'X'\ncondition: selection", `id: ${builtin.id}\n`));
    const set = await loadRuleSet({ paths: [join(dir, 'copy.yml')], builtin: true });
    assert.equal(set.rules.find((rule) => rule.id === builtin.id)?.file, builtin.file);
    assert.match(set.errors[0]?.error ?? '', /duplicate id/);
  });
});
