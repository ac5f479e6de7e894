import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../lib/atomic-write';
import { setAside } from '../lib/set-aside';
import { isNotice } from './alert-kinds';

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
/** Bounds of a sane cooldown file: a few dozen kinds × regions in practice; our own reasons are a few hundred characters. */
const MAX_RECORDS = 10_000;
const MAX_REASON_CHARS = 20_000;
/** ECMAScript's Date range (±8.64e15 ms): beyond it `new Date(x).toISOString()` throws. */
const MAX_DATE_MS = 8.64e15;
const KIND = /^[a-z][a-z0-9-]{0,63}$/;
/** A region, or a target key `<account-id>/<region>` (src/targets/target.ts: many accounts' alerts are per target). */
const REGION = /^(?:\d{12}\/)?[a-z0-9][a-z0-9-]{0,63}$/;

/** `<stateDir>/.<profile>.alerts.json`, next to the per-region checkpoint files. */
export function alertStatePath(stateDir: string, profile: string): string {
  return path.join(stateDir, `.${profile}.alerts.json`);
}

export function alertKey(kind: string, region: string | undefined): string {
  return `${kind}:${region ?? '*'}`;
}

export interface ReadResult {
  state: AlertState;
  /** The file exists but could not be read, or as a whole is not a cooldown file: the caller warns, starts afresh. */
  problem?: 'corrupt' | 'unreadable';
  reason?: string;
  error?: unknown;
  /** Where a corrupt file was moved (`…corrupt-<stamp>`), when that worked. */
  movedTo?: string;
  /** Entries that failed their checks and were left out (the rest of the file is used). */
  dropped?: Array<{ key: string; reason: string }>;
}

/**
 * Reads the cooldown file and checks every field (kind and region names, ISO times, lengths, the key matching
 * kind and region). Missing → empty. A file that is not a cooldown file at all is moved aside (`…corrupt-<stamp>`)
 * so the next write starts afresh; a bad entry is dropped alone. Never throws.
 */
export async function readAlertState(file: string, now: number): Promise<ReadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: new Map() };
    return { state: new Map(), problem: 'unreadable', error };
  }
  const parsed = parseAlertState(text);
  if (typeof parsed === 'string') {
    const movedTo = await setAside(file, 'corrupt', now).catch(() => undefined);
    return { state: new Map(), problem: 'corrupt', reason: parsed, movedTo };
  }
  return parsed.dropped.length > 0 ? parsed : { state: parsed.state };
}

/** Writes the cooldown file with mode 0600: temp file, fsync, rename, so a reader never sees half a file. */
export async function writeAlertState(file: string, state: AlertState): Promise<void> {
  const body = JSON.stringify({ version: VERSION, alerts: Object.fromEntries(state) }, null, 2) + '\n';
  // A fatal error (or a config error) can come before the state store ever created the folder; without the
  // file the cooldown is lost and a restart loop mails again. Same mode as the state store's folder.
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(file, body);
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

/** The records, or why the file as a whole is unusable. */
function parseAlertState(text: string): { state: AlertState; dropped: Array<{ key: string; reason: string }> } | string {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (!isObject(data)) return 'not a JSON object';
  if (data.version !== VERSION) return `unsupported version ${JSON.stringify(data.version) ?? 'undefined'}`;
  if (!isObject(data.alerts)) return 'alerts is not an object';
  const entries = Object.entries(data.alerts);
  if (entries.length > MAX_RECORDS) return `more than ${MAX_RECORDS} alerts`;
  const state: AlertState = new Map();
  const dropped: Array<{ key: string; reason: string }> = [];
  for (const [key, value] of entries) {
    const record = parseRecord(key, value);
    if (typeof record === 'string') dropped.push({ key: key.slice(0, 100), reason: record });
    else state.set(key, record);
  }
  return { state, dropped };
}

function parseRecord(key: string, value: unknown): AlertRecord | string {
  if (!isObject(value)) return 'not an object';
  const { kind, region, lastSentAt, open, openedAt, reason, updatedAt } = value;
  if (typeof kind !== 'string' || !KIND.test(kind)) return 'kind is not an alert kind name';
  if (region !== undefined && (typeof region !== 'string' || !REGION.test(region))) return 'region is not a region name';
  if (key !== alertKey(kind, region)) return 'key does not match kind and region';
  if (!isTime(updatedAt)) return 'updatedAt is not a time';
  if (open !== undefined && typeof open !== 'boolean') return 'open is not true or false';
  for (const [name, iso] of [['lastSentAt', lastSentAt], ['openedAt', openedAt]] as const) {
    if (iso !== undefined && !isIsoTime(iso)) return `${name} is not an ISO time`;
  }
  if (reason !== undefined && (typeof reason !== 'string' || reason.length > MAX_REASON_CHARS)) return 'reason is not a short string';
  return {
    kind,
    region,
    lastSentAt: lastSentAt as string | undefined,
    // A notice never stays open (an older version kept some open): closed without a "recovered" email.
    open: open === true && !isNotice(kind),
    openedAt: openedAt as string | undefined,
    reason,
    updatedAt,
  };
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= MAX_DATE_MS;
}

function isIsoTime(value: unknown): boolean {
  return typeof value === 'string' && value.length <= 40 && isTime(Date.parse(value));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
