import { spawn, spawnSync } from 'node:child_process';

/**
 * Debian's prometheus package (`promtool`, `prometheus`): .ci/run installs it. A test that needs it FAILS when it
 * is missing (never skips), with a message that says how to get it.
 */
export const INSTALL_HINT = "install Debian's prometheus package (apt-get install prometheus): it provides /usr/bin/promtool and /usr/bin/prometheus";

/** The binary's path; throws (failing the test) when it is not installed. */
export function requireBinary(name: 'promtool' | 'prometheus'): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.status === 0 ? found.stdout.trim() : '';
  if (path === '') throw new Error(`${name} is not installed: ${INSTALL_HINT}`);
  return path;
}

/** Runs `promtool <args>` with `stdin`; resolves to its exit code and output. */
export function runPromtool(args: string[], stdin = ''): Promise<{ code: number | null; out: string }> {
  const child = spawn(requireBinary('promtool'), args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  // A hung promtool must fail the test, not hang the run.
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  child.stdin.end(stdin);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, out });
    }),
  );
}

/** `promtool check metrics` reads the exposition on stdin: exit 0 and no complaint (it lints names and help too). */
export async function checkMetricsWithPromtool(text: string): Promise<void> {
  const { code, out } = await runPromtool(['check', 'metrics'], text);
  if (code !== 0 || out.trim() !== '') throw new Error(`promtool check metrics (exit ${code}):\n${out}`);
}
