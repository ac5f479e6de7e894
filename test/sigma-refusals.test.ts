import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileRuleText, formatRuleLoadError } from '../src/rules/sigma';
import { refusalOf, ruleText } from './support/sigma';

/** [what, rule text, a pattern the one-line error must contain (it names the feature)] */
const detectionCases: Array<[string, string, RegExp]> = [
  ['an unknown modifier', 'sel:\n    eventName|foo: x\ncondition: sel', /unknown modifier "foo"/],
  ['a modifier cased wrongly', 'sel:\n    eventName|Contains: x\ncondition: sel', /unknown modifier "Contains"/],
  ['base64offset', 'sel:\n    requestParameters|base64offset|contains: x\ncondition: sel', /modifier "base64offset" .* not supported/],
  ['windash', 'sel:\n    userAgent|windash: -x\ncondition: sel', /modifier "windash" .* not supported/],
  ['expand (placeholders)', "sel:\n    sourceIPAddress|expand: '%ips%'\ncondition: sel", /modifier "expand" .* not supported/],
  ['gt', 'sel:\n    requestParameters.count|gt: 5\ncondition: sel', /modifier "gt" .* not supported/],
  ['a pipe aggregation', 'sel:\n    eventName: x\ncondition: sel | count() > 5', /pipe aggregation "\| count\(\) > 5"/],
  ['a pattern matching no identifier', 'sel:\n    eventName: x\ncondition: sel and not 1 of filter_*', /"1 of filter_\*" matches no search identifier/],
  ['an unknown identifier', 'sel:\n    eventName: x\ncondition: sel and not filtr', /unknown search identifier "filtr"/],
  ['an uppercase operator', 'sel:\n    eventName: x\nsel2:\n    eventName: y\ncondition: sel AND sel2', /"AND" is not an operator: operators are lowercase/],
  ['an uppercase NOT', 'sel:\n    eventName: x\ncondition: NOT sel', /"NOT" is not an operator/],
  ['a count other than 1/any/all', 'sel_a:\n    eventName: x\nsel_b:\n    eventName: y\ncondition: 2 of sel_*', /"2 of" is not supported/],
  ['an empty condition', "sel:\n    eventName: x\ncondition: ''", /condition is empty/],
  ['an unclosed parenthesis', 'sel:\n    eventName: x\ncondition: (sel', /unclosed parenthesis/],
  ['trailing words', 'sel:\n    eventName: x\ncondition: sel sel', /unexpected "sel" after a complete expression/],
  ['a stray character', 'sel:\n    eventName: x\ncondition: sel & sel', /unexpected "&"/],
  ['an operator in place of an identifier', 'sel:\n    eventName: x\ncondition: sel and or sel', /"or" where a search identifier was expected/],
  ['a missing condition', 'sel:\n    eventName: x', /"detection.condition" is missing/],
  ['a condition that is a map', 'sel:\n    eventName: x\ncondition:\n    a: b', /must be a string/],
  ['a keyword list', 'keywords:\n    - StopLogging\n    - DeleteTrail\ncondition: keywords', /keyword search/],
  ['a keyword with |all', "keywords:\n    '|all':\n        - a\n        - b\ncondition: keywords", /keyword search/],
  ['timeframe', 'sel:\n    eventName: x\ntimeframe: 5m\ncondition: sel', /"timeframe" .* not supported/],
  ['an invalid JavaScript regex', "sel:\n    userAgent|re: '(unclosed'\ncondition: sel", /not a valid JavaScript regular expression/],
  ['a regex backreference', "sel:\n    userAgent|re: '(a)\\1'\ncondition: sel", /backreference/],
  ['a regex lookahead', "sel:\n    userAgent|re: 'a(?=b)'\ncondition: sel", /lookaround/],
  ['a re flag without re', 'sel:\n    eventName|i: x\ncondition: sel', /"i" .* flag of "re"/],
  ['contains with endswith', 'sel:\n    eventName|contains|endswith: x\ncondition: sel', /"contains" and "endswith" cannot be combined/],
  ['re with cased', "sel:\n    eventName|re|cased: 'x'\ncondition: sel", /"re" and "cased" cannot be combined/],
  ['cidr with contains', "sel:\n    sourceIPAddress|cidr|contains: '10.0.0.0/8'\ncondition: sel", /cannot be combined/],
  ['exists with a string', "sel:\n    errorCode|exists: 'yes'\ncondition: sel", /"exists" needs the value true or false/],
  ['exists with contains', 'sel:\n    errorCode|exists|contains: true\ncondition: sel', /"exists" takes no other modifier/],
  ['an invalid network', "sel:\n    sourceIPAddress|cidr: '10.0.0.0/33'\ncondition: sel", /not an IPv4 or IPv6 network/],
  ['null inside a list', 'sel:\n    errorCode:\n        - Success\n        - null\ncondition: sel', /null inside a list/],
  ['null with a modifier', 'sel:\n    errorCode|contains: null\ncondition: sel', /null cannot take modifiers/],
  ['all with a single value', 'sel:\n    eventName|all: x\ncondition: sel', /"all" needs a list/],
  ['an empty list', 'sel:\n    eventName: []\ncondition: sel', /empty list of values/],
  ['a map as a value', 'sel:\n    requestParameters:\n        a: b\ncondition: sel', /a list or map as a value/],
  ['an empty selection', 'sel: {}\ncondition: sel', /empty map/],
  ['a scalar selection', 'sel: StopLogging\ncondition: sel', /must be a map of fields/],
  ['fieldref to a number', 'sel:\n    eventName|fieldref: 5\ncondition: sel', /"fieldref" needs a field name/],
];

describe('rules refused at load, one line naming the feature', () => {
  for (const [what, detection, pattern] of detectionCases) {
    test(what, () => {
      assert.match(refusalOf(ruleText(detection)), pattern);
    });
  }
});

describe('rule documents refused at load', () => {
  const valid = 'detection:\n    sel:\n        eventName: x\n    condition: sel\n';
  const aws = 'logsource:\n    product: aws\n    service: cloudtrail\n';
  const cases: Array<[string, string, RegExp]> = [
    ['a missing detection', `title: t\n${aws}`, /"detection" is missing/],
    ['a missing title', `${aws}${valid}`, /"title" is missing/],
    ['a missing logsource', `title: t\n${valid}`, /"logsource" is missing/],
    ['another product', `title: t\nlogsource:\n    product: windows\n    service: security\n${valid}`,
      /another log source \(product "windows", service "security"\)/],
    ['another AWS service', `title: t\nlogsource:\n    product: aws\n    service: guardduty\n${valid}`, /another log source/],
    ['a category', `title: t\nlogsource:\n    category: process_creation\n    product: aws\n    service: cloudtrail\n${valid}`,
      /another log source .*category "process_creation"/],
    ['an unknown level', `title: t\nlevel: severe\n${aws}${valid}`, /level "severe" is not one of/],
    ['an id that is not a string', `title: t\nid: 12\n${aws}${valid}`, /"id" must be a string/],
    ['tags that are not strings', `title: t\ntags:\n    - a: b\n${aws}${valid}`, /"tags" must be a list of strings/],
    ['a Sigma 1 collection', `action: global\ntitle: t\n${aws}${valid}`, /rule collections \("action: global"\)/],
    ['a correlation rule', 'title: t\ncorrelation:\n    type: event_count\n', /correlation rules are not supported/],
    ['a document that is a list', '- a\n- b\n', /must be a map/],
    ['bad YAML', `title: t\n${aws}detection:\n  sel: [a\n`, /YAML error: .*line \d+, column \d+/],
    ['a duplicate key', `title: t\ntitle: u\n${aws}${valid}`, /YAML error: Map keys must be unique/],
    ['an unknown tag', `title: !!js/function 'x'\n${aws}${valid}`, /YAML warning: .*tag/],
    ['an alias bomb', `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\ntitle: t\n${aws}${valid}`,
      /YAML error: .*alias/i],
  ];
  for (const [what, text, pattern] of cases) {
    test(what, () => {
      assert.match(refusalOf(text), pattern);
    });
  }

  test('an empty file holds no rule', () => {
    assert.match(refusalOf('# only a comment\n'), /the file holds no rule/);
  });

  test('the error line names the file and the id, and formatRuleLoadError joins them', () => {
    const { errors } = compileRuleText(`title: t\nid: rule-7\n${aws}detection:\n    sel:\n        a|nope: 1\n    condition: sel\n`, 'rules/custom/x.yml');
    assert.deepEqual(errors, [{ file: 'rules/custom/x.yml', id: 'rule-7', error: 'detection.sel: unknown modifier "nope" in "a|nope"' }]);
    assert.equal(formatRuleLoadError(errors[0]!), 'rules/custom/x.yml: detection.sel: unknown modifier "nope" in "a|nope"');
  });

  test('in a file of several documents, a refused rule does not stop the others', () => {
    const good = (id: string) => `title: ${id}\nid: ${id}\n${aws}${valid}`;
    const text = [good('first'), `title: bad\nid: bad\n${aws}detection:\n    sel:\n        x|base64: y\n    condition: sel\n`, good('third'), good('first')].join('---\n');
    const { rules, errors } = compileRuleText(text, 'multi.yml');
    assert.deepEqual(rules.map((r) => r.id), ['first', 'third']);
    assert.deepEqual(errors.map((e) => [e.id, e.error]), [
      ['bad', 'document 2: detection.sel: modifier "base64" in "x|base64" is not supported'],
      ['first', 'document 4: duplicate id "first" (already used earlier in this file)'],
    ]);
  });
});
