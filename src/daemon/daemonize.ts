import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { EXIT_FAILURE, EXIT_OK } from '../lib/errors';
import { startLongTimer } from '../lib/timers';
import { cannotOpenLog } from '../logging/log-output';

/**
 * The -d protocol over the IPC channel: the child sends READY once it runs (pid file written, signals handled;
 * pm2's wait_ready uses the same word), and, before that, each line it writes on stderr, so the parent can print
 * why it failed to start. After READY the parent disconnects and exits 0.
 */
export const READY = 'ready';
const STDERR_LINE = 'cloudtrail-slack:stderr';

/** How long the parent waits for READY; a healthy start takes well under a second (a few with tsx). */
const DEFAULT_STARTUP_TIMEOUT_MS = 30_000;

/** The child side: `process` in production. */
export interface ParentLink {
  connected?: boolean;
  send?(message: unknown, sendHandle?: undefined, options?: undefined, callback?: (error: Error | null) => void): boolean;
}

/** Sends `message` to the parent that waits for us, if any (the -d parent, or pm2). Never throws. */
export function tellParent(link: ParentLink, message: unknown): void {
  if (!link.connected || !link.send) return;
  try {
    // The callback swallows a channel that closed meanwhile (the parent gave up).
    link.send(message, undefined, undefined, () => undefined);
  } catch {
    // same: nothing to tell anyone
  }
}

/** What the -d child writes on stderr also reaches a parent still waiting for READY. */
export function forwardStderrLine(link: ParentLink, line: string): void {
  tellParent(link, { type: STDERR_LINE, line });
}

export interface DaemonizeOptions {
  /** node, and its options (`--import tsx` when run from source), and the script: how we were started. */
  execPath: string;
  execArgv: string[];
  script: string;
  /** The child's arguments: ours minus -d, paths absolute (toChildArgs). */
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The child's stdout and stderr go here (appended); without it, nowhere. */
  logFile: string | undefined;
  writeErr(line: string): void;
  startupTimeoutMs?: number;
}

/**
 * Re-executes us as a detached child in its own session, then waits until it reports READY (→ 0) or dies during
 * startup (→ its exit code, with its reason printed). Throws ConfigError when the log file cannot be opened.
 */
export async function daemonize(options: DaemonizeOptions): Promise<number> {
  const { writeErr, logFile } = options;
  const output = logFile === undefined ? 'ignore' : openForAppend(logFile);
  if (logFile === undefined) {
    writeErr('cloudtrail-slack: --daemonize without --log: the daemon\'s logs are discarded (add -l <file> to keep them)\n');
  }
  const child = spawn(options.execPath, [...options.execArgv, options.script, ...options.args], {
    cwd: options.cwd,
    env: options.env,
    // detached: setsid(), so the terminal's hangup and Ctrl-C never reach the daemon (the double fork's purpose).
    detached: true,
    stdio: ['ignore', output, output, 'ipc'],
  });
  if (typeof output === 'number') closeSync(output); // the child has its own copy

  return new Promise<number>((resolve) => {
    const lines: string[] = [];
    let settled = false;
    const finish = (code: number, message?: string) => {
      if (settled) return;
      settled = true;
      cancelTimer();
      if (message !== undefined) writeErr(message);
      if (child.connected) child.disconnect();
      child.unref();
      resolve(code);
    };
    const timeoutMs = options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS;
    const cancelTimer = startLongTimer(timeoutMs, () => {
      child.kill('SIGTERM');
      finish(EXIT_FAILURE, `cloudtrail-slack: the background process did not report ready within ${timeoutMs / 1000} s; stopped it${seeLog(logFile)}\n`);
    });
    child.on('message', (message: unknown) => {
      if (message === READY) {
        finish(EXIT_OK, `cloudtrail-slack: running in the background as pid ${child.pid}${logFile ? `, logging to ${logFile}` : ''}\n`);
      } else if (isStderrLine(message)) {
        lines.push(message.line);
      }
    });
    child.on('error', (error) => finish(EXIT_FAILURE, `cloudtrail-slack: cannot start the background process: ${error.message}\n`));
    // 'close', not 'exit': it comes after the IPC channel closed, so every line the child sent has arrived.
    child.on('close', (code, signal) => {
      const reason = lines.length > 0 ? lines.join('') : `cloudtrail-slack: the background process exited during startup (${code ?? signal})${seeLog(logFile)}\n`;
      finish(code === null || code === 0 ? EXIT_FAILURE : code, reason);
    });
  });
}

function openForAppend(file: string): number {
  try {
    mkdirSync(dirname(file), { recursive: true });
    return openSync(file, 'a');
  } catch (error) {
    throw cannotOpenLog(file, error);
  }
}

function seeLog(logFile: string | undefined): string {
  return logFile === undefined ? '; run it without -d to see why' : `; see ${logFile}`;
}

function isStderrLine(message: unknown): message is { type: string; line: string } {
  const m = message as { type?: unknown; line?: unknown } | null;
  return typeof m === 'object' && m !== null && m.type === STDERR_LINE && typeof m.line === 'string';
}
