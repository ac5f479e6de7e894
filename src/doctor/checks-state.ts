import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/types';
import { errnoOf } from '../lib/errors';
import { parseJournal } from '../state/journal';
import { parseLegacy } from '../state/legacy';
import { describeFileType, parseStateText } from '../state/state-file';
import { fail, ok, warn, type CheckResult } from './check';

/**
 * The state rows of `doctor`: the folder (exists or can be created, writable: a probe file of doctor's own name
 * written and removed, never a state file; its mode) and every state file of the configured profile (readable,
 * valid as the store would read it: src/state/ parsers; its mode). Nothing here changes a state file.
 */

export type StateFs = Pick<typeof fsp, 'stat' | 'readdir' | 'readFile' | 'writeFile' | 'rm' | 'mkdir'>;

/** More problem rows than this become one "and N more" row: a folder of broken files must not flood the table. */
const MAX_FILE_ROWS = 10;

/**
 * The `state folder` row, then (when the folder exists and is writable) `state files` and one row per file with a
 * problem. `now` (ms) judges offsets as the store would (a state file's offset may not be in the future). Never
 * throws; `fs` is node:fs/promises unless a test passes another.
 */
export async function checkStateFolder(config: Config, now: number, fs: StateFs = fsp): Promise<CheckResult[]> {
  const dir = config.stateDir;
  const name = 'state folder';
  let mode: number;
  try {
    const stat = await fs.stat(dir);
    if (!stat.isDirectory()) {
      return [fail(name, `${dir} is ${stat.isFile() ? 'a file' : describeFileType(stat)}, not a folder`, 'choose another folder with --state-dir (or stateDir in the config file)')];
    }
    mode = stat.mode;
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') return [fail(name, `cannot look at ${dir} (${errnoOf(error)})`, writableAdvice(dir))];
    return [await tryCreate(dir, config.stateProfile, fs)];
  }
  const probe = await writeProbe(dir, config.stateProfile, fs);
  if (probe !== undefined) return [fail(name, `${dir} is not writable (${probe})`, writableAdvice(dir))];
  const rows = [modeRow(name, dir, mode, 'chmod 700', `${dir} exists and is writable`)];
  return [...rows, ...(await checkStateFiles(config, now, fs))];
}

function writableAdvice(dir: string): string {
  return `make ${dir} writable by the user the daemon runs as (chown, chmod u+rwx), or choose another folder with --state-dir`;
}

/** A missing folder: the daemon creates it at start (mode 0700); create it here too, probe, and remove what was made. */
async function tryCreate(dir: string, profile: string, fs: StateFs): Promise<CheckResult> {
  const name = 'state folder';
  let created: string | undefined;
  try {
    created = await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const probe = await writeProbe(dir, profile, fs);
    if (probe !== undefined) return fail(name, `${dir} was created but is not writable (${probe})`, writableAdvice(dir));
    return ok(name, `${dir} does not exist yet; it can be created (tried, and removed again)`);
  } catch (error) {
    return fail(name, `${dir} does not exist and cannot be created (${errnoOf(error)})`, `create it for the user the daemon runs as (mkdir -m 700 ${dir}), or choose another folder with --state-dir`);
  } finally {
    if (created !== undefined) await fs.rm(created, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Writes and removes a probe file of its own (exclusive create: never over anything); the errno when it fails. */
async function writeProbe(dir: string, profile: string, fs: StateFs): Promise<string | undefined> {
  const probe = join(dir, `.${profile}.doctor-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await fs.writeFile(probe, 'cloudtrail-slack doctor probe\n', { flag: 'wx', mode: 0o600 });
  } catch (error) {
    return errnoOf(error);
  }
  await fs.rm(probe, { force: true }).catch(() => undefined);
  return undefined;
}

/** ✓, or ! when others on this machine may read (o+r) or write (o+w) it. */
function modeRow(name: string, path: string, mode: number, fix: string, detail: string): CheckResult {
  const octal = (mode & 0o777).toString(8).padStart(3, '0');
  const worldWritable = (mode & 0o002) !== 0;
  const worldReadable = (mode & 0o004) !== 0;
  if (!worldWritable && !worldReadable) return ok(name, `${detail} (mode ${octal})`);
  const what = worldWritable ? 'world-writable: anyone on this machine can change it' : 'world-readable: anyone on this machine can read it';
  return warn(name, `${detail}, but ${what} (mode ${octal})`, `${fix} ${path}`);
}

/** The profile's state files and journals (set-aside copies, `.corrupt-…` and `.legacy-…`, are not read). */
async function checkStateFiles(config: Config, now: number, fs: StateFs): Promise<CheckResult[]> {
  const dir = config.stateDir;
  const prefix = `.${config.stateProfile}.`;
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => n.startsWith(prefix) && (n.endsWith('.cloudtrail.state') || n.endsWith('.cloudtrail.state.journal')));
  } catch (error) {
    return [fail('state files', `cannot list ${dir} (${errnoOf(error)})`, writableAdvice(dir))];
  }
  if (names.length === 0) {
    return [ok('state files', `none yet for profile ${config.stateProfile}: each region starts ${config.initialLookbackMinutes} min back`)];
  }
  const files = await Promise.all(names.sort().map((file) => checkStateFile(join(dir, file), file, now, fs)));
  const problems = files.map((file) => file.row).filter((row) => row.status !== 'ok');
  // "Valid" counts every file the store reads as it is, a mode warning included; the row is as bad as its worst file.
  const detail = `${files.filter((file) => file.valid).length} of ${names.length} readable and valid`;
  const summary = problems.some((row) => row.status === 'fail')
    ? fail('state files', detail, 'see the rows below')
    : problems.length > 0 ? warn('state files', detail, 'see the rows below') : ok('state files', detail);
  const shown = problems.slice(0, MAX_FILE_ROWS);
  const more = problems.length - shown.length;
  return [
    summary,
    ...shown,
    ...(more > 0 ? [warn('state files', `and ${more} more with problems`, 'see the rows above; fix them the same way')] : []),
  ];
}

/** A file's row, and whether the store would read it as it is (`valid`: readable and parsed, whatever its mode). */
async function checkStateFile(path: string, file: string, now: number, fs: StateFs): Promise<{ row: CheckResult; valid: boolean }> {
  const name = `state file ${file}`;
  let bytes: Buffer;
  let mode: number;
  try {
    const stat = await fs.stat(path);
    // Reading a FIFO would block for ever: only regular files are read.
    if (!stat.isFile()) return { valid: false, row: fail(name, `${path} is ${describeFileType(stat)}, not a state file`, 'move it out of the state folder; the region then starts from the initial lookback') };
    mode = stat.mode;
    bytes = await fs.readFile(path);
  } catch (error) {
    return { valid: false, row: fail(name, `cannot read ${path} (${errnoOf(error)})`, 'make it readable and writable by the user the daemon runs as') };
  }
  const problem = file.endsWith('.journal') ? journalProblem(bytes) : stateProblem(bytes.toString('utf8'), now);
  if (problem !== undefined) return { valid: false, row: warn(name, problem.detail, problem.action) };
  return { valid: true, row: modeRow(name, path, mode, 'chmod 600', 'readable and valid') };
}

function stateProblem(text: string, now: number): { detail: string; action: string } | undefined {
  if (parseLegacy(text) !== undefined) return undefined; // the Ruby original's file: upgraded at the next start
  const parsed = parseStateText(text, now);
  if (typeof parsed !== 'string') return undefined;
  return {
    detail: `corrupt: ${parsed}; at start it is moved aside and its region restarts from the initial lookback`,
    action: 'restore it from a backup if events since its offset matter; otherwise let the daemon set it aside',
  };
}

function journalProblem(bytes: Buffer): { detail: string; action: string } | undefined {
  const parsed = parseJournal(bytes);
  if (parsed.corrupt !== undefined) {
    return {
      detail: `corrupt: ${parsed.corrupt}; at start it is moved aside (events it recorded may be posted again)`,
      action: 'nothing to repair by hand; expect a few repeated messages for that region',
    };
  }
  if (parsed.torn !== undefined) {
    return {
      detail: 'ends with an incomplete line (a crash while writing it); that line is cut off at start',
      action: 'nothing: the message it was recording was not acknowledged and is delivered again',
    };
  }
  return undefined;
}
