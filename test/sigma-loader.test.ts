import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadRulePaths, type RuleFileSystem } from '../src/rules/sigma';
import { MAX_FOLDER_DEPTH } from '../src/rules/sigma/loader';
import { ruleText } from './support/sigma';

const FIXTURE_RULES = join(__dirname, 'fixtures', 'sigma');
const rule = (id: string | undefined, extra = '') =>
  ruleText('sel:\n    eventName: StopLogging\ncondition: sel', `${id ? `id: ${id}\n` : ''}${extra}`);

/** An in-memory tree: a string is a file, an object a folder. */
type Tree = { [name: string]: string | Tree };
function memoryFs(root: Tree, withInodes = true): RuleFileSystem & { reads: string[] } {
  const inodes = new Map<string | Tree, number>();
  const inodeOf = (node: string | Tree) => {
    if (!inodes.has(node)) inodes.set(node, inodes.size + 1);
    return inodes.get(node)!;
  };
  const find = (path: string): string | Tree | undefined =>
    path.split('/').filter(Boolean).reduce<string | Tree | undefined>(
      (node, part) => (node !== undefined && typeof node === 'object' ? node[part] : undefined),
      root,
    );
  const reads: string[] = [];
  const enoent = () => Object.assign(new Error('no such file, with /secret/path'), { code: 'ENOENT' });
  return {
    reads,
    async readFile(path) {
      const node = find(path);
      if (typeof node !== 'string') throw enoent();
      reads.push(path);
      return node;
    },
    async readdir(path) {
      const node = find(path);
      if (node === undefined || typeof node === 'string') throw enoent();
      return Object.keys(node);
    },
    async stat(path) {
      const node = find(path);
      if (node === undefined) throw enoent();
      const ino = withInodes && typeof node === 'object' ? inodeOf(node) : undefined;
      return { isDirectory: () => typeof node === 'object', isFile: () => typeof node === 'string', dev: 1, ino };
    },
  };
}

describe('loadRulePaths', () => {
  test('loads the 32 hand-written rules of test/fixtures/sigma from disk', async () => {
    const { rules, errors } = await loadRulePaths([FIXTURE_RULES]);
    assert.deepEqual(errors, []);
    assert.equal(rules.length, 32);
    assert.ok(rules.every((r) => r.file.startsWith(FIXTURE_RULES) && r.file.endsWith('.yml')));
  });

  test('folders: .yml and .yaml files, subfolders, sorted by name; dotfiles and other files skipped', async () => {
    const fs = memoryFs({
      rules: {
        'b.yaml': rule('b'),
        'a.yml': rule('a'),
        'notes.md': 'not a rule',
        '.hidden.yml': rule('hidden'),
        sub: { 'c.YML': rule('c') },
      },
    });
    const { rules, errors } = await loadRulePaths(['/rules'], fs);
    assert.deepEqual(errors, []);
    assert.deepEqual(rules.map((r) => [r.id, r.file]), [
      ['a', '/rules/a.yml'],
      ['b', '/rules/b.yaml'],
      ['c', '/rules/sub/c.YML'],
    ]);
  });

  test('a file named directly is read whatever its extension; the same file twice is read once', async () => {
    const fs = memoryFs({ rules: { 'a.yml': rule('a') }, extra: { 'custom.rule': rule('custom') } });
    const { rules, errors } = await loadRulePaths(['/extra/custom.rule', '/rules', '/rules/a.yml'], fs);
    assert.deepEqual(errors, []);
    assert.deepEqual(rules.map((r) => r.id), ['custom', 'a']);
    assert.deepEqual(fs.reads, ['/extra/custom.rule', '/rules/a.yml']);
  });

  test('a refused rule is one error line; the other rules of the folder still load', async () => {
    const bad = ruleText('sel:\n    eventName|base64: x\ncondition: sel', 'id: bad\n');
    const fs = memoryFs({ rules: { '1.yml': rule('one'), '2.yml': bad, '3.yml': rule('three'), '4.yml': 'key: [' } });
    const { rules, errors } = await loadRulePaths(['/rules'], fs);
    assert.deepEqual(rules.map((r) => r.id), ['one', 'three']);
    assert.equal(errors.length, 2);
    assert.deepEqual(errors[0], { file: '/rules/2.yml', id: 'bad', error: 'detection.sel: modifier "base64" in "eventName|base64" is not supported' });
    assert.equal(errors[1]!.file, '/rules/4.yml');
    assert.match(errors[1]!.error, /^YAML error: /);
  });

  test('a duplicate id across files: the later file is refused, naming the first', async () => {
    const fs = memoryFs({ rules: { 'a.yml': rule('same-id'), 'b.yml': rule('same-id', 'level: high\n') } });
    const { rules, errors } = await loadRulePaths(['/rules'], fs);
    assert.deepEqual(rules.map((r) => r.file), ['/rules/a.yml']);
    assert.deepEqual(errors, [{ file: '/rules/b.yml', id: 'same-id', error: 'duplicate id "same-id" (already loaded from /rules/a.yml)' }]);
  });

  test('a rule without id gets its file name; later documents get #2, #3', async () => {
    const fs = memoryFs({ rules: { 'aws_root_login.yml': rule(undefined), 'multi.yaml': `${rule(undefined)}---\n${rule(undefined)}` } });
    const { rules, errors } = await loadRulePaths(['/rules'], fs);
    assert.deepEqual(errors, []);
    assert.deepEqual(rules.map((r) => r.id), ['aws_root_login', 'multi', 'multi#2']);
  });

  test('metadata: level defaults to medium; status, description, tags and falsepositives are kept', async () => {
    const extra = 'status: experimental\ndescription: Why it matters\ntags:\n    - attack.t1562.008\nfalsepositives: Planned maintenance\n';
    const fs = memoryFs({ 'plain.yml': rule('p'), 'full.yml': rule('f', `${extra}level: critical\n`) });
    const { rules } = await loadRulePaths(['/plain.yml', '/full.yml'], fs);
    const [plain, full] = rules;
    assert.equal(plain!.level, 'medium');
    assert.deepEqual([plain!.tags, plain!.falsepositives, plain!.status, plain!.description], [[], [], undefined, undefined]);
    assert.equal(plain!.title, 'Test rule');
    assert.deepEqual(
      [full!.level, full!.status, full!.description, full!.tags, full!.falsepositives],
      ['critical', 'experimental', 'Why it matters', ['attack.t1562.008'], ['Planned maintenance']],
    );
  });

  test('a missing path is one error line with the error code only', async () => {
    const { rules, errors } = await loadRulePaths(['/nowhere'], memoryFs({}));
    assert.deepEqual(rules, []);
    assert.deepEqual(errors, [{ file: '/nowhere', id: null, error: 'cannot read: ENOENT' }]);
  });

  test('a symlink back to a parent folder is read once (same inode)', async () => {
    const loop: Tree = { 'r.yml': rule('looped') };
    loop.again = loop; // what a symlink to a parent looks like through stat/readdir
    const { rules, errors } = await loadRulePaths(['/loop'], memoryFs({ loop }));
    assert.deepEqual(rules.map((r) => r.id), ['looped']);
    assert.deepEqual(errors, []);
  });

  test(`without inodes, folders nested deeper than ${MAX_FOLDER_DEPTH} levels are reported, not followed`, async () => {
    const loop: Tree = {};
    loop.again = loop;
    const { rules, errors } = await loadRulePaths(['/loop'], memoryFs({ loop }, false));
    assert.deepEqual(rules, []);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.error, /nested deeper than 16 levels; not read/);
  });
});
