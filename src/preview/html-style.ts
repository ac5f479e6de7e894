/**
 * Font stacks: text fonts first, emoji fonts last. Noto Color Emoji also has glyphs for 0-9, # and * (for
 * keycaps like 1️⃣) and for the space, so it must come after a text font that the browser really finds.
 * Chromium on Linux passes over a generic `sans-serif` that is not last in the list, so with only DejaVu and
 * Noto Color Emoji installed the old stack drew every digit in the emoji font. Hence the named Linux fonts
 * (Noto Sans, Liberation Sans, DejaVu Sans) and `system-ui` before the generic family, and the same for code.
 * test/chromium.test.ts checks which font drew the digits, with exactly that font set.
 */
const TEXT_FONTS = '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", "DejaVu Sans", system-ui, sans-serif';
const EMOJI_FONTS = '"Apple Color Emoji", "Segoe UI Emoji", "Noto Color Emoji"';
const CODE_FONTS = 'Monaco, Menlo, Consolas, "Courier New", "DejaVu Sans Mono", "Liberation Mono", "Noto Sans Mono", monospace';

/**
 * The preview page's stylesheet, inlined (the page must stand alone and its CSP allows no external asset).
 * Close to Slack's look: system fonts, a 4 px rounded colour bar, 13-15 px text, short fields two to a row.
 */
export const PAGE_STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: #1d1c1d;
  font: 15px/1.46668 ${TEXT_FONTS}, ${EMOJI_FONTS}; }
header { padding: 12px 20px; border-bottom: 1px solid #e2e2e2; background: #3f0e40; color: #fff; }
header h1 { margin: 0; font-size: 18px; font-weight: 900; }
header p { margin: 2px 0 0; font-size: 13px; opacity: .8; }
main { max-width: 980px; padding: 8px 0; }
.group { margin: 16px 20px 4px; padding-bottom: 4px; border-bottom: 1px solid #e2e2e2; font-size: 15px; font-weight: 900; }
.message { display: flex; gap: 8px; padding: 8px 20px; }
.message:hover { background: #f8f8f8; }
.avatar { flex: none; width: 36px; height: 36px; border-radius: 4px; background: #e8912d; color: #fff;
  font: 700 13px/36px ${TEXT_FONTS}; text-align: center; }
.content { flex: 1; min-width: 0; }
.meta { display: flex; align-items: baseline; gap: 4px; }
.app { font-weight: 900; }
.badge { padding: 0 3px; border-radius: 2px; background: #e8e8e8; color: #616061; font-size: 10px; font-weight: 700; }
.text, .att-text, .pretext, .field-value { white-space: pre-wrap; overflow-wrap: anywhere; }
.attachment { display: flex; margin: 4px 0; }
.bar { flex: none; width: 4px; border-radius: 8px; }
.att-body { flex: 1; min-width: 0; padding: 0 12px; font-size: 15px; }
.title { font-weight: 700; }
.fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 12px; margin-top: 6px; }
.field.long { grid-column: 1 / -1; }
.field-title { font-weight: 700; font-size: 15px; }
.footer { margin-top: 6px; color: #616061; font-size: 12px; }
a { color: #1264a3; text-decoration: none; }
a:hover { text-decoration: underline; }
code { padding: 2px 3px; border: 1px solid #e2e2e2; border-radius: 3px; background: #f6f6f6; color: #c01343;
  font: 12px/1.5 ${CODE_FONTS}, ${EMOJI_FONTS}; }
pre { margin: 4px 0 0; padding: 8px; border: 1px solid #e2e2e2; border-radius: 4px; background: #f8f8f8;
  font: 12px/1.5 ${CODE_FONTS}, ${EMOJI_FONTS}; white-space: pre-wrap; overflow-wrap: anywhere; }
.mention { padding: 0 2px; border-radius: 3px; background: #fef3c7; color: #1264a3; }
time { border-bottom: 1px dotted #aaa; }
`;
