import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fromRecord } from '../src/events/parse';
import type { CloudTrailRecord } from '../src/events/types';
import { renderHtmlPage } from '../src/preview/html';
import type { Decision, Level } from '../src/rules/decision';
import { formatEventMessage } from '../src/slack/format';
import { formatDigestMessage } from '../src/slack/format-digest';
import { findFontFiles, fontSetEnv, openCdpPage, type CdpPage } from './support/chromium-cdp';
import { loadFixtureRecords } from './support/fixtures';
import { queueItem, T0 } from './support/queue-items';

/**
 * The HTML preview in a real browser: Debian's headless Chromium takes a screenshot and dumps the DOM it built.
 * Skipped only where Chromium is not installed (CI installs it in .ci/run).
 */

const WIDTH = 1000;
const HEIGHT = 2400;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function findChromium(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  const path = found.status === 0 ? found.stdout.trim() : '';
  return path !== '' && existsSync(path) ? path : undefined;
}

/** Runs chromium headless, offline, with a throwaway profile; resolves to its stdout. */
function runChromium(binary: string, profileRoot: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const profile = mkdtempSync(join(profileRoot, 'profile-'));
  const flags = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`,
  ];
  return new Promise((resolve) => {
    const child = spawn(binary, [...flags, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/**
 * Real events at every level and a failed one rated high, one SYNTHETIC hostile event with a mention, and a digest
 * (src/slack/format-digest.ts) of synthetic items.
 */
function previewPayloads(): unknown[] {
  const writes = loadFixtureRecords().filter((r) => r.readOnly === false);
  const pick = (predicate: (r: CloudTrailRecord) => boolean) => writes.find(predicate) as CloudTrailRecord;
  const rated = (level: Level): Decision => ({ level, matched: [{ id: level, title: `A ${level} rule`, level, tags: [] }], muted: false, routes: [] });
  const singles: Array<[CloudTrailRecord, Level | undefined]> = [
    [pick((r) => r.eventName === 'CreateRole' && !r.errorCode), undefined],
    [pick((r) => String(r.eventName).startsWith('Delete') && !r.errorCode), 'low'],
    [pick((r) => String(r.eventName).startsWith('Terminate')), 'medium'],
    [pick((r) => r.eventName === 'CreateAccessKey'), 'high'],
    [pick((r) => r.eventName === 'DeleteTrail' && !r.errorCode), 'critical'],
    [pick((r) => typeof r.errorCode === 'string'), 'high'],
    [pick((r) => r.userIdentity?.type === 'AssumedRole'), undefined],
    [{ ...pick((r) => r.eventName === 'PutBucketPolicy'), userAgent: '<script>document.title="pwned"</script>' }, 'high'],
  ];
  const messages: unknown[] = singles.map(([record, level]) =>
    formatEventMessage(fromRecord(record)!, { ...(level ? { decision: rated(level) } : {}), mention: '<!subteam^S0123|@security>' }),
  );
  const items = Array.from({ length: 12 }, (_, i) => queueItem({ name: i % 4 === 0 ? 'DeleteTags' : 'CreateTags', at: T0 + i * 1000, resource: `i-${i}` }));
  messages.push(formatDigestMessage(items, { repeatWindowMs: 0 }));
  return messages;
}

test('headless Chromium renders the preview: a real screenshot, every message with its colour bar', async (t) => {
  const chromium = findChromium();
  if (chromium === undefined) {
    t.skip('chromium not installed: apt-get install chromium');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'cts-chromium-'));
  // runChromium resolved on the browser's exit; retried all the same, as a helper process may finish a write late.
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 10 }));
  const payloads = previewPayloads();
  const page = join(dir, 'page.html');
  writeFileSync(page, renderHtmlPage(payloads, { subtitle: 'chromium test' }));
  const url = pathToFileURL(page).href;

  const shot = join(dir, 'shot.png');
  const screenshot = await runChromium(chromium, dir, [`--screenshot=${shot}`, `--window-size=${WIDTH},${HEIGHT}`, url]);
  assert.ok(existsSync(shot), `screenshot written (exit ${screenshot.code}): ${screenshot.err.slice(-500)}`);
  const png = readFileSync(shot);
  assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), 'a PNG');
  assert.equal(png.readUInt32BE(16), WIDTH, 'IHDR width');
  assert.equal(png.readUInt32BE(20), HEIGHT, 'IHDR height');
  // A blank page of this size compresses to a few KB; nine rendered messages with text are far larger.
  assert.ok(png.length > 50_000, `non-trivial screenshot: ${png.length} bytes`);

  const dom = await runChromium(chromium, dir, ['--dump-dom', url]);
  assert.equal(dom.code, 0, dom.err.slice(-500));
  const messages = [...dom.out.matchAll(/<article class="message" data-message="\d+">/g)];
  assert.equal(messages.length, payloads.length, 'the DOM holds every message');
  const bars = [...dom.out.matchAll(/data-colour-bar="" style="background-color: ?(#[0-9a-f]{6}|rgb\([\d, ]+\));?"/g)];
  assert.equal(bars.length, payloads.length, 'each with its colour bar');
  assert.equal(new Set(bars.map((b) => b[1])).size, 6, 'the five level colours and the failed purple');
  assert.ok(dom.out.includes('\u{1F6A8}') && dom.out.includes('\u26a0\ufe0f'), 'the level markers drawn as emoji');
  assert.match(dom.out, /A critical rule/);
  assert.ok(!/<script/i.test(dom.out), 'the hostile user agent built no script element');
  assert.match(dom.out, /&lt;script&gt;document\.title="pwned"&lt;\/script&gt;/);
  assert.match(dom.out, /<title>cloudtrail-slack: message preview<\/title>/, 'the title was not rewritten');
});

/** The font files of the common Linux set: fonts-dejavu-core and fonts-noto-color-emoji (Debian). */
const TEXT_FONTS = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSansMono.ttf', 'DejaVuSansMono-Bold.ttf'];
const EMOJI_FONT = 'NotoColorEmoji.ttf';

/** SYNTHETIC: digits in every place the page draws text (headline, code, fields, date, pre, footer), one emoji field. */
function digitsPayload(): unknown {
  return {
    text: '*4040* by `0123456789` (0) in 1-2-3 failed: 500',
    attachments: [
      {
        color: 'danger',
        text: '<https://example.com/1|2024> · 99',
        fields: [
          { title: 'Account ID 1', value: '111122223333', short: true },
          { title: 'Event Time 2', value: '<!date^1688989338^{date_short_pretty} {time_secs}|2023-07-10 11:42:18 UTC>', short: true },
          { title: 'Source IP Address', value: '203.0.113.9', short: true },
          { title: 'Request Parameters', value: '```{"maxCount":12345,"port":8080}```', short: false },
          { title: 'Emoji', value: ':x:\u{1F469}\u{1F3FD}\u200D\u{1F4BB}', short: true },
        ],
        ts: 1688989338,
      },
    ],
  };
}

test('with the common Linux font set (DejaVu + Noto Color Emoji), digits are drawn in the text font, emoji in the emoji font', async (t) => {
  const chromium = findChromium();
  if (chromium === undefined) {
    t.skip('chromium not installed: apt-get install chromium');
    return;
  }
  const files = findFontFiles([...TEXT_FONTS, EMOJI_FONT]);
  const missing = [...TEXT_FONTS, EMOJI_FONT].filter((name) => !files.has(name));
  assert.deepEqual(missing, [], 'install the font set this test renders with: apt-get install fonts-dejavu-core fonts-noto-color-emoji');
  const dir = mkdtempSync(join(tmpdir(), 'cts-fonts-'));
  let browser: CdpPage | undefined;
  // One hook, in this order: node:test runs t.after hooks first-registered first, and removing the folder while
  // Chromium still wrote its profile failed with ENOTEMPTY. close() waits for the process to exit.
  t.after(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true, maxRetries: 10 });
  });
  const page = join(dir, 'page.html');
  writeFileSync(page, renderHtmlPage([digitsPayload()], { subtitle: '0123456789' }));

  const cdp = await openCdpPage(chromium, { profileDir: mkdtempSync(join(dir, 'profile-')), env: fontSetEnv(dir, [...files.values()]) });
  browser = cdp;
  await cdp.load(pathToFileURL(page).href);
  await cdp.send('DOM.enable');
  await cdp.send('CSS.enable');
  const { root } = await cdp.send<{ root: { nodeId: number } }>('DOM.getDocument', { depth: -1 });
  /** The families that drew the glyphs of every node matching `selector`, with the node's text. */
  const fontsOf = async (selector: string) => {
    const { nodeIds } = await cdp.send<{ nodeIds: number[] }>('DOM.querySelectorAll', { nodeId: root.nodeId, selector });
    assert.ok(nodeIds.length > 0, `the page has ${selector}`);
    return Promise.all(
      nodeIds.map(async (nodeId) => {
        const { fonts } = await cdp.send<{ fonts: Array<{ familyName: string }> }>('CSS.getPlatformFontsForNode', { nodeId });
        return { selector, families: fonts.map((f) => f.familyName) };
      }),
    );
  };
  const digitNodes = ['header h1', 'header p', '.app', '.text', '.text strong', '.text code', '.att-text', '.att-text a', '.field-title',
    '.field.short:not(:last-child) .field-value', 'time', 'pre', '.footer'];
  for (const { selector, families } of (await Promise.all(digitNodes.map(fontsOf))).flat()) {
    assert.ok(families.length > 0, `${selector} drew glyphs`);
    assert.ok(!families.includes('Noto Color Emoji'), `${selector} drawn with ${families.join(', ')}`);
    assert.ok(families.every((f) => f.startsWith('DejaVu Sans')), `${selector} drawn with ${families.join(', ')}`);
  }
  const [emoji] = await fontsOf('.field.short:last-child .field-value');
  assert.deepEqual(emoji?.families, ['Noto Color Emoji'], 'the emoji font is in use for emoji, so the check above can fail');
});
