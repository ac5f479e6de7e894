import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The repository root (test/support/ is two levels below it). */
export const ROOT = join(__dirname, '..', '..');

/** How to run the CLI: from source through tsx (an absolute loader URL: the child's cwd is a temp folder), or
 * the compiled bin/cloudtrail-slack. */
export function cliArgv(kind: 'tsx' | 'dist' = 'tsx'): string[] {
  if (kind === 'dist') return [join(ROOT, 'bin', 'cloudtrail-slack')];
  return ['--import', pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, join(ROOT, 'src', 'cli.ts')];
}

export interface TestContextLike {
  after(fn: () => unknown): void;
}

/** A temp folder removed after the test. */
export function tempDir(t: TestContextLike, prefix = 'cts-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** 127.0.0.1 port 1: nothing listens there, so a connection is refused at once. */
export const REFUSED_ENDPOINT = 'http://127.0.0.1:1';

/**
 * The environment of a daemon under test: offline (dummy keys, no instance metadata, no ~/.aws files), quiet
 * (the AWS SDK's Node-version warning would land on stderr), with `extra` on top. Nothing of the test runner's own
 * AWS or Slack settings leaks in.
 */
export function daemonEnv(dir: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(AWS_|SLACK_|SMTP_|ALERT_EMAIL_|CLOUDTRAIL_SLACK_|PM2_)/.test(key)) env[key] = value;
  }
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret-key',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // STS (who am I), Account and EC2 (region discovery) stay on this machine: a port nothing listens on refuses
    // at once (the daemon warns and runs on); a test that wants answers passes its simulators' URLs.
    AWS_ENDPOINT_URL_STS: REFUSED_ENDPOINT,
    AWS_ENDPOINT_URL_ACCOUNT: REFUSED_ENDPOINT,
    AWS_ENDPOINT_URL_EC2: REFUSED_ENDPOINT,
  });
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export interface CliRun {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (128 + n for a signal death, like a shell). */
  exited: Promise<number>;
}

export interface CliOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  kind?: 'tsx' | 'dist';
  /** Give the child an IPC channel, as pm2 does. */
  ipc?: boolean;
}

/** Starts the CLI; the child is SIGKILLed after the test if it is still running. */
export function startCli(
  t: TestContextLike,
  args: string[],
  options: CliOptions,
): CliRun {
  const child = spawn(process.execPath, [...cliArgv(options.kind), ...args], {
    cwd: options.cwd,
    env: options.env,
    // ipc: what pm2 gives its apps
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, pid: child.pid ?? 0, stdout: () => out, stderr: () => err, exited };
}

/** Runs the CLI to its end. */
export async function runCliToEnd(
  t: TestContextLike,
  args: string[],
  options: CliOptions,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = startCli(t, args, options);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const numbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 };
  return signal === null ? 0 : (numbers[signal] ?? 0);
}

/**
 * Polls `condition` until it holds (returns the truthy value). The timeout is a safety net that turns a hang into
 * a failure naming `what`; the test waits for the condition, never for a fixed time.
 */
export async function waitFor<T>(what: string, condition: () => T | Promise<T>, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Alive and not a zombie (a detached daemon's parent is gone; init may reap it late). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S …": the state follows the last ')' (comm may contain spaces or parentheses).
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Kills `pid` if it still runs (for t.after on detached daemons, which startCli does not own). */
export function killIfRunning(pid: number | undefined): void {
  if (pid !== undefined && pid > 0 && isRunning(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

export function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The JSON lines of a log file (other lines, such as Node warnings on a redirected stderr, are skipped). */
export function readLogLines(file: string): Array<Record<string, unknown>> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export function logMessages(file: string): string[] {
  return readLogLines(file).map((line) => String(line.msg));
}

/** `promise`, or a failure naming `what` after `timeoutMs` (a safety net: a hang becomes a readable failure). */
export async function within<T>(what: string, promise: Promise<T>, timeoutMs = 15_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
