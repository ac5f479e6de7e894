import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './cli-process';

const run = promisify(execFile);

/** The real pm2 (devDependency), run as a user would run `npx pm2`. */
export const PM2_BIN = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');

/** One process of `pm2 jlist` (the fields the tests read). */
export interface Pm2Process {
  name: string;
  pid: number;
  pm_id: number;
  pm2_env: { status: string; restart_time: number; exit_code?: number; NODE_APP_INSTANCE?: number | string };
}

export interface Pm2 {
  /** Runs `pm2 <args>` with the test's environment (PM2_HOME in it); resolves with stdout. */
  (...args: string[]): Promise<string>;
  /** `pm2 jlist`, parsed (pm2 may print notices before the JSON). */
  list(): Promise<Pm2Process[]>;
}

/** A pm2 CLI bound to `env` (which must hold its own PM2_HOME: never the user's ~/.pm2). */
export function pm2With(env: () => NodeJS.ProcessEnv): Pm2 {
  const pm2 = (async (...args: string[]) => (await run(process.execPath, [PM2_BIN, ...args], { cwd: ROOT, env: env() })).stdout) as Pm2;
  pm2.list = async () => {
    const out = await pm2('jlist');
    return JSON.parse(out.slice(out.indexOf('['))) as Pm2Process[];
  };
  return pm2;
}

/**
 * ecosystem.config.js's commented multi-instance variant, uncommented as the README says (and, without --http,
 * its CLOUDTRAIL_SLACK_HTTP and increment_var lines dropped), written to `file`. The copy names the repository
 * where the original says __dirname, so pm2 runs this checkout's bin/cloudtrail-slack from its root.
 */
export function writeMultiInstanceEcosystem(file: string): void {
  const text = readFileSync(join(ROOT, 'ecosystem.config.js'), 'utf8');
  const match = /\/\/ BEGIN multi-instance variant\n([\s\S]*?)\/\/ END multi-instance variant/.exec(text);
  if (match === null) throw new Error('ecosystem.config.js has no marked multi-instance variant');
  const variant = match[1]!
    .replace(/^\/\/ ?/gm, '')
    .replace(/, CLOUDTRAIL_SLACK_HTTP: \d+/, '')
    .replace(/^.*increment_var.*\n/m, '');
  if (/CLOUDTRAIL_SLACK_HTTP|increment_var/.test(variant)) throw new Error('the variant changed: drop its --http lines here too');
  writeFileSync(file, text.replace(match[0], variant).replaceAll('__dirname', JSON.stringify(ROOT)));
}
