import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  boldSpan,
  codeBlock,
  codeSpan,
  escapeMrkdwn,
  formatLink,
  isPlainToken,
  neutraliseControls,
  safeText,
  truncate,
  valueText,
} from '../src/slack/escape';

const codePoints = (s: string): number => Array.from(s).length;
/** True when every & starts one of the three entities we produce. */
const entitiesIntact = (s: string): boolean => !/&(?!amp;|lt;|gt;)/.test(s);
const hasLoneSurrogate = (s: string): boolean =>
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

describe('escapeMrkdwn', () => {
  test('escapes exactly &, < and >', () => {
    assert.equal(escapeMrkdwn('a & b < c > d'), 'a &amp; b &lt; c &gt; d');
    assert.equal(escapeMrkdwn(`"quotes" 'apos' *bold* _it_ ~s~ \`c\``), `"quotes" 'apos' *bold* _it_ ~s~ \`c\``);
  });

  test('renders control sequences inert', () => {
    assert.equal(escapeMrkdwn('<!channel>'), '&lt;!channel&gt;');
    assert.equal(escapeMrkdwn('<https://evil|click>'), '&lt;https://evil|click&gt;');
    assert.equal(escapeMrkdwn('<@U123>'), '&lt;@U123&gt;');
    assert.equal(escapeMrkdwn('&lt;'), '&amp;lt;', 'an entity in the data stays literal text');
  });
});

describe('truncate', () => {
  test('leaves short strings alone', () => {
    assert.equal(truncate('abc', 3), 'abc');
    assert.equal(truncate('😀😀😀', 3), '😀😀😀', 'counts code points, not UTF-16 units');
    assert.equal(truncate('', 5), '');
  });

  test('cuts to max code points with an ellipsis', () => {
    assert.equal(truncate('abcdef', 4), 'abc…');
    assert.equal(truncate('abcdef', 1), '…');
    assert.equal(truncate('abcdef', 0), '');
  });

  test('never splits a surrogate pair', () => {
    const emoji = '😀'.repeat(50);
    for (let max = 1; max <= 60; max++) {
      const cut = truncate(emoji, max);
      assert.ok(codePoints(cut) <= max);
      assert.ok(!hasLoneSurrogate(cut), `max ${max}`);
    }
  });

  test('never leaves a broken entity when cutting escaped text', () => {
    const escaped = escapeMrkdwn('a&b<c>d&&<<>>e'.repeat(3));
    for (let max = 1; max <= escaped.length + 1; max++) {
      const cut = truncate(escaped, max);
      assert.ok(entitiesIntact(cut), `max ${max}: ${cut}`);
      assert.ok(codePoints(cut) <= max);
    }
  });
});

describe('neutraliseControls', () => {
  test('turns control and separator characters into spaces, and shows bidi controls', () => {
    assert.equal(neutraliseControls('a\nb\r\tc\u0000d\u007fe\u0085f'), 'a b  c d e f');
    assert.equal(neutraliseControls('x\u2028y\u202ez\u2066w'), 'x y[U+202E]z[U+2066]w');
  });

  test('keeps right-to-left and other scripts', () => {
    assert.equal(neutraliseControls('بيانات données 数据 🚀'), 'بيانات données 数据 🚀');
  });

  test('replaces lone surrogates so the JSON is well-formed', () => {
    assert.equal(neutraliseControls('a\ud800b\udc00c'), 'a\ufffdb\ufffdc');
    assert.equal(neutraliseControls('😀'), '😀');
  });
});

describe('safeText', () => {
  test('escapes and fits within max code points at every budget', () => {
    const raw = '<!channel> & <@U123> 😀 <https://evil|x>';
    for (let max = 1; max <= 80; max++) {
      const out = safeText(raw, max);
      assert.ok(codePoints(out) <= max, `max ${max}`);
      assert.ok(entitiesIntact(out), `max ${max}: ${out}`);
      assert.ok(!/[<>]/.test(out));
      assert.ok(!hasLoneSurrogate(out));
    }
    assert.equal(safeText(raw, 1000), escapeMrkdwn(raw));
  });

  test('reads only a bounded prefix of a huge value', () => {
    const huge = '<&>'.repeat(40_000);
    const out = safeText(huge, 50);
    assert.ok(codePoints(out) <= 50);
    assert.ok(out.endsWith('…'));
    assert.ok(entitiesIntact(out));
  });

  test('cuts cleanly when a surrogate pair sits at the cut point', () => {
    const raw = 'a'.repeat(9) + '😀'.repeat(10);
    assert.equal(safeText(raw, 11), `${'a'.repeat(9)}😀…`);
    assert.equal(safeText('x'.repeat(100) + '😀', 101), `${'x'.repeat(100)}😀`);
  });

  test('flattens newlines so a value cannot forge extra lines', () => {
    assert.equal(safeText('ok\n*Event Name* Fake', 100), 'ok *Event Name* Fake');
  });
});

describe('spans and links', () => {
  test('a backtick cannot close a code span or block', () => {
    const span = codeSpan('a`b``c', 50);
    assert.equal(span, '`aˋbˋˋc`');
    assert.equal(span.split('`').length - 1, 2);
    const block = codeBlock('{"k":"```<!here>"}', 100);
    assert.equal(block, '```{"k":"ˋˋˋ&lt;!here&gt;"}```');
    assert.ok(codePoints(codeSpan('x'.repeat(500), 40)) <= 40);
  });

  test('an asterisk cannot close a bold span', () => {
    assert.equal(boldSpan('Delete*Bucket', 50), '*Delete∗Bucket*');
  });

  test('link text is escaped and has no pipe', () => {
    assert.equal(formatLink('https://x.example/a?b=1', 'go <now> | a&b'), '<https://x.example/a?b=1|go &lt;now&gt; ¦ a&amp;b>');
  });

  test('a URL that could break out of the link is not linked', () => {
    assert.equal(formatLink('https://x.example/|<!channel>', 'text'), 'text');
    assert.equal(formatLink('https://x.example/ a', 'text'), 'text');
  });
});

describe('valueText', () => {
  test('a plain token stays plain; anything that could read as words goes in a code span', () => {
    for (const token of ['AccessDenied', 'us-east-1', 'IAMUser', 'AWS::S3::Bucket', '6f2d2c1e-0f6a-4a8e-9a5b-1b2c3d4e5f60', 'a/b.c_d']) {
      assert.ok(isPlainToken(token), token);
      assert.equal(valueText(token, 100), token);
    }
    assert.equal(valueText('root (Root) in us-east-1', 100), '`root (Root) in us-east-1`');
    assert.equal(valueText('x`y', 100), '`xˋy`');
    assert.equal(valueText('', 100), '', 'no empty span (Slack would show two backticks)');
    assert.equal(valueText('-x', 100), '`-x`');
  });
});
