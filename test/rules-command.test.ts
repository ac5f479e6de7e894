import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { runRulesTest, type RulesDeps, type RulesFlags } from '../src/cli/rules-command';
import { EXIT_CONFIG, EXIT_FAILURE, EXIT_OK } from '../src/lib/errors';
import { daemonEnv, ROOT, runCliToEnd, tempDir } from './support/cli-process';
import { ensureDist } from './support/dist';
import { ruleText } from './support/sigma';

// `cloudtrail-slack rules lint` and `rules test` (issue 8 item 7): the real CLI where the process matters (exit
// codes, stdout/stderr), in-process where many files are checked.

const PACK = join(ROOT, 'rules', 'builtin');
const SAMPLES = join(ROOT, 'test', 'fixtures', 'rule-pack');
const STOP_LOGGING = join(SAMPLES, 'cloudtrail-logging-stopped-or-trail-deleted.positive.json');
const GOOD_RULE = ruleText("selection:\n    eventName: 'CreateTags'\ncondition: selection", 'id: own-create-tags\nlevel: low\n');
const BAD_RULE = ruleText("selection:\n    eventName|base64offset: 'x'\ncondition: selection", 'id: own-bad\n');
const PACK_IDS = new Map(
  readdirSync(PACK)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => [f.replace(/\.yml$/, ''), String((parse(readFileSync(join(PACK, f), 'utf8')) as { id: string }).id)]),
);

type Json = Record<string, unknown>;
const jsonLines = (text: string): Json[] => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Json);

function cli(t: { after(fn: () => unknown): void }, dir: string, args: string[], kind: 'tsx' | 'dist' = 'tsx') {
  return runCliToEnd(t, args, { cwd: dir, env: daemonEnv(dir), kind });
}

/** A folder holding one good and one bad rule, and a config file that turns the pack off. */
function ruleFolder(dir: string): void {
  mkdirSync(join(dir, 'mine'));
  writeFileSync(join(dir, 'mine', 'good.yml'), GOOD_RULE);
  writeFileSync(join(dir, 'mine', 'bad.yml'), BAD_RULE);
  writeFileSync(join(dir, 'no-pack.json'), JSON.stringify({ rules: { builtin: false } }));
}

describe('rules lint', () => {
  test('a folder with one good and one bad rule: one line each, the reason named, exit 1', async (t) => {
    const dir = tempDir(t);
    ruleFolder(dir);
    const run = await cli(t, dir, ['rules', 'lint', '--config', 'no-pack.json', '--rules', 'mine']);
    assert.equal(run.code, EXIT_FAILURE, run.stderr);
    assert.deepEqual(run.stdout.trimEnd().split('\n'), [
      'refused  mine/bad.yml: detection.selection: modifier "base64offset" in "eventName|base64offset" is not supported',
      'ok       mine/good.yml: own-create-tags Test rule (low)',
    ]);
    assert.equal(run.stderr, 'cloudtrail-slack rules lint: 1 rule(s) loaded, 1 refused\n');
  });

  test('--json: one {file, id, ok, error?} per line; with the pack, its rules are listed too', async (t) => {
    const dir = tempDir(t);
    ruleFolder(dir);
    const run = await cli(t, dir, ['rules', 'lint', '--json', '--rules', join(dir, 'mine')]);
    assert.equal(run.code, EXIT_FAILURE);
    const lines = jsonLines(run.stdout);
    assert.equal(lines.length, PACK_IDS.size + 2);
    assert.deepEqual(lines.find((l) => l.id === 'own-bad'), {
      file: 'mine/bad.yml',
      id: 'own-bad',
      ok: false,
      error: 'detection.selection: modifier "base64offset" in "eventName|base64offset" is not supported',
    });
    assert.deepEqual(lines.find((l) => l.id === 'own-create-tags'), { file: 'mine/good.yml', id: 'own-create-tags', ok: true });
    for (const line of lines.filter((l) => String(l.file).includes('builtin'))) {
      assert.deepEqual(Object.keys(line), ['file', 'id', 'ok']);
      assert.equal(line.ok, true);
    }
  });

  test('from dist/ (the compiled CLI), the pack is found and every rule loads: exit 0', async (t) => {
    ensureDist();
    const dir = tempDir(t);
    const run = await cli(t, dir, ['rules', 'lint', '--json'], 'dist');
    assert.equal(run.code, EXIT_OK, run.stderr);
    const lines = jsonLines(run.stdout);
    assert.deepEqual(lines.map((l) => l.id).sort(), [...PACK_IDS.values()].sort());
    assert.ok(lines.every((l) => l.ok === true && String(l.file).startsWith(`${PACK}/`)), run.stdout);
  });

  test('a config error is one line and exit 78; a rule path that does not exist is a refused line, exit 1', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ rules: { paths: 'x' } }));
    const bad = await cli(t, dir, ['rules', 'lint', '--config', 'bad.json']);
    assert.equal(bad.code, EXIT_CONFIG);
    assert.match(bad.stderr, /^cloudtrail-slack: config file .*bad\.json: rules\.paths: expected an array of file or folder paths, found "x"\n$/);
    const missing = await cli(t, dir, ['rules', 'lint', '--rules', 'nope.yml']);
    assert.equal(missing.code, EXIT_FAILURE);
    assert.match(missing.stdout, /^refused {2}nope\.yml: cannot read: ENOENT$/m);
  });
});

describe('rules test', () => {
  const config = {
    slack: { webhooks: { default: 'https://hooks.slack.com/services/T0/B0/X', security: 'https://hooks.slack.com/services/T0/B1/Y' } },
    routes: [
      { when: { minLevel: 'high' }, to: ['security'], mention: '<!subteam^S123ABC>', continue: true },
      { when: {}, to: ['default'] },
    ],
    mute: [{ eventNames: ['CreateTags'] }],
  };

  test('--json: one object per record in the issue\'s shape, with routes (webhook names) and muted', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'c.json'), JSON.stringify(config));
    const tags = { eventID: 'tags-1', eventName: 'CreateTags', eventSource: 'ec2.amazonaws.com', eventTime: '2026-11-30T10:00:00Z', awsRegion: 'eu-west-1' };
    const read = { ...tags, eventID: 'read-1', eventName: 'DescribeInstances', readOnly: true };
    writeFileSync(join(dir, 'more.jsonl'), `${JSON.stringify(tags)}\n${JSON.stringify(read)}\n`);
    const run = await cli(t, dir, ['rules', 'test', '--json', '--config', 'c.json', STOP_LOGGING, 'more.jsonl']);
    assert.equal(run.code, EXIT_OK, run.stderr);
    const lines = jsonLines(run.stdout);
    const stopId = PACK_IDS.get('cloudtrail-logging-stopped-or-trail-deleted');
    assert.deepEqual(lines[0], {
      eventID: 'fcec2e46-3cc3-4ac2-8144-3674f06990e4',
      eventName: 'DeleteTrail',
      matched: [{ id: stopId, title: 'CloudTrail logging stopped or trail deleted', level: 'critical' }],
      routes: ['security', 'default'],
      muted: false,
    });
    for (const line of lines) assert.deepEqual(Object.keys(line), ['eventID', 'eventName', 'matched', 'routes', 'muted']);
    assert.deepEqual(lines.slice(-2), [
      { eventID: 'tags-1', eventName: 'CreateTags', matched: [], routes: [], muted: true },
      { eventID: 'read-1', eventName: 'DescribeInstances', matched: [], routes: ['default'], muted: false },
    ], 'muted by the config; the read-only record is included');
    assert.match(run.stderr, /^cloudtrail-slack rules test: 2 file\(s\), 4 record\(s\): 2 matched a rule, 1 muted; 27 rule\(s\) loaded\n$/);
  });

  test('the table shows the level, the mute entry, the routes with their mention, and the rule titles', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'c.json'), JSON.stringify(config));
    writeFileSync(join(dir, 'tags.json'), JSON.stringify({ Records: [{ eventID: 'tags-1', eventName: 'CreateTags', eventTime: '2026-11-30T10:00:00Z' }] }));
    const run = await cli(t, dir, ['rules', 'test', '--config', 'c.json', STOP_LOGGING, 'tags.json']);
    assert.equal(run.code, EXIT_OK, run.stderr);
    const [header, deleteTrail, , tags] = run.stdout.trimEnd().split('\n');
    assert.match(header ?? '', /^EVENT ID +EVENT NAME +LEVEL +MUTED +ROUTES +RULES$/);
    assert.match(deleteTrail ?? '', /^fcec2e46-3cc3-4ac2-8144-3674f06990e4 +DeleteTrail +critical +no +security <!subteam\^S123ABC>, default +CloudTrail logging stopped or trail deleted \(critical\)$/);
    assert.match(tags ?? '', /^tags-1 +CreateTags +informational +yes: mute\[0\] +- +-$/);
  });

  test('--no-builtin leaves the pack out: the same record matches nothing', async (t) => {
    const dir = tempDir(t);
    const run = await cli(t, dir, ['rules', 'test', '--json', '--no-builtin', STOP_LOGGING]);
    assert.equal(run.code, EXIT_OK, run.stderr);
    for (const line of jsonLines(run.stdout)) assert.deepEqual([line.matched, line.routes], [[], ['default']]);
    assert.match(run.stderr, /0 rule\(s\) loaded/);
  });

  test('an unreadable input is one stderr line and exit 1; the readable ones still go through', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'broken.jsonl'), '{"eventID": "ok-1", "eventName": "CreateTags"}\nnot json\n');
    const run = await cli(t, dir, ['rules', 'test', '--json', STOP_LOGGING, 'broken.jsonl', 'absent.json']);
    assert.equal(run.code, EXIT_FAILURE);
    assert.deepEqual(jsonLines(run.stdout).map((l) => l.eventID).at(-1), 'ok-1');
    assert.equal(jsonLines(run.stdout).length, 3);
    assert.match(run.stderr, /^cloudtrail-slack rules test: broken\.jsonl: line 2: not valid JSON/m);
    assert.match(run.stderr, /^cloudtrail-slack rules test: absent\.json: not found$/m);
    assert.match(run.stderr, /2 problem\(s\)\n$/);
  });

  test('usage and config errors: exit 78, one line', async (t) => {
    const dir = tempDir(t);
    const noFiles = await cli(t, dir, ['rules', 'test']);
    assert.deepEqual([noFiles.code, noFiles.stderr], [EXIT_CONFIG, "cloudtrail-slack: missing required argument 'files'; see 'cloudtrail-slack rules test --help'\n"]);
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ routes: [{ to: ['security'] }] }));
    const badRoute = await cli(t, dir, ['rules', 'test', '--config', 'c.json', STOP_LOGGING]);
    assert.equal(badRoute.code, EXIT_CONFIG);
    assert.match(badRoute.stderr, /^cloudtrail-slack: config file .*c\.json: routes\[0\]\.to\[0\]: expected a webhook name from slack\.webhooks \(default\), found "security"\n$/);
  });
});

describe('rules test, in process', () => {
  async function run(files: string[], flags: RulesFlags = {}, deps: Partial<RulesDeps> = {}) {
    let out = '';
    let err = '';
    const code = await runRulesTest(files, { json: true, ...flags }, {
      env: {},
      cwd: ROOT,
      writeOut: (s) => void (out += s),
      writeErr: (s) => void (err += s),
      ...deps,
    });
    return { code, out, err, lines: flags.json === false ? [] : jsonLines(out) };
  }

  let positives: string[] = [];
  before(() => {
    positives = readdirSync(SAMPLES).filter((f) => f.endsWith('.positive.json'));
  });

  test('every positive sample of the pack matches its own rule', async () => {
    assert.equal(positives.length, PACK_IDS.size);
    for (const file of positives) {
      const id = PACK_IDS.get(file.replace(/\.positive\.json$/, ''));
      const result = await run([join(SAMPLES, file)]);
      assert.equal(result.code, EXIT_OK, `${file}: ${result.err}`);
      assert.ok(result.lines.length > 0, file);
      for (const line of result.lines) {
        assert.ok((line.matched as Json[]).some((hit) => hit.id === id), `${file}: ${line.eventID} matched ${JSON.stringify(line.matched)}`);
      }
    }
  });

  test('standard input, and a refused rule: its line on stderr, exit 1, the other rules still run', async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'bad.yml'), BAD_RULE);
    const stdin = Readable.from([readFileSync(STOP_LOGGING)]);
    const result = await run(['-'], { rules: [join(dir, 'bad.yml')] }, { stdin });
    assert.equal(result.code, EXIT_FAILURE);
    assert.equal(result.lines.length, 2);
    assert.ok(result.lines.every((line) => (line.matched as Json[]).length === 1));
    assert.match(result.err, /^cloudtrail-slack rules test: \/.*bad\.yml: detection\.selection: modifier "base64offset" in "eventName\|base64offset" is not supported$/m);
  });

  test('event data cannot drive the terminal: the table shows controls as spaces and bidi as [U+…]; JSON escapes them', async (t) => {
    const dir = tempDir(t);
    const name = 'Create\u001b[31mTags\u202egpj.exe\u0085';
    writeFileSync(join(dir, 'odd.jsonl'), `${JSON.stringify({ eventID: 'odd\u2028id', eventName: name, eventTime: '2026-11-30T10:00:00Z' })}\n`);
    const table = await run([join(dir, 'odd.jsonl')], { json: false });
    assert.doesNotMatch(table.out, /[\u001b\u202e\u0085\u2028]/);
    assert.match(table.out, /^odd id +Create \[31mTags\[U\+202E\]gpj\.exe /m);
    const json = await run([join(dir, 'odd.jsonl')]);
    assert.doesNotMatch(json.out, /[\u001b\u202e\u0085\u2028]/);
    assert.match(json.out, /\\u001b\[31mTags\\u202egpj\.exe\\u0085/);
    assert.deepEqual([json.lines[0]?.eventID, json.lines[0]?.eventName], ['odd\u2028id', name], 'the values themselves are exact');
  });
});
