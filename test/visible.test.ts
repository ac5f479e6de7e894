import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { codeSpan, safeText } from '../src/slack/escape';
import { codePointLabel, makeVisible, visiblePieces } from '../src/slack/visible';

const tag = (ascii: string) => [...ascii].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
const CANCEL_TAG = '\u{e007f}';
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;

describe('makeVisible: what is shown', () => {
  test('bidi controls, zero-width and other format characters become [U+XXXX]', () => {
    assert.equal(makeVisible('a\u202Eb\u2066c\u200Ed\u200Fe\u061Cf'), 'a[U+202E]b[U+2066]c[U+200E]d[U+200F]e[U+061C]f');
    assert.equal(makeVisible('ad\u200Bmin\u200C\u200D\u2060\u2064\uFEFF\u00AD'), 'ad[U+200B]min[U+200C][U+200D][U+2060][U+2064][U+FEFF][U+00AD]');
    assert.equal(makeVisible('x\u3164y\u115Fz\u034F'), 'x[U+3164]y[U+115F]z[U+034F]', 'Hangul fillers, combining grapheme joiner');
    assert.equal(codePointLabel('\u{e0041}'), '[U+E0041]');
  });

  test('controls become a space; a newline only with keepNewlines; lone surrogates become U+FFFD', () => {
    assert.equal(makeVisible('a\nb\u001bc\u0085d\u2028e'), 'a b c d e');
    assert.equal(makeVisible('a\nb\rc', { keepNewlines: true }), 'a\nb c');
    assert.equal(makeVisible('a\ud800b'), 'a\ufffdb');
  });

  test('text that hides data in tags or runs of selectors is shown', () => {
    assert.equal(makeVisible(`ok${tag('hi')}`), 'ok[U+E0068][U+E0069]', 'ASCII smuggled in tag characters');
    assert.equal(makeVisible(`\u{1F3F4}${tag('gbxyz')}${CANCEL_TAG}`), '\u{1F3F4}[U+E0067][U+E0062][U+E0078][U+E0079][U+E007A][U+E007F]', 'not a recommended flag');
    assert.equal(makeVisible('\u{1F600}\u{E0100}\u{E0101}'), '\u{1F600}[U+E0100][U+E0101]', 'selectors after an emoji that takes none');
    assert.equal(makeVisible('\u2764\uFE0F\uFE0F'), '\u2764\uFE0F[U+FE0F]', 'one selector per base');
    assert.equal(makeVisible('a\uFE0F1\uFE0F'), 'a[U+FE0F]1[U+FE0F]', 'after a letter, or a digit without a keycap');
    assert.equal(makeVisible('a\u200Db \u{1F469}\u200D'), 'a[U+200D]b \u{1F469}[U+200D]', 'a joiner that joins no two pictographs');
  });
});

describe('makeVisible: what is kept, because it only draws a visible emoji or ideograph', () => {
  const kept = {
    'ZWJ sequence with a skin tone': 'Zoë \u{1F469}\u{1F3FD}\u200D\u{1F4BB}',
    'family': '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}',
    'rainbow flag (FE0F before the joiner)': '\u{1F3F3}\uFE0F\u200D\u{1F308}',
    'emoji presentation': '\u2764\uFE0F \u00A9\uFE0E',
    'keycap': '1\uFE0F\u20E3 #\uFE0F\u20E3',
    'Scotland': `\u{1F3F4}${tag('gbsct')}${CANCEL_TAG}`,
    'ideographic variation sequence': '\u845B\u{E0100}',
    'right-to-left and other scripts': 'بيانات données 数据 🚀',
  };
  for (const [name, text] of Object.entries(kept)) {
    test(name, () => assert.equal(makeVisible(text), text));
  }
});

describe('safeText cuts between visible pieces', () => {
  test('never inside a marker, an emoji sequence or a flag, and never leaves an invisible character raw', () => {
    const raw = `a\u202Eb \u{1F469}\u{1F3FD}\u200D\u{1F4BB} \u{1F3F4}${tag('gbwls')}${CANCEL_TAG} c\u200Bd&<`;
    const full = safeText(raw, 1000);
    assert.equal(full, `a[U+202E]b \u{1F469}\u{1F3FD}\u200D\u{1F4BB} \u{1F3F4}${tag('gbwls')}${CANCEL_TAG} c[U+200B]d&amp;&lt;`);
    for (let max = 1; max <= Array.from(full).length + 1; max += 1) {
      const cut = safeText(raw, max);
      assert.ok(Array.from(cut).length <= max, `max ${max}`);
      assert.ok(!/\[U\+[0-9A-F]*…$/.test(cut), `max ${max}: marker cut: ${cut}`);
      const stripped = cut.replace(/\u{1F469}\u{1F3FD}\u200D\u{1F4BB}/u, '').replace(new RegExp(`\u{1F3F4}${tag('gbwls')}${CANCEL_TAG}`, 'u'), '');
      assert.ok(!INVISIBLE.test(stripped), `max ${max}: raw invisible in ${JSON.stringify(cut)}`);
    }
  });

  test('a code span shows the marker inside it, and a backtick cannot close it', () => {
    assert.equal(codeSpan('x`\u202Ey', 100), '`xˋ[U+202E]y`');
  });

  test('visiblePieces glues kept characters to their base, one marker per shown character', () => {
    assert.deepEqual(visiblePieces('\u2764\uFE0Fa\u200B'), ['\u2764\uFE0F', 'a', '[U+200B]']);
  });
});
