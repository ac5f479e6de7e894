import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fromLookupEvent, fromRecord } from '../events/parse';
import type { CloudTrailRecord, TrailEvent } from '../events/types';
import { jsonErrorPosition, jsonErrorReason } from '../lib/json-error';
import { neutraliseControls } from '../slack/escape';

/**
 * Reading CloudTrail events from files, in the three shapes people have at hand:
 * - a log file as CloudTrail writes it to S3: `{"Records": [...]}`, gzipped (`.json.gz`) or not;
 * - JSON lines, one record per line (also one S3 file per line, as `zcat *.json.gz` gives);
 * - the AWS CLI's `lookup-events` output: `{"Events": [{EventId, EventTime, CloudTrailEvent: "<json>", …}]}`,
 *   EventTime as an ISO string or epoch seconds.
 * Gzip is recognised by its magic bytes, not the name. Nothing here throws on bad input: each defect becomes a
 * problem naming the file and the line or record index, and every good record still goes through.
 * Only regular files are read (a FIFO or a device would block or never end), and at most MAX_FILE_BYTES of one,
 * on disk and again once gunzipped, so a gzip bomb or a huge file is one problem, not an exhausted heap.
 */

/** The most one file may hold, on disk and once decompressed (a CloudTrail S3 log file is a few MB at most). */
export const MAX_FILE_BYTES = 256 * 1024 * 1024;

export interface ReadOptions {
  /** Bytes one file may hold, on disk and once decompressed; default MAX_FILE_BYTES. */
  maxBytes?: number;
}

export interface ReplayProblem {
  file: string;
  /** `line 7`, `Records[3]`, `Events[0]`, or undefined for the whole file. */
  where?: string;
  message: string;
  /** How many problems this entry stands for (the "and N more" line); default 1. */
  count?: number;
}

export interface ReadResult {
  events: TrailEvent[];
  problems: ReplayProblem[];
  /** Records found, good or bad. */
  records: number;
}

/** A broken 10,000-line file must not print 10,000 lines: the rest are counted in one more. */
const MAX_PROBLEMS_PER_FILE = 20;
const GZIP_MAGIC = [0x1f, 0x8b];
const MiB = 1024 * 1024;
const SPLIT_ADVICE = 'split it into smaller files (e.g. split -l 100000) and replay those';

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => value !== null && typeof value === 'object' && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** `file: line 3: not valid JSON (…)`: one line, without control or bidi characters from the file. */
export function formatProblem(problem: ReplayProblem): string {
  const where = problem.where === undefined ? '' : `${problem.where}: `;
  return neutraliseControls(`${problem.file}: ${where}${problem.message}`);
}

/**
 * Reads one file (name as the user gave it, for messages; path to open). Never throws: anything that goes wrong
 * with this file, memory limits included, is this file's one problem.
 */
export function readEventFile(name: string, path = name, options: ReadOptions = {}): ReadResult {
  const maxBytes = options.maxBytes ?? MAX_FILE_BYTES;
  const problem = (message: string): ReadResult => ({ events: [], records: 0, problems: [{ file: name, message }] });
  let bytes: Buffer;
  try {
    // Stat before opening: opening a FIFO waits for a writer, reading a device may never end.
    const refused = refusal(statSync(path), maxBytes, name);
    if (refused !== undefined) return problem(refused);
    const read = readBounded(path, maxBytes, name);
    if (typeof read === 'string') return problem(read);
    bytes = read;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return problem(code === 'ENOENT' ? 'not found' : `cannot be read (${code ?? errorText(error)})`);
  }
  return readEventBytes(name, bytes, options);
}

/**
 * Reads one input's bytes (a file's, or stdin's): gunzipped when they start with gzip's magic, then parsed as any
 * of the three shapes. Never throws.
 */
export function readEventBytes(name: string, data: Buffer, options: ReadOptions = {}): ReadResult {
  const maxBytes = options.maxBytes ?? MAX_FILE_BYTES;
  const problem = (message: string): ReadResult => ({ events: [], records: 0, problems: [{ file: name, message }] });
  let bytes = data;
  if (bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: maxBytes });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        return problem(`decompresses to more than ${size(maxBytes)}, the most replay reads from one file: gunzip it and ${SPLIT_ADVICE}`);
      }
      return problem(`not valid gzip data (${errorText(error)})`);
    }
  }
  try {
    return parseEventText(name, bytes.toString('utf8'));
  } catch (error) {
    // Out of memory for strings or objects (RangeError): this file's problem, not the run's.
    return problem(`could not be processed (${errorText(error)}): ${SPLIT_ADVICE}`);
  }
}

/** Why a file with these stats is not read, or undefined when it may be. */
function refusal(stats: Stats, maxBytes: number, name: string): string | undefined {
  if (stats.isDirectory()) return 'is a folder';
  if (!stats.isFile()) {
    const kind = stats.isFIFO() ? 'a FIFO' : stats.isSocket() ? 'a socket' : stats.isCharacterDevice() || stats.isBlockDevice() ? 'a device' : 'special';
    return `is not a regular file (${kind}): to read it, pipe it in: cloudtrail-slack replay - < ${name}`;
  }
  if (stats.size > maxBytes) return `is ${size(stats.size)}, more than the ${size(maxBytes)} replay reads from one file: ${SPLIT_ADVICE}`;
  return undefined;
}

/**
 * The file's bytes, reading at most maxBytes + 1 whatever its size becomes after the stat, or why not.
 * O_NONBLOCK: should the path have become a FIFO since the stat, opening it must not wait for a writer.
 */
function readBounded(path: string, maxBytes: number, name: string): Buffer | string {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stats = fstatSync(fd);
    const refused = refusal(stats, maxBytes, name);
    if (refused !== undefined) return refused;
    let buffer = Buffer.allocUnsafe(stats.size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        // Grown since the stat (a log still being written): keep reading, up to the limit.
        if (length > maxBytes) return `grew past ${size(maxBytes)} while being read, the most replay reads from one file: ${SPLIT_ADVICE}`;
        const bigger = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(2 * length, 64 * 1024)));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) return buffer.subarray(0, length);
      length += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** `1.5 MiB` or `512 bytes`, for messages about limits. */
export function size(bytes: number): string {
  return bytes >= MiB ? `${Math.round((bytes / MiB) * 10) / 10} MiB` : `${bytes} bytes`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Parses a file's text (any of the three shapes). Pure. */
export function parseEventText(file: string, text: string): ReadResult {
  const result: ReadResult = { events: [], problems: [], records: 0 };
  const body = text.replace(/^\uFEFF/, '');
  const lines = body.split(/\r?\n/);
  const firstLine = lines.find((line) => line.trim() !== '');
  if (firstLine === undefined) return withProblem(result, file, undefined, 'empty file: no CloudTrail records');
  const whole = tryParse(body);
  if (whole.ok) {
    readDocument(whole.value, file, '', result);
  } else if (lines.filter((line) => line.trim() !== '').length > 1 && tryParse(firstLine).ok) {
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const parsed = tryParse(line);
      if (parsed.ok) readDocument(parsed.value, file, `line ${i + 1}`, result);
      else addProblem(result, file, `line ${i + 1}`, `not valid JSON (${jsonErrorReason(parsed.error)})`);
    });
  } else {
    addProblem(result, file, undefined, `not valid JSON (${jsonErrorReason(whole.error)} ${jsonErrorPosition(body)})`);
  }
  const hidden = result.problems.length - MAX_PROBLEMS_PER_FILE;
  if (hidden > 0) {
    result.problems.splice(MAX_PROBLEMS_PER_FILE, hidden, { file, message: `and ${hidden} more problems in this file`, count: hidden });
  }
  return result;
}

/** One parsed JSON value: a log file, a lookup-events dump, an array of records, or one record. */
function readDocument(value: unknown, file: string, where: string, result: ReadResult): void {
  const at = (suffix: string) => (where === '' ? suffix : `${where} ${suffix}`);
  if (Array.isArray(value)) return value.forEach((item, i) => readRecord(item, file, at(`[${i}]`), result));
  if (!isObject(value)) return addProblem(result, file, where || undefined, 'not a JSON object');
  if ('Records' in value) {
    if (!Array.isArray(value.Records)) return addProblem(result, file, where || undefined, 'Records is not an array');
    return value.Records.forEach((item, i) => readRecord(item, file, at(`Records[${i}]`), result));
  }
  if ('Events' in value) {
    if (!Array.isArray(value.Events)) return addProblem(result, file, where || undefined, 'Events is not an array');
    return value.Events.forEach((item, i) => readLookupEvent(item, file, at(`Events[${i}]`), result));
  }
  if ('eventID' in value || 'eventName' in value) return readRecord(value, file, where || 'record', result);
  addProblem(result, file, where || undefined, 'not CloudTrail data: expected a Records array (log file), an Events array (lookup-events output) or one record per line');
}

function readRecord(value: unknown, file: string, where: string, result: ReadResult): void {
  result.records += 1;
  if (!isObject(value)) return addProblem(result, file, where, 'not a JSON object');
  const event = fromRecord(value as CloudTrailRecord);
  if (event === undefined) return addProblem(result, file, where, 'record has no eventID');
  result.events.push(event);
}

function readLookupEvent(value: unknown, file: string, where: string, result: ReadResult): void {
  result.records += 1;
  if (!isObject(value)) return addProblem(result, file, where, 'not a JSON object');
  // fromLookupEvent reads any shape: EventTime as the CLI prints it (ISO or epoch seconds), odd types, no record.
  const event = fromLookupEvent(value, 'us-east-1');
  // Event history is per region; the dump does not say which, the record inside does.
  event.region = str(event.record?.awsRegion) || 'us-east-1';
  // Still posted, as the daemon would (with a note), but the input was damaged: say so.
  if (event.recordError !== undefined) addProblem(result, file, where, event.recordError);
  result.events.push(event);
}

type Parsed = { ok: true; value: unknown } | { ok: false; error: unknown };

function tryParse(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error };
  }
}

function addProblem(result: ReadResult, file: string, where: string | undefined, message: string): void {
  result.problems.push({ file, where, message });
}

function withProblem(result: ReadResult, file: string, where: string | undefined, message: string): ReadResult {
  addProblem(result, file, where, message);
  return result;
}
