import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

// DESIGN.md "Next shape": errors are classified once (src/errors/classify.ts). Code that acts on an error asks
// classifyError; only the classifier reads an AWS error's name, code or status (classifyAwsError/describeAwsError).

const SRC = join(__dirname, '..', 'src');
/** Where the raw AWS helpers may still be used: their definition and the classifier. */
const ALLOWED = new Set(['cloudtrail/client.ts', 'errors/classify.ts']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []);
}

test('only the classifier interprets raw AWS errors: page retries, the trail monitor, who-am-I, region discovery and doctor ask classifyError', () => {
  const users = sourceFiles(SRC)
    .map((file) => relative(SRC, file))
    .filter((file) => /\b(classifyAwsError|describeAwsError)\(/.test(readFileSync(join(SRC, file), 'utf8').replace(/^\s*(\*|\/\/).*$/gm, '')));
  const stray = users.filter((file) => !ALLOWED.has(file));
  assert.deepEqual(stray, [], 'these interpret raw AWS errors themselves: use classifyError (src/errors/classify.ts)');
});
