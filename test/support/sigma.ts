import assert from 'node:assert/strict';
import { compileRuleText, type CompiledRule } from '../../src/rules/sigma';

/** A rule document around `detection` (YAML, indented 4 spaces under `detection:`). */
export function ruleText(detection: string, extra = ''): string {
  const body = detection
    .trim()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  return `title: Test rule\n${extra}logsource:\n    product: aws\n    service: cloudtrail\ndetection:\n${body}\n`;
}

/** Compiles one rule and fails the test if it was refused. */
export function compileOne(detection: string, extra = '', file = 'test-rule.yml'): CompiledRule {
  const { rules, errors } = compileRuleText(ruleText(detection, extra), file);
  assert.deepEqual(errors, [], 'the rule loads');
  assert.equal(rules.length, 1);
  return rules[0]!;
}

/** The refusal line for a rule that must not load. */
export function refusalOf(text: string, file = 'bad-rule.yml'): string {
  const { rules, errors } = compileRuleText(text, file);
  assert.equal(rules.length, 0, 'the rule is refused');
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.file, file);
  assert.doesNotMatch(errors[0]!.error, /\n/, 'one line');
  return errors[0]!.error;
}
