import * as fs from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { compileRuleText } from './compile';
import type { RuleLoadResult } from './types';

/** The file-system calls the loader makes (node:fs/promises by default; fakes in tests). */
export interface RuleFileSystem {
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  readdir(path: string): Promise<string[]>;
  /** `dev`/`ino` (as node:fs gives them) let the loader read a folder or file reached twice only once. */
  stat(path: string): Promise<{ isDirectory(): boolean; isFile(): boolean; dev?: number; ino?: number }>;
}

/** Folders nested deeper than this are reported, not read (a backstop for symlink loops when stat has no inode). */
export const MAX_FOLDER_DEPTH = 16;

const RULE_FILE = /\.ya?ml$/i;

/**
 * Loads rule files and folders, in the order given; a folder contributes its `.yml`/`.yaml` files and
 * subfolders (names starting with `.` skipped), sorted by name, so the order (and which of two duplicate ids
 * wins) is the same on every machine. A file named directly is read whatever its extension.
 *
 * Never throws for a bad rule or path: each unreadable path and each refused rule is one entry in `errors`
 * (`file` as given or joined, `error` one line). A rule whose id an earlier file already used is refused:
 * the first one loaded keeps it. A file or folder reached twice (listed twice, inside two listed folders, or
 * through a symlink) is read once.
 */
export async function loadRulePaths(paths: string[], deps: Partial<RuleFileSystem> = {}): Promise<RuleLoadResult> {
  const io: RuleFileSystem = {
    readFile: deps.readFile ?? ((path, encoding) => fs.readFile(path, encoding)),
    readdir: deps.readdir ?? ((path) => fs.readdir(path)),
    stat: deps.stat ?? ((path) => fs.stat(path)),
  };
  const result: RuleLoadResult = { rules: [], errors: [] };
  const files: string[] = [];
  const visited = new Set<string>();

  const walk = async (path: string, depth: number, named: boolean): Promise<void> => {
    let info: Awaited<ReturnType<RuleFileSystem['stat']>>;
    try {
      info = await io.stat(path);
    } catch (error) {
      result.errors.push({ file: path, id: null, error: `cannot read: ${describe(error)}` });
      return;
    }
    const key = info.ino !== undefined && info.ino !== 0 ? `${info.dev ?? 0}:${info.ino}` : resolve(path);
    if (visited.has(key)) return; // listed twice, or a symlink back into a folder already read
    if (info.isDirectory()) {
      visited.add(key);
      if (depth >= MAX_FOLDER_DEPTH) {
        result.errors.push({ file: path, id: null, error: `folder nested deeper than ${MAX_FOLDER_DEPTH} levels; not read` });
        return;
      }
      let names: string[];
      try {
        names = (await io.readdir(path)).filter((name) => !name.startsWith('.')).sort();
      } catch (error) {
        result.errors.push({ file: path, id: null, error: `cannot read: ${describe(error)}` });
        return;
      }
      for (const name of names) await walk(join(path, name), depth + 1, false);
    } else if (named || (info.isFile() && RULE_FILE.test(path))) {
      visited.add(key);
      files.push(path);
    }
  };
  for (const path of paths) await walk(path, 0, true);

  const owners = new Map<string, string>();
  for (const file of files) {
    let text: string;
    try {
      text = await io.readFile(file, 'utf8');
    } catch (error) {
      result.errors.push({ file, id: null, error: `cannot read: ${describe(error)}` });
      continue;
    }
    const compiled = compileRuleText(text, file);
    result.errors.push(...compiled.errors);
    for (const rule of compiled.rules) {
      const owner = owners.get(rule.id);
      if (owner !== undefined) {
        result.errors.push({ file, id: rule.id, error: `duplicate id "${rule.id}" (already loaded from ${owner})` });
        continue;
      }
      owners.set(rule.id, file);
      result.rules.push(rule);
    }
  }
  return result;
}

/** An fs error's code (ENOENT, EACCES…) or its first line; never the file's content. */
function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string') return code;
  return String((error as Error | undefined)?.message ?? error).split('\n')[0]!;
}
