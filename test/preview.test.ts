import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fromRecord } from '../src/events/parse';
import type { CloudTrailRecord } from '../src/events/types';
import { escapeHtml, renderHtmlPage, renderMessageHtml } from '../src/preview/html';
import { parseMrkdwn, spansToText } from '../src/preview/mrkdwn';
import { resolveColour } from '../src/preview/payload';
import { renderTerminalMessage, shouldUseColour } from '../src/preview/terminal';
import { LEVELS, type Level } from '../src/rules/decision';
import { formatEventMessage } from '../src/slack/format';
import { formatDigestMessage } from '../src/slack/format-digest';
import { queueItem, T0 } from './support/queue-items';
import { loadFixtureRecords } from './support/fixtures';

const ESC = '\u001b';
const count = (text: string, needle: string | RegExp) =>
  typeof needle === 'string' ? text.split(needle).length - 1 : [...text.matchAll(needle)].length;

function fixtureWrite(predicate: (r: CloudTrailRecord) => boolean): CloudTrailRecord {
  const record = loadFixtureRecords().find((r) => r.readOnly === false && predicate(r));
  assert.ok(record, 'fixture has such a record');
  return record;
}

/** The message for a record; with a level, as if one rule of that level had matched. */
function messageOf(record: CloudTrailRecord, level?: Level, mention?: string) {
  const event = fromRecord(record);
  assert.ok(event);
  const decision = level && { level, matched: [{ id: 'r', title: `A ${level} rule`, level, tags: [] }], muted: false, routes: [] };
  return formatEventMessage(event, { ...(decision ? { decision } : {}), ...(mention ? { mention } : {}) });
}

/** SYNTHETIC: a real record with attacker-chosen values in the fields a caller controls. */
function hostileRecord(): CloudTrailRecord {
  const base = fixtureWrite((r) => r.eventName === 'CreateRole');
  return {
    ...base,
    userAgent: '<script>alert(1)</script> "q" \'s\' & <!channel>',
    userIdentity: { type: 'IAMUser', userName: '<img src=x onerror=alert(1)>' },
    requestParameters: { roleName: '</code><script>alert(2)</script>', policy: '<https://evil.example|click me>' },
  };
}

describe('HTML preview', () => {
  test('hostile event data stays text: no script, img or link is created from it', () => {
    const html = renderHtmlPage([messageOf(hostileRecord())]);
    assert.equal(count(html.toLowerCase(), '<script'), 0, 'no script element');
    assert.equal(count(html.toLowerCase(), '<img'), 0, 'no img element');
    assert.ok(!html.includes('href="https://evil.example'), 'a link in event data is not a link');
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt; &quot;q&quot; &#39;s&#39; &amp; &lt;!channel&gt;/);
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
  });

  test('links: only http(s) and mailto become anchors; the href is escaped', () => {
    const html = renderMessageHtml({ text: '<javascript:alert(1)|a> <https://x.example/?a=1&amp;b="2"|b> <mailto:ops@example.com|c>' });
    assert.ok(!html.includes('javascript:alert(1)"'), 'javascript: URL not linked');
    assert.equal(count(html, '<a href='), 1, 'only the mailto link survives (the other has a quote)');
    assert.match(html, /<a href="mailto:ops@example.com" rel="noopener noreferrer">c<\/a>/);
    const plain = renderMessageHtml({ text: '<https://x.example/?a=1&amp;b=2|see &lt;this&gt;>' });
    assert.match(plain, /<a href="https:\/\/x.example\/\?a=1&amp;b=2" rel="noopener noreferrer">see &lt;this&gt;<\/a>/);
    const titled = (link: string) => renderMessageHtml({ attachments: [{ title: 'T<i>', title_link: link }] });
    assert.match(titled('https://x.example/a'), /<div class="title"><a href="https:\/\/x.example\/a" rel="noopener noreferrer">T&lt;i&gt;<\/a><\/div>/);
    assert.match(titled('javascript:alert(1)'), /<div class="title">T&lt;i&gt;<\/div>/);
  });

  test('colour bars: named colours map to Slack\'s, hex is kept, anything else is grey', () => {
    const colours = ['good', 'warning', 'danger', '#8e44ad', 'ABC', 'red;background:url(x)'];
    const html = renderHtmlPage([{ text: 'x', attachments: colours.map((color) => ({ color, text: 't' })) }]);
    const bars = [...html.matchAll(/data-colour-bar style="background-color:(#[0-9a-f]{6})"/g)].map((m) => m[1]);
    assert.deepEqual(bars, ['#2eb67d', '#ecb22e', '#e01e5a', '#8e44ad', '#aabbcc', '#dddddd']);
    assert.ok(!html.includes('url(x)'));
    assert.equal(resolveColour('#12345'), undefined);
  });

  test('the formatter\'s colours reach the page: one per level, failed calls purple', () => {
    const record = fixtureWrite((r) => r.eventName === 'CreateRole' && !r.errorCode);
    const failed = fixtureWrite((r) => typeof r.errorCode === 'string');
    const html = renderHtmlPage([...LEVELS.map((level) => messageOf(record, level)), messageOf(failed, 'high')]);
    assert.equal(count(html, 'data-message="'), 6);
    const bars = [...html.matchAll(/data-colour-bar style="background-color:([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(bars, ['#2eb67d', '#439fe0', '#ecb22e', '#e01e5a', '#8b0000', '#8e44ad']);
  });

  test('fields: short ones in the two-column grid, long ones across, in the payload\'s order', () => {
    const message = messageOf(fixtureWrite((r) => r.eventName === 'CreateRole'));
    const fields = message.attachments?.[0]?.fields ?? [];
    const html = renderMessageHtml(message);
    const rendered = [...html.matchAll(/class="field (short|long)" data-field data-short="(true|false)"><div class="field-title">([^<]*)</g)];
    assert.deepEqual(rendered.map((m) => m[3]), fields.map((f) => f.title));
    assert.deepEqual(rendered.map((m) => m[1] === 'short'), fields.map((f) => f.short === true));
    assert.ok(fields.filter((f) => f.short).length >= 2 && fields.some((f) => !f.short), 'both kinds present');
    const page = renderHtmlPage([message]);
    assert.match(page, /\.fields \{ display: grid; grid-template-columns: 1fr 1fr;/);
    assert.match(page, /\.field\.long \{ grid-column: 1 \/ -1; \}/);
  });

  test('the date token shows its fallback text, the headline its bold name', () => {
    const html = renderMessageHtml({
      text: '*CreateRole* by alice',
      attachments: [{ fields: [{ title: 'Event Time', value: '<!date^1688989338^{date_short_pretty} {time_secs}|2023-07-10 11:42:18 UTC>', short: true }] }],
    });
    assert.match(html, /<time datetime="2023-07-10T11:42:18.000Z">2023-07-10 11:42:18 UTC<\/time>/);
    assert.match(html, /<strong>CreateRole<\/strong> by alice/);
    assert.ok(!html.includes('!date^'));
  });

  test('escapeHtml covers the five characters that matter in content and attributes', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  test('a payload of the wrong shape renders without throwing', () => {
    for (const payload of [null, 42, 'text', [], { text: 5, attachments: 'no' }, { attachments: [null, { fields: [null, 3] }] }]) {
      assert.match(renderMessageHtml(payload), /^<article class="message"/);
    }
  });
});

describe('mrkdwn parsing', () => {
  test('entities, emphasis boundaries, code and tokens', () => {
    assert.equal(spansToText(parseMrkdwn('a &lt;b&gt; &amp;amp; c')), 'a <b> &amp; c');
    assert.deepEqual(parseMrkdwn('my_role_name').map((s) => s.italic ?? false), [false], 'snake_case is not italic');
    assert.deepEqual(parseMrkdwn('*Bold* and _it_').filter((s) => s.bold || s.italic).map((s) => s.text), ['Bold', 'it']);
    assert.deepEqual(parseMrkdwn('`*not bold*`'), [{ text: '*not bold*', code: true }]);
    assert.deepEqual(parseMrkdwn('<!here> <@U123|bob> <#C1|ops>').filter((s) => s.mention).map((s) => s.text), ['@here', '@bob', '#ops']);
    assert.deepEqual(parseMrkdwn('```{"a":"&lt;"}```'), [{ text: '{"a":"<"}', pre: true }]);
  });
});

describe('terminal preview', () => {
  const payload = {
    text: ':x: *DeleteBucket* by alice &amp; bob (IAMUser) in us-east-1 failed: AccessDenied',
    attachments: [
      {
        color: 'danger',
        text: '<https://console.example/x?a=1&amp;b=2|View in the console>',
        fields: [
          { title: 'Event Name', value: 'DeleteBucket', short: true },
          { title: 'Event Time', value: '<!date^1688989338^{date_short_pretty}|2023-07-10 11:42:18 UTC>', short: true },
          { title: 'User Agent', value: '`&lt;script&gt;`', short: false },
        ],
      },
    ],
  };

  test('plain: entities decoded, date fallback, link with its URL, short fields side by side', () => {
    const out = renderTerminalMessage(payload, { color: false, width: 100 });
    assert.ok(!out.includes(ESC), 'no escape codes without colour');
    const lines = out.trimEnd().split('\n');
    assert.equal(lines[0], '\u274c DeleteBucket by alice & bob (IAMUser) in us-east-1 failed: AccessDenied');
    assert.equal(lines[1], '| View in the console (https://console.example/x?a=1&b=2)');
    assert.match(lines[2] ?? '', /^\| Event Name: DeleteBucket +Event Time: 2023-07-10 11:42:18 UTC$/);
    assert.equal(lines[3], '| User Agent: `<script>`', 'a code span keeps its backticks without colour');
    assert.equal(lines.length, 4);
  });

  test('colour: bold headline, ANSI bar per colour, 24-bit for other hex', () => {
    const out = renderTerminalMessage(payload, { color: true, width: 100 });
    assert.ok(out.includes(`${ESC}[1mDeleteBucket${ESC}[0m`), 'bold headline');
    assert.ok(out.includes(`${ESC}[31m\u258c${ESC}[0m `), 'red bar for danger');
    const bar = (color: string) => renderTerminalMessage({ text: 'x', attachments: [{ color, text: 't' }] }, { color: true });
    assert.ok(bar('good').includes(`${ESC}[32m\u258c`));
    assert.ok(bar('warning').includes(`${ESC}[33m\u258c`));
    assert.ok(bar('#8e44ad').includes(`${ESC}[38;2;142;68;173m\u258c`));
  });

  test('escape sequences hidden in a payload never reach the terminal', () => {
    const evil = { text: `a${ESC}]0;pwned\u0007b ${ESC}[2J`, attachments: [{ color: 'good', fields: [{ title: `t${ESC}[31m`, value: `v\u009b2J`, short: true }] }] };
    for (const color of [false, true]) {
      const out = renderTerminalMessage(evil, { color });
      assert.ok(!out.includes(`${ESC}]`) && !out.includes('\u0007') && !out.includes('\u009b') && !out.includes(`${ESC}[2J`));
      assert.ok(!out.includes(`t${ESC}[31m`), 'the title carries no escape of its own');
    }
  });

  test('long values wrap inside the width, continuation lines behind the bar', () => {
    const long = { text: 'x', attachments: [{ color: 'good', fields: [{ title: 'Request Parameters', value: 'word '.repeat(60), short: false }] }] };
    const lines = renderTerminalMessage(long, { color: false, width: 60 }).trimEnd().split('\n').slice(1);
    assert.ok(lines.length >= 5);
    for (const line of lines) {
      assert.ok([...line].length <= 60, `fits: ${line}`);
      assert.ok(line.startsWith('| '));
    }
  });

  test('NO_COLOR and a non-terminal stdout turn colour off', () => {
    assert.equal(shouldUseColour({ isTTY: true }, {}), true);
    assert.equal(shouldUseColour({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(shouldUseColour({ isTTY: true }, { NO_COLOR: '' }), true, 'an empty NO_COLOR does not count (no-color.org)');
    assert.equal(shouldUseColour({ isTTY: false }, {}), false);
    assert.equal(shouldUseColour({}, {}), false);
  });
});

describe('the new messages in both previews (issue 8 item 5)', () => {
  const MENTION = '<!subteam^S0123ABCD|@security>';
  const record = fixtureWrite((r) => r.eventName === 'CreateAccessKey' && !r.errorCode);

  test('HTML: the marker as an emoji, the mention, the bar of the level, the rule title, the context line', () => {
    const html = renderMessageHtml(messageOf(record, 'critical', MENTION));
    assert.match(html, /<div class="text"><span class="mention">@security<\/span> \u{1F6A8} <strong>CreateAccessKey<\/strong> on <code>malicious-iam-user<\/code> by /u);
    assert.ok(!html.includes(':rotating_light:'), 'the emoji code is drawn, not printed');
    assert.match(html, /data-colour-bar style="background-color:#8b0000"/);
    assert.match(html, /<div class="field-title">Rule<\/div><div class="field-value"><strong>Critical<\/strong> · A critical rule<\/div>/);
    assert.match(html, /<div class="att-text"><time datetime="2023-07-10T12:24:50.000Z">2023-07-10 12:24:50 UTC<\/time> · from 192\.168\.10\.20 · iam\.amazonaws\.com\n<a href="https:\/\/us-east-1\.console\.aws\.amazon\.com\/cloudtrailv2\//);
    assert.match(renderMessageHtml(messageOf(record, 'high')), /<div class="text">\u26a0\ufe0f <strong>CreateAccessKey<\/strong>/u);
  });

  test('terminal: the marker, the bar of the level, the context line, the rule title and the created key', () => {
    const out = renderTerminalMessage(messageOf(record, 'critical', MENTION), { color: false, width: 200 });
    const lines = out.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^@security \u{1F6A8} CreateAccessKey on `malicious-iam-user` by `bert-jan` \(IAMUser\) in us-east-1 · account 123837392027$/u);
    assert.equal(lines[1], '| 2023-07-10 12:24:50 UTC · from 192.168.10.20 · iam.amazonaws.com');
    assert.match(lines[2] ?? '', /^\| View this event in the CloudTrail console \(https:\/\/us-east-1\.console\.aws\.amazon\.com\//);
    assert.ok(lines.includes('| Rule: Critical · A critical rule'), lines.join('\n'));
    assert.ok(lines.includes('| Created: access key `AKIATFQR7NSCQLA2F4OD`'), lines.join('\n'));
    const coloured = (level: Level) => renderTerminalMessage(messageOf(record, level), { color: true, width: 200 });
    assert.ok(coloured('critical').includes(`${ESC}[38;2;139;0;0m\u258c`), 'dark red bar, 24-bit');
    assert.ok(coloured('high').includes(`${ESC}[31m\u258c`), 'red bar');
    assert.ok(coloured('medium').includes(`${ESC}[33m\u258c`), 'yellow bar');
    assert.ok(coloured('low').includes(`${ESC}[38;2;67;159;224m\u258c`), 'blue bar');
    assert.ok(coloured('informational').includes(`${ESC}[32m\u258c`), 'green bar');
  });

  test('a digest renders in both: its summary, its bar, one line per event with its link and a failed call\'s :x:', () => {
    const items = [
      queueItem({ name: 'CreateTags', at: T0, resource: 'arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc', mention: MENTION, level: 'medium' }),
      queueItem({ name: 'DeleteTags', at: T0 + 1000, errorCode: 'AccessDenied', mention: MENTION }),
    ];
    const digest = formatDigestMessage(items, { repeatWindowMs: 0 });
    const html = renderMessageHtml(digest);
    assert.match(html, /<div class="text"><span class="mention">@security<\/span> 2 changes \(1 failed\) by Deployer\/terraform \(AssumedRole\) in eu-west-1/);
    assert.match(html, /data-colour-bar style="background-color:#ecb22e"/);
    assert.equal(count(html, '<a href="https://eu-west-1.console.aws.amazon.com/cloudtrailv2/'), 2);
    assert.match(html, /\u274c <code>AccessDenied<\/code>/u);
    const lines = renderTerminalMessage(digest, { color: false, width: 200 }).trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^@security 2 changes \(1 failed\) by Deployer\/terraform \(AssumedRole\) in eu-west-1/);
    assert.equal(lines.length, 4, lines.join('\n'));
    assert.equal(lines[3], '| 2026-11-26 12:00:01 UTC', 'the attachment\'s ts as its footer');
    assert.match(lines[1] ?? '', /^\| 2026-11-26 12:00:00 UTC CreateTags \(https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudtrailv2\/[^)]+\) `instance\/i-0abc`$/);
    assert.match(lines[2] ?? '', /^\| 2026-11-26 12:00:01 UTC DeleteTags \(https:.*\) \u274c `AccessDenied`$/u);
  });
});
