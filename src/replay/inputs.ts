import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join, resolve } from 'node:path';
import { MAX_FILE_BYTES, readEventBytes, readEventFile, size, type ReadResult, type ReplayProblem } from './read';

/**
 * What `replay` arguments stand for: a file, `-` (standard input, any of the three shapes), or a folder, which
 * stands for every file in it and its subfolders that looks like CloudTrail data by its name (READABLE). Files
 * of other names are counted, not read: an S3 sync of a trail's bucket also holds digest files
 * (`…_CloudTrail-Digest_…`, hashes, not records) and whatever else lives there. Links to folders are not
 * followed (a loop would never end); links to files are.
 */

export type ReplayInput = { kind: 'file'; name: string; path: string } | { kind: 'stdin'; name: string };

export interface ExpandedInputs {
  inputs: ReplayInput[];
  /** One line per folder that held files not read: how many, and why. */
  notes: string[];
  problems: ReplayProblem[];
}

/** `.json`, `.json.gz`, `.jsonl` (and `.jsonl.gz`): the names CloudTrail and the tools that export it use. */
const READABLE = /\.jsonl?(\.gz)?$/i;
/** CloudTrail digest files (log file integrity validation) sit next to the logs and hold no records. */
const DIGEST = /_CloudTrail-Digest_/i;
export const STDIN_NAME = '-';

/** Expands the arguments in order; folders are walked in name order, so a run is repeatable. Never throws. */
export function expandInputs(args: readonly string[], cwd: string): ExpandedInputs {
  const result: ExpandedInputs = { inputs: [], notes: [], problems: [] };
  let stdinSeen = false;
  for (const arg of args) {
    if (arg === STDIN_NAME) {
      if (stdinSeen) result.problems.push({ file: arg, message: 'given twice: standard input is read once' });
      else result.inputs.push({ kind: 'stdin', name: arg });
      stdinSeen = true;
      continue;
    }
    const path = resolve(cwd, arg);
    if (!isFolder(path)) {
      result.inputs.push({ kind: 'file', name: arg, path }); // readEventFile names what is wrong with it
      continue;
    }
    const skipped = { other: 0, digest: 0, links: 0 };
    walk(arg, path, result, skipped);
    const note = skippedNote(skipped);
    if (note !== undefined) result.notes.push(`${arg}: ${note}`);
  }
  return result;
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function walk(name: string, path: string, result: ExpandedInputs, skipped: { other: number; digest: number; links: number }): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(path, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (error) {
    result.problems.push({ file: name, message: `folder cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})` });
    return;
  }
  for (const entry of entries) {
    const childName = join(name, entry.name);
    const childPath = join(path, entry.name);
    if (entry.isDirectory()) {
      walk(childName, childPath, result, skipped);
    } else if (entry.isSymbolicLink() && isFolder(childPath)) {
      skipped.links += 1;
    } else if (!READABLE.test(entry.name)) {
      skipped.other += 1;
    } else if (DIGEST.test(entry.name)) {
      skipped.digest += 1;
    } else if (entry.isFile() || entry.isSymbolicLink()) {
      result.inputs.push({ kind: 'file', name: childName, path: childPath }); // a link is checked when it is read
    } else {
      skipped.other += 1; // a FIFO or a device named like a log file: never opened
    }
  }
}

function skippedNote(skipped: { other: number; digest: number; links: number }): string | undefined {
  const parts = [
    skipped.other > 0 ? `${skipped.other} not named .json, .json.gz or .jsonl` : undefined,
    skipped.digest > 0 ? `${skipped.digest} CloudTrail digest file${skipped.digest === 1 ? '' : 's'} (no records)` : undefined,
    skipped.links > 0 ? `${skipped.links} link${skipped.links === 1 ? '' : 's'} to folders (not followed)` : undefined,
  ].filter((part): part is string => part !== undefined);
  const total = skipped.other + skipped.digest + skipped.links;
  return total === 0 ? undefined : `${total} file${total === 1 ? '' : 's'} skipped: ${parts.join(', ')}`;
}

/**
 * Standard input, whole, or why not: at most `maxBytes` (like a file), and never a terminal (it would wait for
 * someone to type).
 */
export async function readStdin(stdin: AsyncIterable<unknown> & { isTTY?: boolean }, maxBytes: number): Promise<Buffer | string> {
  if (stdin.isTTY === true) return 'standard input is a terminal: pipe the data in, e.g. zcat logs/*.json.gz | cloudtrail-slack replay -';
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    total += buffer.length;
    if (total > maxBytes) return `holds more than the ${size(maxBytes)} replay reads from one input: split it into smaller files`;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Where `-` reads from, and how much one input may hold (tests lower it). */
export interface ReadInputOptions {
  /** Bytes one input may hold, on disk and once gunzipped; default read.ts's MAX_FILE_BYTES. */
  maxFileBytes?: number;
  /** What `-` reads; default process.stdin. */
  stdin?: AsyncIterable<unknown> & { isTTY?: boolean };
}

/**
 * One input's events (replay and `rules test`): a file through readEventFile, `-` from standard input, bounded
 * like a file. The input's own defects are problems in the result, not exceptions.
 */
export async function readInput(input: ReplayInput, options: ReadInputOptions = {}): Promise<ReadResult> {
  if (input.kind === 'file') return readEventFile(input.name, input.path, { maxBytes: options.maxFileBytes });
  const bytes = await readStdin(options.stdin ?? process.stdin, options.maxFileBytes ?? MAX_FILE_BYTES);
  if (typeof bytes === 'string') return { events: [], records: 0, problems: [{ file: input.name, message: bytes }] };
  return readEventBytes(input.name, bytes, { maxBytes: options.maxFileBytes });
}
