import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './cli-process';

/**
 * Makes sure dist/ holds the compiled current src/ (pm2 runs bin/cloudtrail-slack → dist/cli.js; it cannot run .ts
 * on Node 20). A fresh clone has it from `npm ci` (the prepare script); after an edit, this rebuilds (~7 s).
 */
export function ensureDist(): void {
  if (isDistFresh()) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'pipe',
  });
}

function isDistFresh(): boolean {
  return listTs(join(ROOT, 'src')).every((source) => {
    const built = join(ROOT, 'dist', relative(join(ROOT, 'src'), source)).replace(/\.ts$/, '.js');
    return existsSync(built) && statSync(built).mtimeMs >= statSync(source).mtimeMs;
  });
}

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listTs(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}
