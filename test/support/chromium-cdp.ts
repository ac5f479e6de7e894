import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

/**
 * Headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`: Chromium reads
 * NUL-terminated JSON on fd 3 and writes on fd 4), so a test can ask what the browser really did, e.g.
 * CSS.getPlatformFontsForNode: which installed font drew a node's glyphs. No WebSocket, no port, no package.
 * https://chromedevtools.github.io/devtools-protocol/tot/CSS/#method-getPlatformFontsForNode
 */

type Json = Record<string, unknown>;

export interface CdpPage {
  /** One command to the attached page (or the browser for `Target.*`/`Browser.*`); rejects on a protocol error. */
  send<T = Json>(method: string, params?: Json): Promise<T>;
  /** Navigates and resolves once the page's load event fired. */
  load(url: string): Promise<void>;
  /** The browser's process id. */
  readonly pid: number;
  /**
   * Closes the browser, waits for its process to exit (SIGKILL if it has not within 10 s), then removes the
   * profile folder (retried: a helper process may still be finishing a write). Safe to call more than once.
   */
  close(): Promise<void>;
}

export interface ChromiumOptions {
  profileDir: string;
  /** Extra environment, e.g. FONTCONFIG_FILE. */
  env?: NodeJS.ProcessEnv;
}

export async function openCdpPage(binary: string, options: ChromiumOptions): Promise<CdpPage> {
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--remote-debugging-pipe', `--user-data-dir=${options.profileDir}`, 'about:blank'];
  const child = spawn(binary, flags, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  // A hung browser must fail the test, not hang the run.
  const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;

  let nextId = 0;
  let sessionId: string | undefined;
  const pending = new Map<number, { resolve(v: Json): void; reject(e: Error): void }>();
  const listeners: Array<(message: Json) => void> = [];
  let buffer = '';
  fromBrowser.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    for (let end = buffer.indexOf('\0'); end !== -1; end = buffer.indexOf('\0')) {
      const message = JSON.parse(buffer.slice(0, end)) as Json;
      buffer = buffer.slice(end + 1);
      const waiter = typeof message.id === 'number' ? pending.get(message.id) : undefined;
      if (waiter === undefined) {
        for (const listener of listeners) listener(message);
        continue;
      }
      pending.delete(message.id as number);
      if (message.error !== undefined) waiter.reject(new Error(`CDP ${JSON.stringify(message.error)}`));
      else waiter.resolve((message.result ?? {}) as Json);
    }
  });
  const exited = new Promise<void>((resolve) =>
    child.on('close', () => {
      clearTimeout(guard);
      for (const waiter of pending.values()) waiter.reject(new Error(`chromium exited: ${stderr.slice(-500)}`));
      pending.clear();
      resolve();
    }),
  );

  const send = <T = Json>(method: string, params: Json = {}): Promise<T> =>
    new Promise((resolve, reject) => {
      nextId += 1;
      pending.set(nextId, { resolve: resolve as (v: Json) => void, reject });
      const browserWide = method.startsWith('Target.') || method.startsWith('Browser.');
      toBrowser.write(`${JSON.stringify({ id: nextId, method, params, ...(browserWide ? {} : { sessionId }) })}\0`);
    });

  let closing: Promise<void> | undefined;
  const { targetId } = await send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
  sessionId = (await send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true })).sessionId;
  await send('Page.enable');

  return {
    send,
    async load(url) {
      const loaded = new Promise<void>((resolve) =>
        listeners.push((m) => {
          if (m.method === 'Page.loadEventFired' && m.sessionId === sessionId) resolve();
        }),
      );
      await send('Page.navigate', { url });
      await loaded;
    },
    pid: child.pid ?? -1,
    close() {
      closing ??= (async () => {
        // Browser.close answers before the process is gone: its 'close' event (`exited`) is what we wait for.
        if (child.exitCode === null && child.signalCode === null) void send('Browser.close').catch(() => undefined);
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(kill);
        await rm(options.profileDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      })();
      return closing;
    },
  };
}

/** Font files by name anywhere under `roots` (Debian puts DejaVu and Noto in /usr/share/fonts/truetype/…). */
export function findFontFiles(names: readonly string[], roots = ['/usr/share/fonts', '/usr/local/share/fonts']): Map<string, string> {
  const found = new Map<string, string>();
  for (const root of roots.filter((r) => existsSync(r))) {
    for (const entry of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
      const name = basename(entry);
      if (names.includes(name) && !found.has(name)) found.set(name, join(root, entry));
    }
  }
  return found;
}

/**
 * A fontconfig setup that sees exactly `files` (linked into one folder) with the system's usual rules
 * (/etc/fonts/conf.d: generic families, aliases), so a test controls which fonts a browser can choose from.
 * Returns the environment that points fontconfig at it.
 */
export function fontSetEnv(dir: string, files: readonly string[]): NodeJS.ProcessEnv {
  const fonts = mkdtempSync(join(dir, 'fonts-'));
  for (const file of files) symlinkSync(file, join(fonts, basename(file)));
  const cache = join(dir, 'fontconfig-cache');
  mkdirSync(cache, { recursive: true });
  const config = join(dir, 'fonts.conf');
  writeFileSync(
    config,
    [
      '<?xml version="1.0"?>',
      '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">',
      '<fontconfig>',
      `  <dir>${fonts}</dir>`,
      `  <cachedir>${cache}</cachedir>`,
      '  <include ignore_missing="yes">/etc/fonts/conf.d</include>',
      '</fontconfig>',
      '',
    ].join('\n'),
  );
  // The user's own fonts (~/.fonts, $XDG_DATA_HOME/fonts, read through conf.d/50-user.conf) stay out too.
  return { FONTCONFIG_FILE: config, HOME: dir, XDG_CONFIG_HOME: join(dir, 'xdg-config'), XDG_DATA_HOME: join(dir, 'xdg-data') };
}
