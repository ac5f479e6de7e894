import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { DaemonError, errnoOf } from '../lib/errors';
import { describePathProblem } from '../lib/path-problem';
import type { Logger } from '../logging/logger';

/** Another live process holds the pid file, or the pid file cannot be created. */
export class PidFileError extends DaemonError {
  override name = 'PidFileError';
  constructor(
    message: string,
    readonly path: string,
    /** The live holder's pid, when that is the reason. */
    readonly holderPid?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface PidFileDeps {
  pid: number;
  /** Default: signal 0 succeeds or fails with EPERM (alive, but someone else's). */
  isAlive?: (pid: number) => boolean;
  log: Logger;
}

export interface PidFileHandle {
  /** Removes the file if it still holds our pid. Idempotent; never throws (logs at warn). */
  release(): Promise<void>;
}

/** Linux's largest possible pid_max (2^22); anything outside 1..this is not a pid we could signal. */
const MAX_PID = 4_194_304;

/**
 * Creates the pid file exclusively with our pid, as the Ruby original did: refuse while a live process holds
 * it, replace a stale one (dead pid, garbage, empty, or our own pid left by an earlier process, which happens
 * in containers where we are always pid 1).
 */
export async function acquirePidFile(file: string, deps: PidFileDeps): Promise<PidFileHandle> {
  const { pid, log } = deps;
  const isAlive = deps.isAlive ?? isProcessAlive;
  await fsp.mkdir(path.dirname(file), { recursive: true }).catch((error: unknown) => {
    throw cannotCreate(file, error);
  });

  // One retry: a second process may replace the same stale file between our unlink and our create.
  for (let attempt = 0; ; attempt += 1) {
    try {
      await fsp.writeFile(file, `${pid}\n`, { flag: 'wx', mode: 0o644 });
      log.info({ path: file, filePid: pid }, 'pid file created');
      return { release: createRelease(file, pid, log) };
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw cannotCreate(file, error);
    }

    // undefined: it vanished between our create and our read; the next round just creates it.
    const content = await readIfExists(file);
    const holder = content === undefined ? undefined : parsePid(content);
    if (holder !== undefined && holder !== pid && isAlive(holder)) {
      throw new PidFileError(
        `already running (pid ${holder}): ${file}; stop it first or remove the pid file if it is stale`,
        file,
        holder,
      );
    }
    if (attempt >= 1) {
      throw new PidFileError(
        `cannot replace stale pid file ${file}: another process keeps recreating it; check for a second instance`,
        file,
      );
    }
    if (content === undefined) continue;
    log.warn({ path: file, content: content.slice(0, 40) }, 'replacing stale pid file');
    // Unlink only what we judged stale: if it changed meanwhile, the next round judges the new content.
    if ((await readIfExists(file)) === content) {
      await fsp.unlink(file).catch((error: unknown) => {
        if (errnoOf(error) !== 'ENOENT') throw cannotCreate(file, error);
      });
    }
  }

  async function readIfExists(target: string): Promise<string | undefined> {
    try {
      return await fsp.readFile(target, 'utf8');
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return undefined;
      throw cannotCreate(target, error);
    }
  }
}

/** For `process.on('exit')`, where nothing async runs: removes the file if it holds `pid`. Never throws. */
export function releasePidFileSync(file: string, pid: number): boolean {
  try {
    if (parsePid(fs.readFileSync(file, 'utf8')) !== pid) return false;
    fs.unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}

function createRelease(file: string, pid: number, log: Logger): () => Promise<void> {
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    try {
      const holder = parsePid(await fsp.readFile(file, 'utf8'));
      if (holder !== pid) {
        log.warn({ path: file, filePid: pid, holder }, 'pid file now holds another pid; left in place');
        return;
      }
      await fsp.unlink(file);
      log.info({ path: file }, 'pid file removed');
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return;
      log.warn({ err: error, path: file }, 'could not remove pid file');
    }
  };
}

function parsePid(content: string): number | undefined {
  const match = /^\s*(\d{1,10})\s*$/.exec(content);
  if (!match) return undefined;
  const value = Number(match[1]);
  // 0 would signal our own process group; never treat it as a holder.
  return value >= 1 && value <= MAX_PID ? value : undefined;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user. Only ESRCH proves it is gone.
    return errnoOf(error) !== 'ESRCH';
  }
}

function cannotCreate(file: string, error: unknown): PidFileError {
  if (error instanceof PidFileError) return error;
  const problem = describePathProblem(file, error, 'file');
  const action = problem.wrongKind
    ? 'give -p a file path whose folders are folders'
    : `check that ${path.dirname(file)} exists and is writable by this user`;
  return new PidFileError(`cannot create pid file ${file}: ${problem.text}; ${action}`, file, undefined, { cause: error });
}

