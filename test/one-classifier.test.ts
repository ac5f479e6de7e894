import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

// DESIGN.md "Next shape": errors are classified once (src/errors/classify.ts). Code that acts on an error asks
// classifyError; only the classifier reads an AWS error's name, code or status (classifyAwsError/describeAwsError).

const SRC = join(__dirname, '..', 'src');
/** Where the raw AWS helpers may still be used: their definition and the classifier. */
const ALLOWED = new Set(['cloudtrail/client.ts', 'errors/classify.ts']);
/**
 * Not yet routed through classifyError (left for a follow-up, see the issue 9 polish report): their advice and
 * retry rules depend on the raw kind of STS, Account and EC2 answers. Listed so that no new file joins them.
 */
const NOT_YET = new Set(['doctor/checks-aws.ts', 'aws/regions.ts', 'aws/learn-identity.ts']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : []);
}

test('only the classifier interprets raw AWS errors: the poller\'s page retries and the trail monitor ask classifyError', () => {
  const users = sourceFiles(SRC)
    .map((file) => relative(SRC, file))
    .filter((file) => /\b(classifyAwsError|describeAwsError)\(/.test(readFileSync(join(SRC, file), 'utf8').replace(/^\s*(\*|\/\/).*$/gm, '')));
  const stray = users.filter((file) => !ALLOWED.has(file) && !NOT_YET.has(file));
  assert.deepEqual(stray, [], 'these interpret raw AWS errors themselves: use classifyError (src/errors/classify.ts)');
});
