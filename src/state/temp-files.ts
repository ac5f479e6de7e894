import { readFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { TEMP_NAME } from '../lib/atomic-write';
import { errnoOf } from '../lib/errors';
import type { Logger } from '../logging/logger';

/**
 * The temporary files this daemon creates in its state folder, and that only a crash (kill -9, power loss) can
 * leave behind: `<target>.tmp-<pid>-<n>` of an atomic write (lib/atomic-write.ts) of a region's state file, the
 * alert cooldown file or the daily heartbeat's state file, the old cooldown temp name `<cooldown>.<12 hex>.tmp` (no pid), and the start-up probe
 * `.<profile>.probe-<pid>`. Exact names only: nothing else in the folder is ever touched.
 */
const STATE_TARGET = /^\.(?<profile>.+)\.[a-z0-9][a-z0-9-]*\.cloudtrail\.state$/;
const COOLDOWN_TARGET = /^\.(?<profile>.+)\.alerts\.json$/;
/** The daily heartbeat's last-sent day (src/monitors/heartbeat-daily.ts). */
const HEARTBEAT_TARGET = /^\.(?<profile>.+)\.heartbeat\.state$/;
const OLD_COOLDOWN_TEMP = /^\.(?<profile>.+)\.alerts\.json\.[0-9a-f]{12}\.tmp$/;
const PROBE = /^\.(?<profile>.+)\.probe-(?<pid>[1-9]\d{0,9})$/;

/**
 * A writer holds its temp file for milliseconds. A file this old whose pid is not alive here is safe to remove
 * even if it is another profile's: a daemon in another pid namespace (a container sharing the folder) would have
 * renamed it long ago. Files without a pid wait this long too.
 */
export const FOREIGN_MIN_AGE_MS = 10 * 60_000;

export interface TempCleanupOptions {
  dir: string;
  /** Our state profile: its files need no minimum age (a live writer of them would be a second instance). */
  profile: string;
  /** Our pid: a file with it is from an earlier process with the same pid (containers reuse pid 1), since we
   * have not written anything yet. */
  pid: number;
  /** Wall-clock ms, to age files by their mtime (the kernel's real time, whatever clock the daemon runs on). */
  now?: number;
  log: Logger;
  /** Whether `pid` is a live process here; default: signal 0, /proc for zombies. */
  isAlive?(pid: number): boolean;
  /** When `pid` started (ms epoch), if known; default: /proc (Linux). A process younger than the file did not write it. */
  startedAt?(pid: number): number | undefined;
}

/**
 * Removes the leftover temporary files of writers that are gone: a pid that is dead, ours, or reused by a process
 * that started after the file was written. A live process's file is never touched. Call once at start, before
 * anything of this process writes in `dir`. Returns the names removed; failures are logged, never thrown.
 */
export async function removeStaleTempFiles(options: TempCleanupOptions): Promise<string[]> {
  const { dir, log } = options;
  const isAlive = options.isAlive ?? isProcessAlive;
  const startedAt = options.startedAt ?? processStartTime;
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (error) {
    log.warn({ dir, code: errnoOf(error) }, 'cannot list the state folder to remove leftover temporary files');
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const temp = parseTempName(name);
    if (!temp) continue;
    const file = path.join(dir, name);
    try {
      const stat = await fsp.lstat(file);
      if (!stat.isFile()) continue;
      const ageMs = (options.now ?? Date.now()) - stat.mtimeMs;
      const foreign = temp.profile !== options.profile || temp.pid === undefined;
      if (foreign && ageMs < FOREIGN_MIN_AGE_MS) continue;
      if (temp.pid !== undefined && temp.pid !== options.pid && isAlive(temp.pid)) {
        const started = startedAt(temp.pid);
        // Two seconds of slack: the boot time is in whole seconds, and some file systems keep coarse mtimes.
        if (started === undefined || started <= stat.mtimeMs + 2000) continue;
      }
      await fsp.rm(file);
      removed.push(name);
      log.info({ file, pid: temp.pid ?? null }, 'removed a leftover temporary file');
    } catch (error) {
      if (errnoOf(error) !== 'ENOENT') log.warn({ file, code: errnoOf(error) }, 'cannot remove a leftover temporary file');
    }
  }
  return removed;
}

/** The profile (and writer's pid) of one of our temporary files, or undefined for any other name. */
export function parseTempName(name: string): { profile: string; pid: number | undefined } | undefined {
  const temp = TEMP_NAME.exec(name)?.groups;
  if (temp) {
    const target = temp['target'] ?? '';
    const profile = (STATE_TARGET.exec(target) ?? COOLDOWN_TARGET.exec(target) ?? HEARTBEAT_TARGET.exec(target))?.groups?.['profile'];
    return profile === undefined ? undefined : { profile, pid: Number(temp['pid']) };
  }
  const probe = PROBE.exec(name)?.groups;
  if (probe) return { profile: probe['profile'] ?? '', pid: Number(probe['pid']) };
  const old = OLD_COOLDOWN_TEMP.exec(name)?.groups;
  return old ? { profile: old['profile'] ?? '', pid: undefined } : undefined;
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return errnoOf(error) === 'EPERM'; // exists, another user's
  }
  return readProcStat(pid)?.state !== 'Z'; // a zombie writes nothing
}

/** Linux: /proc/<pid>/stat's start time (clock ticks after boot, USER_HZ = 100) plus the boot time. */
function processStartTime(pid: number): number | undefined {
  const stat = readProcStat(pid);
  const boot = bootTimeMs();
  return stat === undefined || boot === undefined ? undefined : boot + stat.startTicks * 10;
}

function readProcStat(pid: number): { state: string; startTicks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) S ppid …": comm may hold spaces and parentheses, so split after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]); // field 22 of the whole line
    return Number.isFinite(startTicks) ? { state: fields[0] ?? '', startTicks } : undefined;
  } catch {
    return undefined;
  }
}

let bootTime: number | undefined;
function bootTimeMs(): number | undefined {
  if (bootTime !== undefined) return bootTime;
  try {
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
    bootTime = btime === undefined ? undefined : Number(btime) * 1000;
  } catch {
    bootTime = undefined;
  }
  return bootTime;
}
