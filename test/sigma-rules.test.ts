import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CloudTrailRecord } from '../src/events/types';
import { loadFixtureRecords } from './support/fixtures';
import { compileOne } from './support/sigma';

const records = loadFixtureRecords();
const real = (name: string, pick: (r: CloudTrailRecord) => boolean = () => true) =>
  records.find((r) => r.eventName === name && pick(r))!;
const countMatches = (detection: string) => {
  const rule = compileOne(detection);
  return records.filter((r) => rule.matches(r)).length;
};
const countWhere = (pick: (r: CloudTrailRecord) => boolean) => records.filter(pick).length;

describe('Sigma detection structure', () => {
  test('a map is AND: every field must match (real records)', () => {
    const rule = compileOne(`
selection:
    eventSource: ssm.amazonaws.com
    eventName: DeleteParameter
    errorCode: ThrottlingException
condition: selection`);
    const expected = countWhere(
      (r) => r.eventSource === 'ssm.amazonaws.com' && r.eventName === 'DeleteParameter' && r.errorCode === 'ThrottlingException',
    );
    assert.ok(expected > 0 && expected < countWhere((r) => r.eventName === 'DeleteParameter'));
    assert.equal(records.filter((r) => rule.matches(r)).length, expected);
    assert.equal(rule.matches(real('DeleteParameter', (r) => r.errorCode === undefined)), false);
  });

  test('a list of values is OR (real records)', () => {
    const expected = countWhere((r) => r.eventName === 'StopLogging' || r.eventName === 'StartLogging');
    assert.ok(expected > 2);
    assert.equal(countMatches('selection:\n    eventName: [StopLogging, StartLogging]\ncondition: selection'), expected);
  });

  test('|all turns a list into AND, each value against the whole object (real PutBucketPolicy)', () => {
    const both = compileOne(`
selection:
    eventName: PutBucketPolicy
    requestParameters|contains|all:
        - 'cloudtrail.amazonaws.com'
        - 's3:PutObject'
condition: selection`);
    const one = compileOne(`
selection:
    eventName: PutBucketPolicy
    requestParameters|contains|all:
        - 'cloudtrail.amazonaws.com'
        - 'not-in-any-policy'
condition: selection`);
    const policy = real('PutBucketPolicy');
    assert.equal(both.matches(policy), true);
    assert.equal(one.matches(policy), false);
  });

  test('|all over an array: each value may match a different element (synthetic)', () => {
    const rule = compileOne('selection:\n    tags|all: [a, b]\ncondition: selection');
    assert.equal(rule.matches({ tags: ['b', 'x', 'a'] }), true);
    assert.equal(rule.matches({ tags: ['a', 'x'] }), false);
  });

  test('a list of maps is OR (real records)', () => {
    const expected = countWhere((r) => r.eventName === 'CreateVpc' || r.eventName === 'CreateSubnet');
    assert.ok(expected > 2);
    assert.equal(countMatches('selection:\n    - eventName: CreateVpc\n    - eventName: CreateSubnet\ncondition: selection'), expected);
  });
});

describe('Sigma values', () => {
  test('values match case-insensitively, with * and ? wildcards (real records)', () => {
    const rule = compileOne("selection:\n    eventName: 'stop*'\n    eventSource: 'CLOUDTRAIL.amazonaws.co?'\ncondition: selection");
    assert.equal(rule.matches(real('StopLogging')), true);
    assert.equal(rule.matches(real('StartLogging')), false);
  });

  test('an escaped \\* in a rule value is a literal star (synthetic)', () => {
    const rule = compileOne("selection:\n    requestParameters.resource: 'arn:aws:s3:::bucket/\\*'\ncondition: selection");
    assert.equal(rule.matches({ requestParameters: { resource: 'arn:aws:s3:::bucket/*' } }), true);
    assert.equal(rule.matches({ requestParameters: { resource: 'arn:aws:s3:::bucket/key' } }), false);
  });

  test("'NO' matches CloudTrail's \"No\" (API-FACTS H.9; real ConsoleLogin)", () => {
    const rule = compileOne("selection:\n    additionalEventData.MFAUsed: 'NO'\ncondition: selection");
    assert.equal(rule.matches(real('ConsoleLogin', (r) => (r.additionalEventData as { MFAUsed?: string })?.MFAUsed === 'No')), true);
  });

  test('cased makes plain and wildcard values case-sensitive (real records)', () => {
    const lower = compileOne('selection:\n    userIdentity.userName|cased: benjamin\ncondition: selection');
    const upper = compileOne('selection:\n    userIdentity.userName|cased: Benjamin\ncondition: selection');
    const wild = compileOne("selection:\n    eventName|cased|startswith: 'stop'\ncondition: selection");
    const record = real('GetRegionOptStatus');
    assert.equal(lower.matches(record), true);
    assert.equal(upper.matches(record), false);
    assert.equal(wild.matches(real('StopLogging')), false);
  });

  test('null matches an absent field or JSON null, not an empty string (real and synthetic)', () => {
    const rule = compileOne('selection:\n    eventName: DeleteBucket\n    errorCode: null\ncondition: selection');
    assert.equal(rule.matches(real('DeleteBucket', (r) => r.errorCode === undefined)), true);
    assert.equal(rule.matches(real('DeleteBucket', (r) => r.errorCode === 'BucketNotEmpty')), false);
    assert.equal(rule.matches({ eventName: 'DeleteBucket', errorCode: null }), true);
    assert.equal(rule.matches({ eventName: 'DeleteBucket', errorCode: '' }), false);
  });

  test("'' is the empty value (synthetic)", () => {
    const rule = compileOne("selection:\n    requestParameters.logging: ''\ncondition: selection");
    assert.equal(rule.matches({ requestParameters: { logging: '' } }), true);
    assert.equal(rule.matches({ requestParameters: {} }), false);
  });

  test('numbers and booleans compare as strings with the record, either side (real and synthetic)', () => {
    const readOnly = compileOne('selection:\n    readOnly: false\n    eventSource: rds.amazonaws.com\ncondition: selection');
    const rdsWrites = countWhere((r) => r.eventSource === 'rds.amazonaws.com' && r.readOnly === false);
    assert.ok(rdsWrites > 0 && rdsWrites < countWhere((r) => r.eventSource === 'rds.amazonaws.com'));
    assert.equal(records.filter((r) => readOnly.matches(r)).length, rdsWrites);
    const quoted = compileOne("selection:\n    responseElements.publiclyAccessible: 'true'\ncondition: selection");
    assert.equal(quoted.matches({ responseElements: { publiclyAccessible: true } }), true);
    assert.equal(quoted.matches({ responseElements: { publiclyAccessible: 'TRUE' } }), true);
    assert.equal(quoted.matches({ responseElements: { publiclyAccessible: false } }), false);
    const port = compileOne('selection:\n    requestParameters.ipPermissions.items.fromPort: 0\ncondition: selection');
    assert.equal(port.matches(real('RevokeSecurityGroupEgress')), true);
    const number = compileOne('selection:\n    requestParameters.port: 443\ncondition: selection');
    assert.equal(number.matches({ requestParameters: { port: '443' } }), true);
    assert.equal(number.matches({ requestParameters: { port: 4430 } }), false);
  });

  test('dotted paths reach through nested arrays: any element matches (real and synthetic)', () => {
    const rule = compileOne(
      "selection:\n    requestParameters.ipPermissions.items.ipRanges.items.cidrIp: '0.0.0.0/0'\ncondition: selection",
    );
    assert.equal(rule.matches(real('RevokeSecurityGroupEgress')), true);
    const twoRules = {
      requestParameters: {
        ipPermissions: {
          items: [
            { ipRanges: { items: [{ cidrIp: '10.0.0.0/8' }] } },
            { ipRanges: { items: [{ cidrIp: '172.16.0.0/12' }, { cidrIp: '0.0.0.0/0' }] } },
          ],
        },
      },
    };
    assert.equal(rule.matches(twoRules), true);
    twoRules.requestParameters.ipPermissions.items[1]!.ipRanges.items.pop();
    assert.equal(rule.matches(twoRules), false);
  });
});

describe('Sigma modifiers', () => {
  test('contains, startswith, endswith (real records; Lambda names carry version suffixes)', () => {
    assert.equal(countMatches("selection:\n    eventName|startswith: UpdateFunctionCode\ncondition: selection"), 1);
    assert.equal(countMatches("selection:\n    eventName: UpdateFunctionCode\ncondition: selection"), 0);
    const unauthorized = countWhere((r) => (r.errorCode ?? '').endsWith('UnauthorizedOperation'));
    const denied = countWhere((r) => /denied/i.test(r.errorCode ?? ''));
    assert.ok(unauthorized > 0 && denied > 0);
    assert.equal(countMatches("selection:\n    errorCode|endswith: UnauthorizedOperation\ncondition: selection"), unauthorized);
    assert.equal(countMatches("selection:\n    errorCode|contains: DENIED\ncondition: selection"), denied);
  });

  test("contains on an object matches its JSON text; '|contains: *' needs the field present (synthetic)", () => {
    const versioning = compileOne("selection:\n    requestParameters|contains: Suspended\ncondition: selection");
    assert.equal(versioning.matches({ requestParameters: { VersioningConfiguration: { Status: 'Suspended' } } }), true);
    const present = compileOne("selection:\n    requestParameters.layers|contains: '*'\ncondition: selection");
    assert.equal(present.matches({ requestParameters: { layers: ['arn:aws:lambda:layer:1'] } }), true);
    assert.equal(present.matches({ requestParameters: {} }), false);
    assert.equal(present.matches({ requestParameters: { layers: [] } }), false);
  });

  test('re is case-sensitive by default; i, m and s flags (synthetic)', () => {
    const plain = compileOne("selection:\n    userIdentity.arn|re: '.+:assumed-role/aws:.+'\ncondition: selection");
    assert.equal(plain.matches({ userIdentity: { arn: 'arn:aws:sts::1:assumed-role/aws:ec2/x' } }), true);
    assert.equal(plain.matches({ userIdentity: { arn: 'arn:aws:sts::1:ASSUMED-ROLE/aws:ec2/x' } }), false);
    const ignore = compileOne("selection:\n    userIdentity.arn|re|i: ':ASSUMED-ROLE/'\ncondition: selection");
    assert.equal(ignore.matches({ userIdentity: { arn: 'arn:aws:sts::1:assumed-role/x' } }), true);
    const multi = compileOne("selection:\n    errorMessage|re|m: '^denied$'\ncondition: selection");
    assert.equal(multi.matches({ errorMessage: 'first line\ndenied\nlast' }), true);
    const dotall = compileOne("selection:\n    errorMessage|re|s: 'first.+last'\ncondition: selection");
    assert.equal(dotall.matches({ errorMessage: 'first line\ndenied\nlast' }), true);
    assert.equal(compileOne("selection:\n    errorMessage|re: 'first.+last'\ncondition: selection").matches({
      errorMessage: 'first line\ndenied\nlast',
    }), false);
  });

  test('re on real user agents', () => {
    const expected = countWhere((r) => /stratus-red-team_[0-9a-f]{8}-/.test(r.userAgent ?? ''));
    assert.ok(expected > 0 && expected < records.length);
    assert.equal(countMatches("selection:\n    userAgent|re: 'stratus-red-team_[0-9a-f]{8}-'\ncondition: selection"), expected);
  });

  test('fieldref compares two fields of the same record, with endswith and cased (real and synthetic)', () => {
    const same = compileOne('selection:\n    userIdentity.arn|fieldref|endswith: userIdentity.userName\ncondition: selection');
    assert.equal(same.matches(real('GetUser')), true);
    assert.equal(same.matches(real('LeaveOrganization')), false); // an assumed role has no userName
    const equal = compileOne('selection:\n    requestParameters.userName|fieldref: userIdentity.userName\ncondition: selection');
    assert.equal(equal.matches({ userIdentity: { userName: 'Alice' }, requestParameters: { userName: 'alice' } }), true);
    assert.equal(equal.matches({ userIdentity: { userName: 'alice' }, requestParameters: { userName: 'bob' } }), false);
    assert.equal(equal.matches({ requestParameters: { userName: 'alice' } }), false);
    const cased = compileOne('selection:\n    requestParameters.userName|fieldref|cased: userIdentity.userName\ncondition: selection');
    assert.equal(cased.matches({ userIdentity: { userName: 'Alice' }, requestParameters: { userName: 'alice' } }), false);
  });

  test('exists checks presence only: null and [] are present (synthetic and real)', () => {
    const has = compileOne('selection:\n    errorCode|exists: true\ncondition: selection');
    const hasNot = compileOne('selection:\n    errorCode|exists: false\ncondition: selection');
    assert.equal(has.matches({ errorCode: null }), true);
    assert.equal(has.matches({ errorCode: [] }), true);
    assert.equal(has.matches({}), false);
    assert.equal(hasNot.matches({}), true);
    assert.equal(records.filter((r) => has.matches(r)).length, records.filter((r) => 'errorCode' in r).length);
  });

  test('cidr matches IPv4 (real sourceIPAddress) and IPv6 (synthetic) networks', () => {
    const v4 = compileOne('selection:\n    sourceIPAddress|cidr: 192.168.0.0/16\ncondition: selection');
    assert.equal(v4.matches(real('RevokeSecurityGroupEgress')), true);
    assert.equal(v4.matches({ sourceIPAddress: 'AWS Internal' }), false);
    const v6 = compileOne("selection:\n    sourceIPAddress|cidr:\n        - '2001:db8::/32'\n        - 10.0.0.0/8\ncondition: selection");
    assert.equal(v6.matches({ sourceIPAddress: '2001:db8::beef' }), true);
    assert.equal(v6.matches({ sourceIPAddress: '10.248.16.43' }), true);
    assert.equal(v6.matches({ sourceIPAddress: '2001:dead::1' }), false);
  });
});

describe('Sigma conditions', () => {
  const detection = (condition: string) => `
sel_a:
    x: a
sel_b:
    y: b
other_c:
    z: c
_hidden:
    x: hidden
condition: ${condition}`;
  const cases: Array<[string, Record<string, unknown>, boolean]> = [
    ['sel_a and sel_b', { x: 'a', y: 'b' }, true],
    ['sel_a and sel_b', { x: 'a' }, false],
    ['sel_a or other_c', { z: 'c' }, true],
    ['not sel_a', { x: 'b' }, true],
    ['not sel_a', { x: 'a' }, false],
    ['sel_a or sel_b and other_c', { x: 'a' }, true], // and binds tighter than or
    ['(sel_a or sel_b) and other_c', { x: 'a' }, false],
    ['not sel_a and sel_b', { y: 'b' }, true], // (not sel_a) and sel_b
    ['not (sel_a and sel_b)', { x: 'a' }, true],
    ['not not sel_a', { x: 'a' }, true],
    ['1 of sel_*', { y: 'b' }, true],
    ['any of sel_*', { z: 'c' }, false],
    ['all of sel_*', { x: 'a', y: 'b' }, true],
    ['all of sel_*', { x: 'a' }, false],
    ['1 of them', { z: 'c' }, true],
    ['1 of them', { x: 'hidden' }, false], // `them` skips identifiers starting with _
    ['all of them', { x: 'a', y: 'b', z: 'c' }, true],
    ['1 of _hid*', { x: 'hidden' }, true], // a pattern that starts with _ may name them
    ['sel_a and not 1 of other*', { x: 'a', z: 'c' }, false],
  ];
  for (const [condition, record, expected] of cases) {
    test(`${condition} on ${JSON.stringify(record)} → ${expected}`, () => {
      assert.equal(compileOne(detection(condition)).matches(record), expected);
    });
  }

  test('a list of conditions is OR (spec §Condition)', () => {
    const rule = compileOne(`${detection('sel_a').replace(/condition: .*/, '')}condition:\n    - sel_a\n    - other_c`);
    assert.equal(rule.matches({ z: 'c' }), true);
    assert.equal(rule.matches({ y: 'b' }), false);
  });

  test('SigmaHQ-style: selection and 1 of status_* (errorCode Success or absent), real records', () => {
    const rule = compileOne(`
selection:
    eventSource: s3.amazonaws.com
    eventName: DeleteBucket
selection_status_success:
    errorCode: Success
selection_status_absent:
    errorCode: null
condition: selection and 1 of selection_status_*`);
    const expected = countWhere((r) => r.eventName === 'DeleteBucket' && (r.errorCode ?? 'Success') === 'Success');
    assert.ok(expected > 0 && expected < countWhere((r) => r.eventName === 'DeleteBucket'));
    assert.equal(records.filter((r) => rule.matches(r)).length, expected);
  });
});

describe('records that are not what a rule expects', () => {
  const rule = compileOne('selection:\n    userIdentity.type: Root\nfilter:\n    eventName: x\ncondition: not filter');

  test('null, arrays and strings match no rule, even `not filter`', () => {
    for (const record of [null, undefined, 'text', 42, [], [{ eventName: 'y' }]]) assert.equal(rule.matches(record), false);
  });

  test('an Insights record (no userIdentity, API-FACTS M) is read without error', () => {
    const insight = { eventVersion: '1.07', eventType: 'AwsCloudTrailInsight', insightDetails: { state: 'Start' } };
    assert.equal(rule.matches(insight), true);
    assert.equal(compileOne('selection:\n    userIdentity.type: Root\ncondition: selection').matches(insight), false);
  });

  test('a 200 KB user agent goes through contains, endswith, wildcard and re rules (hostile)', () => {
    const userAgent = `${'a'.repeat(200_000)}:assumed-role/aws:`;
    const record = { eventName: 'X', userAgent, userIdentity: { arn: userAgent } };
    const rules = [
      "selection:\n    userAgent|contains: 'a?a?a?a?b'\ncondition: selection",
      "selection:\n    userAgent|endswith: 'aab'\ncondition: selection",
      "selection:\n    userAgent: '*a*a*a*a*a*a*a*a*a*a*b*'\ncondition: selection",
      "selection:\n    userIdentity.arn|re: '.+:assumed-role/aws:.+'\ncondition: selection",
      "selection:\n    userAgent|re: '(a+)+b'\ncondition: selection",
    ].map((d) => compileOne(d));
    assert.deepEqual(rules.map((r) => r.matches(record)), [false, false, false, false, false]);
  });
});
