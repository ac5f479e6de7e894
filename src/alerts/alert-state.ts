import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../lib/atomic-write';
import path from 'node:path';

/** What is remembered about one (kind, region) between alerts, and between restarts. */
export interface AlertRecord {
  kind: string;
  region: string | undefined;
  /** ISO time of the last alert email (or the one being sent); undefined → none within memory. */
  lastSentAt: string | undefined;
  /** An alert email went out and no "recovered" email has followed yet. */
  open: boolean;
  /** ISO time the open condition was first emailed. */
  openedAt: string | undefined;
  /** The (scrubbed) reason of the last alert email, quoted in the "recovered" email. */
  reason: string | undefined;
  /** Epoch ms of the last change; when two copies disagree, the newer one wins. */
  updatedAt: number;
}

export type AlertState = Map<string, AlertRecord>;

const VERSION = 1;

/** `<stateDir>/.<profile>.alerts.json`, next to the per-region checkpoint files. */
export function alertStatePath(stateDir: string, profile: string): string {
  return path.join(stateDir, `.${profile}.alerts.json`);
}

export function alertKey(kind: string, region: string | undefined): string {
  return `${kind}:${region ?? '*'}`;
}

export type ReadResult =
  | { state: AlertState }
  /** The file exists but could not be read or parsed: the caller warns and starts afresh. */
  | { state: AlertState; problem: 'corrupt' | 'unreadable'; error?: unknown };

/** Reads the cooldown file. Missing → empty; never throws. */
export async function readAlertState(file: string): Promise<ReadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: new Map() };
    return { state: new Map(), problem: 'unreadable', error };
  }
  const state = parseAlertState(text);
  return state ? { state } : { state: new Map(), problem: 'corrupt' };
}

/** Writes the cooldown file with mode 0600: temp file, fsync, rename, so a reader never sees half a file. */
export async function writeAlertState(file: string, state: AlertState): Promise<void> {
  const body = JSON.stringify({ version: VERSION, alerts: Object.fromEntries(state) }, null, 2) + '\n';
  // A fatal error (or a config error) can come before the state store ever created the folder; without the
  // file the cooldown is lost and a restart loop mails again. Same mode as the state store's folder.
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, body, { tempName: `${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp` });
}

/** Per key, the record changed last; on a tie `mine` (this process's memory) wins. */
export function mergeAlertStates(theirs: AlertState, mine: AlertState): AlertState {
  const merged: AlertState = new Map(theirs);
  for (const [key, record] of mine) {
    const other = merged.get(key);
    if (!other || record.updatedAt >= other.updatedAt) merged.set(key, record);
  }
  return merged;
}

function parseAlertState(text: string): AlertState | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(data) || data.version !== VERSION || !isObject(data.alerts)) return undefined;
  const state: AlertState = new Map();
  for (const [key, value] of Object.entries(data.alerts)) {
    if (!isObject(value) || typeof value.kind !== 'string' || typeof value.updatedAt !== 'number') continue;
    state.set(key, {
      kind: value.kind,
      region: optionalString(value.region),
      lastSentAt: optionalString(value.lastSentAt),
      open: value.open === true,
      openedAt: optionalString(value.openedAt),
      reason: optionalString(value.reason),
      updatedAt: value.updatedAt,
    });
  }
  return state;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
