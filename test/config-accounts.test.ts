import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../src/config/load';
import { describeConfig } from '../src/config/describe';
import type { Config } from '../src/config/types';
import { ConfigError } from '../src/lib/errors';
import { SINGLE_SHARD } from '../src/targets/shard';

// Issue 10 items 1 and 5: the config file's `accounts`, `organization` and `shards`, and the shard an instance takes
// from --shard, CLOUDTRAIL_SLACK_SHARD, or an engine's index with a count.

const HOOK = 'https://hooks.slack.com/services/T0/B0/SECRETTOKEN123';
const baseEnv = { SLACK_WEBHOOK_URL: HOOK };

function load(file?: object, env: Record<string, string> = {}, flags: Record<string, unknown> = {}): Config {
  return loadConfig({
    flags: { ...flags, ...(file === undefined ? {} : { configFile: 'c.json' }) },
    env: { ...baseEnv, ...env },
    cwd: '/srv',
    readFile: () => JSON.stringify(file),
  });
}

/** The one-line ConfigError `run` throws (exit 78 through runCli); its message must match `pattern`. */
function refused(run: () => unknown, pattern: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /\n/);
    assert.doesNotMatch(error.message, /SECRETTOKEN/);
    assert.doesNotMatch(error.message, /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u, 'the line shows no raw control or format character');
    return true;
  });
}

const PROD = '123456789012';
const DEV = '210987654321';

describe('accounts', () => {
  test('each account with its name, role, external ID, profile and regions; the default: undefined (single account)', () => {
    const config = load({
      accounts: [
        { id: PROD, name: 'prod', roleArn: `arn:aws:iam::${PROD}:role/ops/CloudTrailSlackRead`, externalId: 'x-1=a,b.c@d:e/f' },
        { id: DEV, profile: 'dev', regions: ['eu-west-1', 'us-east-1'] },
      ],
    });
    assert.deepEqual(config.accounts, [
      { id: PROD, name: 'prod', roleArn: `arn:aws:iam::${PROD}:role/ops/CloudTrailSlackRead`, externalId: 'x-1=a,b.c@d:e/f' },
      { id: DEV, profile: 'dev', regions: ['eu-west-1', 'us-east-1'] },
    ]);
    assert.equal(config.organization, undefined);
    assert.equal(load({}).accounts, undefined);
    assert.equal(load({}).organization, undefined);
    assert.ok(load({ accounts: [{ id: PROD, roleArn: `arn:aws-us-gov:iam::${PROD}:role/r` }] }).accounts);
  });

  const bad: Array<[string, object, RegExp]> = [
    ['an empty list', { accounts: [] }, /accounts: expected at least one account/],
    ['an ID of 11 digits', { accounts: [{ id: '12345678901' }] }, /accounts\[0\]\.id: expected an AWS account ID of 12 digits.*found "12345678901"/],
    ['an ID as a number', { accounts: [{ id: 123456789012 }] }, /accounts\[0\]\.id: expected an AWS account ID of 12 digits \(in quotes\)/],
    ['an ID twice', { accounts: [{ id: PROD }, { id: DEV }, { id: PROD }] }, /accounts\[2\]\.id: 123456789012 is listed twice/],
    ['a role ARN of another account', { accounts: [{ id: PROD, roleArn: `arn:aws:iam::${DEV}:role/r` }] }, /accounts\[0\]\.roleArn: the role's account 210987654321 is not the account's id 123456789012/],
    ['a user ARN', { accounts: [{ id: PROD, roleArn: `arn:aws:iam::${PROD}:user/u` }] }, /accounts\[0\]\.roleArn: expected an IAM role ARN like arn:aws:iam::123456789012:role\/Name/],
    ['a role name of 65 characters', { accounts: [{ id: PROD, roleArn: `arn:aws:iam::${PROD}:role/${'r'.repeat(65)}` }] }, /accounts\[0\]\.roleArn: expected an IAM role ARN/],
    ['a role and a profile', { accounts: [{ id: PROD, roleArn: `arn:aws:iam::${PROD}:role/r`, profile: 'p' }] }, /accounts\[0\]: roleArn and profile are two ways to reach the account; give one/],
    ['an external ID of one character', { accounts: [{ id: PROD, roleArn: `arn:aws:iam::${PROD}:role/r`, externalId: 'x' }] }, /accounts\[0\]\.externalId: expected 2 to 1224 characters/],
    ['an external ID with a space', { accounts: [{ id: PROD, roleArn: `arn:aws:iam::${PROD}:role/r`, externalId: 'a b' }] }, /accounts\[0\]\.externalId: expected 2 to 1224 characters of letters, digits and \+=,\.@:\/_-/],
    ['an external ID without a role', { accounts: [{ id: PROD, externalId: 'abc' }] }, /accounts\[0\]\.externalId: only with roleArn/],
    ['a profile with a slash', { accounts: [{ id: PROD, profile: 'a/b' }] }, /accounts\[0\]\.profile: expected an AWS profile name/],
    ['a bad region', { accounts: [{ id: PROD, regions: ['useast1'] }] }, /accounts\[0\]\.regions\[0\]: expected a region name like us-east-1/],
    ['regions: all for one account', { accounts: [{ id: PROD, regions: 'all' }] }, /accounts\[0\]\.regions: expected an array of region names/],
    ['a name of 51 characters', { accounts: [{ id: PROD, name: 'n'.repeat(51) }] }, /accounts\[0\]\.name: expected 1 to 50 characters/],
    ['a name with a line break', { accounts: [{ id: PROD, name: 'a\nb' }] }, /accounts\[0\]\.name: expected 1 to 50 characters without control or format characters/],
    // Format characters (Unicode Cf) hide or reorder text: "prod" + RLO could pass for another account's name.
    ['a name with a right-to-left override', { accounts: [{ id: PROD, name: 'prod\u202e' }] }, /^config file [^:]+: accounts\[0\]\.name: expected 1 to 50 characters without control or format characters .*, found "prod\[U\+202E\]"$/],
    ['a name with a zero-width space', { accounts: [{ id: PROD, name: 'pr\u200bod' }] }, /accounts\[0\]\.name: expected 1 to 50 characters without control or format characters.*found "pr\[U\+200B\]od"/],
    ['a name with a line separator', { accounts: [{ id: PROD, name: 'a\u2028b' }] }, /accounts\[0\]\.name: .*found "a\[U\+2028\]b"/],
    ['a name with a NUL', { accounts: [{ id: PROD, name: 'a\u0000b' }] }, /accounts\[0\]\.name: .*found "a\\u0000b"/],
    ['a name with a C1 control', { accounts: [{ id: PROD, name: 'a\u009bb' }] }, /accounts\[0\]\.name: .*found "a\[U\+009B\]b"/],
    ['a name with a lone surrogate', { accounts: [{ id: PROD, name: 'a\ud800b' }] }, /accounts\[0\]\.name: expected 1 to 50 characters without control or format characters/],
    ['a misspelt key', { accounts: [{ id: PROD, rolearn: 'x' }] }, /unknown key 'accounts\[0\]\.rolearn' \(did you mean 'accounts\[0\]\.roleArn'\?\)/],
  ];
  for (const [what, file, pattern] of bad) {
    test(`refused in one line: ${what}`, () => refused(() => load(file), pattern));
  }
});

describe('organization', () => {
  test('roleName, externalId, exclude and regions; exclude defaults to none', () => {
    const config = load({ organization: { roleName: 'CloudTrailSlackRead', externalId: 'ext-123', exclude: [DEV], regions: ['eu-west-1'] } });
    assert.deepEqual(config.organization, { roleName: 'CloudTrailSlackRead', externalId: 'ext-123', exclude: [DEV], regions: ['eu-west-1'] });
    assert.equal(config.accounts, undefined);
    assert.deepEqual(load({ organization: { roleName: 'r+=,.@-_9' } }).organization, { roleName: 'r+=,.@-_9', exclude: [] });
  });

  const bad: Array<[string, object, RegExp]> = [
    ['no roleName', { organization: {} }, /organization\.roleName: expected an IAM role name/],
    ['a roleName with a path', { organization: { roleName: 'ops/Read' } }, /organization\.roleName: expected an IAM role name of 1 to 64 letters, digits and \+=,\.@_-/],
    ['a roleName of 65 characters', { organization: { roleName: 'r'.repeat(65) } }, /organization\.roleName: expected an IAM role name/],
    ['an exclude that is not an ID', { organization: { roleName: 'r', exclude: ['prod'] } }, /organization\.exclude\[0\]: expected an AWS account ID of 12 digits/],
    ['a bad external ID', { organization: { roleName: 'r', externalId: 'a' } }, /organization\.externalId: expected 2 to 1224 characters/],
    ['a misspelt key', { organization: { roleName: 'r', exlude: [] } }, /unknown key 'organization\.exlude' \(did you mean 'organization\.exclude'\?\)/],
    ['with accounts', { organization: { roleName: 'r' }, accounts: [{ id: PROD }] }, /accounts and organization: give one \(accounts lists them, organization discovers them\), not both/],
  ];
  for (const [what, file, pattern] of bad) {
    test(`refused in one line: ${what}`, () => refused(() => load(file), pattern));
  }
});

describe('regions: all is for the single account', () => {
  test('refused with accounts or organization, from the file or -r all', () => {
    const why = /regions "all" \(region discovery\) is for the single account of the credentials: list the regions with accounts or organization/;
    refused(() => load({ regions: 'all', accounts: [{ id: PROD }] }), why);
    refused(() => load({ regions: 'all', organization: { roleName: 'r' } }), why);
    refused(() => load({ accounts: [{ id: PROD }] }, {}, { regions: ['all'] }), why);
    assert.equal(load({ regions: 'all' }).discoverRegions, true, 'still fine for the single account');
    // A list given as a flag turns discovery off: then accounts are fine.
    assert.deepEqual(load({ regions: 'all', accounts: [{ id: PROD }] }, {}, { regions: ['eu-west-1'] }).regions, ['eu-west-1']);
  });
});

describe('the shard', () => {
  test('default: one shard of one, whatever pm2 says without a count', () => {
    assert.deepEqual(load({}).shard, SINGLE_SHARD);
    assert.deepEqual(load({}, { NODE_APP_INSTANCE: '0' }).shard, SINGLE_SHARD);
    refused(
      () => load({}, { NODE_APP_INSTANCE: '2' }),
      /^NODE_APP_INSTANCE is 2: pm2 runs several instances, but there is no shard count: set CLOUDTRAIL_SLACK_SHARD_COUNT \(or shards\.count\) to pm2's instances, or every instance watches every target/,
    );
  });

  test('every shard number is canonical decimal: no sign, space or leading zero; one line otherwise', () => {
    const file = { shards: { count: 3 } };
    const cases: Array<[Record<string, string>, Record<string, unknown>, RegExp]> = [
      [{}, { shard: ' 1/3' }, /^--shard: expected K\/N/],
      [{}, { shard: '01/3' }, /^--shard: expected K\/N/],
      [{ CLOUDTRAIL_SLACK_SHARD: '1/03' }, {}, /^CLOUDTRAIL_SLACK_SHARD: expected K\/N/],
      [{ CLOUDTRAIL_SLACK_SHARD_INDEX: '01' }, {}, /^CLOUDTRAIL_SLACK_SHARD_INDEX: expected a shard index from 0 to 2 .*found "01"$/],
      [{ CLOUDTRAIL_SLACK_SHARD_INDEX: ' 1' }, {}, /^CLOUDTRAIL_SLACK_SHARD_INDEX: expected a shard index .*found " 1"$/],
      [{ CLOUDTRAIL_SLACK_SHARD_INDEX: '00' }, {}, /^CLOUDTRAIL_SLACK_SHARD_INDEX: expected a shard index/],
      [{ NODE_APP_INSTANCE: '01' }, {}, /^NODE_APP_INSTANCE: expected a shard index .*found "01"$/],
      [{ CLOUDTRAIL_SLACK_SHARD_INDEX: '1', CLOUDTRAIL_SLACK_SHARD_COUNT: '03' }, {}, /^CLOUDTRAIL_SLACK_SHARD_COUNT: expected .*found "03"$/],
    ];
    for (const [env, flags, pattern] of cases) refused(() => load(file, env, flags), pattern);
    assert.deepEqual(load(file, { CLOUDTRAIL_SLACK_SHARD_INDEX: '0' }).shard, { index: 0, count: 3 }, '"0" itself is canonical');
  });

  test('--shard > CLOUDTRAIL_SLACK_SHARD > an index with a count; the index: CLOUDTRAIL_SLACK_SHARD_INDEX > NODE_APP_INSTANCE', () => {
    const file = { shards: { count: 3 } };
    const all = { CLOUDTRAIL_SLACK_SHARD: '1/4', CLOUDTRAIL_SLACK_SHARD_INDEX: '2', NODE_APP_INSTANCE: '1' };
    assert.deepEqual(load(file, all, { shard: '0/2' }).shard, { index: 0, count: 2 });
    assert.deepEqual(load(file, all).shard, { index: 1, count: 4 });
    assert.deepEqual(load(file, { CLOUDTRAIL_SLACK_SHARD_INDEX: '2', NODE_APP_INSTANCE: '1' }).shard, { index: 2, count: 3 });
    assert.deepEqual(load(file, { NODE_APP_INSTANCE: '1' }).shard, { index: 1, count: 3 });
    assert.deepEqual(load(file, { NODE_APP_INSTANCE: '1', CLOUDTRAIL_SLACK_SHARD_COUNT: '5' }).shard, { index: 1, count: 5 }, 'the variable wins over the file');
    assert.deepEqual(load(undefined, { CLOUDTRAIL_SLACK_SHARD_INDEX: '4', CLOUDTRAIL_SLACK_SHARD_COUNT: '5' }).shard, { index: 4, count: 5 });
    assert.deepEqual(load({ shards: { count: 1 } }, { NODE_APP_INSTANCE: '0' }).shard, SINGLE_SHARD);
    assert.deepEqual(load({}, { CLOUDTRAIL_SLACK_SHARD: ' ' }).shard, SINGLE_SHARD, 'blank is unset');
  });

  const bad: Array<[string, object | undefined, Record<string, string>, Record<string, unknown>, RegExp]> = [
    ['--shard 3/3', undefined, {}, { shard: '3/3' }, /^--shard: expected K below N in K\/N/],
    ['--shard x', undefined, {}, { shard: 'x' }, /^--shard: expected K\/N/],
    ['CLOUDTRAIL_SLACK_SHARD 0/0', undefined, { CLOUDTRAIL_SLACK_SHARD: '0/0' }, {}, /^CLOUDTRAIL_SLACK_SHARD: expected N from 1 to 256/],
    ['a count without an index', { shards: { count: 3 } }, {}, {}, /shard count 3 \(from shards\.count\) but no index: set CLOUDTRAIL_SLACK_SHARD_INDEX .*NODE_APP_INSTANCE.*or give --shard K\/N/],
    ['a variable count without an index', undefined, { CLOUDTRAIL_SLACK_SHARD_COUNT: '2' }, {}, /shard count 2 \(from CLOUDTRAIL_SLACK_SHARD_COUNT\) but no index/],
    ['an index without a count', undefined, { CLOUDTRAIL_SLACK_SHARD_INDEX: '1' }, {}, /CLOUDTRAIL_SLACK_SHARD_INDEX is set but no shard count: set CLOUDTRAIL_SLACK_SHARD_COUNT or shards\.count/],
    ['an index at the count', { shards: { count: 3 } }, { NODE_APP_INSTANCE: '3' }, {}, /NODE_APP_INSTANCE: expected a shard index from 0 to 2 \(the count 3, from shards\.count\), found "3"/],
    ['an index that is not a number', undefined, { CLOUDTRAIL_SLACK_SHARD_INDEX: 'web-1', CLOUDTRAIL_SLACK_SHARD_COUNT: '3' }, {}, /CLOUDTRAIL_SLACK_SHARD_INDEX: expected a shard index from 0 to 2 .*found "web-1"/],
    ['a count of 0', { shards: { count: 0 } }, {}, {}, /shards\.count: expected a whole number of shards from 1 to 256/],
    ['a count of 1.5', { shards: { count: 1.5 } }, {}, {}, /shards\.count: expected a whole number of shards from 1 to 256/],
    ['a count of 257 from the environment', undefined, { CLOUDTRAIL_SLACK_SHARD_COUNT: '257', NODE_APP_INSTANCE: '0' }, {}, /CLOUDTRAIL_SLACK_SHARD_COUNT: expected a whole number of shards from 1 to 256/],
    ['a misspelt key', { shards: { cuont: 2 } }, {}, {}, /unknown key 'shards\.cuont' \(did you mean 'shards\.count'\?\)/],
  ];
  for (const [what, file, env, flags, pattern] of bad) {
    test(`refused in one line: ${what}`, () => refused(() => load(file, env, flags), pattern));
  }

  test('a missing index is allowed when the caller says so (the targets command lists every shard)', () => {
    const config = loadConfig({ flags: { configFile: 'c.json' }, env: baseEnv, readFile: () => '{"shards":{"count":3}}', shardIndexOptional: true });
    assert.deepEqual(config.shard, { index: 0, count: 3 });
  });
});

test('describeConfig names the shard as K/N, the accounts by name and ID, the organisation without its external ID', () => {
  const config = load({ accounts: [{ id: PROD, name: 'prod', roleArn: `arn:aws:iam::${PROD}:role/r`, externalId: 'ext-secretish' }, { id: DEV }] }, { NODE_APP_INSTANCE: '1', CLOUDTRAIL_SLACK_SHARD_COUNT: '3' });
  const described = describeConfig(config);
  assert.equal(described.shard, '1/3');
  assert.deepEqual(described.accounts, ['prod (123456789012)', DEV]);
  assert.doesNotMatch(JSON.stringify(described), /ext-secretish/);
  const org = describeConfig(load({ organization: { roleName: 'Read', externalId: 'ext-secretish', exclude: [DEV] } }));
  assert.deepEqual(org.organization, { roleName: 'Read', externalId: '(set)', exclude: [DEV], regions: '(the global list)' });
  assert.doesNotMatch(JSON.stringify(org), /ext-secretish/);
  assert.equal(describeConfig(load({})).accounts, '(the account of the credentials)');
  assert.equal(describeConfig(load({})).shard, '0/1');
});
