import { z } from 'zod';
import { BOUNDS, describeBound, isWithin, SHARD_COUNT, type Bound, type BoundedSetting } from './bounds';
import { DEFAULT_REGIONS, type Config } from './types';
import { ACCOUNT_ID_PATTERN } from '../targets/target';
import { LISTEN_EXPECTED, parseListenAddress } from '../observability/listen-address';

export type LogLevel = Config['logLevel'];

/** pino's levels, most severe first. */
export const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

/** us-east-1, ap-southeast-2, us-gov-west-1, eu-central-2, … */
export const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Every default in one place (config file keys; `once`, `dryRun`, `daemonize` default to false). */
export const DEFAULTS = Object.freeze({
  pollIntervalSeconds: 60,
  // CloudTrail makes events visible minutes late and out of order; 15 minutes covers the usual delay.
  settleMinutes: 15,
  // The Ruby original looked back 20 minutes on first start.
  initialLookbackMinutes: 20,
  settleScanIntervalSeconds: 300,
  // LookupEvents: AWS allows 2 requests/s per account per region; half of it leaves room for other tools.
  lookupRequestsPerSecond: 1,
  // Slack incoming webhooks: about 1 message/s.
  slackMessagesPerSecond: 1,
  stateDir: './state',
  regions: DEFAULT_REGIONS,
  logLevel: 'info' as LogLevel,
  shutdownTimeoutSeconds: 10,
  alertAfterMinutes: 15,
  alertCooldownMinutes: 60,
  rulesBuiltin: true,
  // pipeline.md DigestOptions: digests on; they start when 5 events wait for one webhook; repeats 10 min apart collapse.
  digestEnabled: true,
  digestMinEvents: 5,
  digestRepeatWindowMinutes: 10,
  // Issue 9 item 6: the trail monitor looks at the account's trails every 15 minutes.
  trailMonitorIntervalMinutes: 15,
  // Issue 9 item 5: a region behind by more than this raises `stalled` (load.ts raises it for a long settle window).
  stallAlertMinutes: 30,
  heartbeatTimeoutSeconds: 10,
});

/** What heartbeat.url must be; the value itself is never echoed (it is a secret). */
export const HEARTBEAT_URL_EXPECTED =
  'expected an http(s) URL without a user name or password (fetch refuses those; ping services put the key in the path)';

/** heartbeat.slackDaily as a time of day, UTC: 00:00 … 23:59. */
export const TIME_OF_DAY_PATTERN = /^([01]\d|2[0-3]):[0-5]\d$/;
/** heartbeat.slackDaily `true`: at midnight UTC, so the message counts the UTC day just ended. */
export const SLACK_DAILY_DEFAULT_TIME = '00:00';

/** A webhook's name in `slack.webhooks` and in routes: `default`, `security`, `team-a_alerts`. */
export const WEBHOOK_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const WEBHOOK_NAME_EXPECTED =
  "expected webhook names of lower-case letters, digits, '-' and '_' (1 to 64, starting with a letter or digit)";

export function isWebhookName(value: string): boolean {
  return WEBHOOK_NAME_PATTERN.test(value);
}

export function isRegion(value: string): boolean {
  return REGION_PATTERN.test(value);
}

/** Profile names end up in state file names: no path separators. */
export function isProfileName(value: string): boolean {
  return value.trim() !== '' && !/[/\\\0]/.test(value);
}

/**
 * A DNS host name with at least two labels and nothing else: no scheme, port, path, user or trailing dot
 * (RFC 1123 labels: letters, digits, inner hyphens, ≤ 63 characters; ≤ 253 in all).
 */
export function isHostName(value: string): boolean {
  const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
  const labels = value.split('.');
  return value.length <= 253 && labels.length >= 2 && labels.every((part) => label.test(part));
}

export function isHttpUrl(value: string): boolean {
  return hasProtocol(value, ['http:', 'https:']);
}

/**
 * An http(s) URL without a user name or password: what fetch accepts (it refuses a URL with credentials, so a
 * heartbeat ping to one would never be sent).
 */
export function isPlainHttpUrl(value: string): boolean {
  if (!isHttpUrl(value)) return false;
  const url = new URL(value);
  return url.username === '' && url.password === '';
}

export function isSmtpUrl(value: string): boolean {
  return hasProtocol(value, ['smtp:', 'smtps:']);
}

/** `ops@example.com` or `Ops <ops@example.com>`; deliberately loose (nodemailer and the server decide the rest). */
export function isEmailAddress(value: string): boolean {
  const bare = /^[^\s@<>,;:/]+@[^\s@<>,;:/]+$/;
  const named = /^[^<>@]*<([^<>]+)>$/.exec(value.trim());
  return bare.test(value) || (named !== null && bare.test(named[1] ?? ''));
}

/** Splits `a@x, b@y` into addresses, dropping empty entries. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

function hasProtocol(value: string, protocols: string[]): boolean {
  try {
    const url = new URL(value);
    return protocols.includes(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

// Each message says what was expected; the loader adds the key and what was found (never a secret's value).
const text = (what = 'a non-empty string') => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });
const strings = () => z.array(text(), { error: 'expected an array of non-empty strings' });

/** A number inside BOUNDS[key]; the message names the range and its reason. */
function bounded(key: BoundedSetting | Bound) {
  const bound = typeof key === 'string' ? BOUNDS[key] : key;
  const error = `expected ${describeBound(bound)}`;
  return z.number({ error }).refine((value) => isWithin(bound, value), { error });
}

const region = z
  .string({ error: 'expected a region name like us-east-1' })
  .regex(REGION_PATTERN, { error: 'expected a region name like us-east-1' });

const address = z
  .string({ error: 'expected an email address' })
  .refine(isEmailAddress, { error: 'expected an email address like ops@example.com' });

const webhookUrl = () => z.string({ error: 'expected an http(s) URL' }).refine(isHttpUrl, { error: 'expected an http(s) URL' });
const flag = () => z.boolean({ error: 'expected true or false' });

const SLACK_DAILY_EXPECTED = 'expected true, false or a time of day "HH:MM" (UTC) like "08:00"';

const CONSOLE_DOMAIN_EXPECTED = 'expected a host name like console.amazonaws-us-gov.com (no scheme, no path)';

// ---- issue 10: accounts, organization, shards -----------------------------------------------------------------

/** An IAM role ARN, `arn:<partition>:iam::<12 digits>:role/<path/>name`; group 1 is the account (IAM names: 1–64 of `[\w+=,.@-]`). */
export const ROLE_ARN_PATTERN = /^arn:aws(?:-[a-z]+)*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
/** An IAM role name without a path (organization.roleName): 1–64 of `[\w+=,.@-]` (IAM's RoleName). */
export const ROLE_NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;
/** AssumeRole's ExternalId: 2–1224 of `[\w+=,.@:/-]` (API-FACTS K.3). */
export const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]{2,1224}$/;
/**
 * An account's display name: it lands in every message, log line and the status page, so short (Organizations'
 * 1–50, API-FACTS K.6), one line, and without characters a reader cannot see: control (Cc), format (Cf: bidi
 * overrides such as U+202E, zero-width), line/paragraph separators and lone surrogates, with which one account
 * could pass for another.
 */
export const ACCOUNT_NAME_PATTERN = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]{1,50}$/u;
const ACCOUNT_NAME_EXPECTED = 'expected 1 to 50 characters without control or format characters (bidi overrides, zero-width)';

const ACCOUNT_ID_EXPECTED = 'expected an AWS account ID of 12 digits (in quotes), like "123456789012"';
const accountId = z.string({ error: ACCOUNT_ID_EXPECTED }).regex(ACCOUNT_ID_PATTERN, { error: ACCOUNT_ID_EXPECTED });
const EXTERNAL_ID_EXPECTED = 'expected 2 to 1224 characters of letters, digits and +=,.@:/_- (AssumeRole\'s ExternalId)';
const externalId = z.string({ error: EXTERNAL_ID_EXPECTED }).regex(EXTERNAL_ID_PATTERN, { error: EXTERNAL_ID_EXPECTED });
const regionList = z
  .array(region, { error: 'expected an array of region names like ["us-east-1"]' })
  .min(1, { error: 'expected at least one region' });

/**
 * A cross-field problem, said in full: load.ts prints it without "found …" (see describeIssue).
 * `params.complete` marks it.
 */
function complete(ctx: z.core.$RefinementCtx, path: PropertyKey[], message: string): void {
  ctx.addIssue({ code: 'custom', path, message, params: { complete: true } });
}

const account = z
  .strictObject(
    {
      id: accountId,
      name: z
        .string({ error: ACCOUNT_NAME_EXPECTED })
        .regex(ACCOUNT_NAME_PATTERN, { error: ACCOUNT_NAME_EXPECTED })
        .optional(),
      roleArn: z
        .string({ error: 'expected an IAM role ARN like arn:aws:iam::123456789012:role/Name' })
        .regex(ROLE_ARN_PATTERN, { error: 'expected an IAM role ARN like arn:aws:iam::123456789012:role/Name' })
        .optional(),
      externalId: externalId.optional(),
      profile: text('an AWS profile name')
        .refine(isProfileName, { error: "expected an AWS profile name without '/' or '\\'" })
        .optional(),
      regions: regionList.optional(),
    },
    { error: 'expected an object like {"id": "123456789012", "roleArn": "arn:aws:iam::123456789012:role/Name"}' },
  )
  .superRefine((value, ctx) => {
    const roleAccount = value.roleArn === undefined ? undefined : ROLE_ARN_PATTERN.exec(value.roleArn)?.[1];
    if (roleAccount !== undefined && roleAccount !== value.id) {
      complete(ctx, ['roleArn'], `the role's account ${roleAccount} is not the account's id ${value.id}`);
    }
    if (value.roleArn !== undefined && value.profile !== undefined) {
      complete(ctx, [], 'roleArn and profile are two ways to reach the account; give one');
    }
    if (value.externalId !== undefined && value.roleArn === undefined) {
      complete(ctx, ['externalId'], 'only with roleArn (the external ID goes with AssumeRole)');
    }
  });

const accounts = z
  .array(account, { error: 'expected an array of accounts like [{"id": "123456789012", "roleArn": "arn:aws:iam::123456789012:role/Name"}]' })
  .min(1, { error: 'expected at least one account' })
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((entry, i) => {
      if (seen.has(entry.id)) complete(ctx, [i, 'id'], `${entry.id} is listed twice`);
      seen.add(entry.id);
    });
  });

const ROLE_NAME_EXPECTED = 'expected an IAM role name of 1 to 64 letters, digits and +=,.@_- (no path), the same in every account';
const organization = z.strictObject(
  {
    roleName: z.string({ error: ROLE_NAME_EXPECTED }).regex(ROLE_NAME_PATTERN, { error: ROLE_NAME_EXPECTED }),
    externalId: externalId.optional(),
    exclude: z.array(accountId, { error: 'expected an array of account IDs like ["123456789012"]' }).optional(),
    regions: regionList.optional(),
  },
  { error: 'expected an object like {"roleName": "CloudTrailSlackRead", "exclude": ["123456789012"]}' },
);

/** The config file (JSON). Every key optional; unknown keys are rejected by name. */
export const configFileSchema = z.strictObject(
  {
    profile: text('an AWS profile name')
      .refine(isProfileName, { error: "expected an AWS profile name without '/' or '\\'" })
      .optional(),
    regions: z
      .union([
        z.literal('all'),
        z.array(region, { error: 'expected an array of region names like ["us-east-1"], or "all"' }).min(1, { error: 'expected at least one region' }),
      ], { error: 'expected an array of region names like ["us-east-1"], or "all" (the regions enabled for the account)' })
      .optional(),
    stateDir: text('a folder path').optional(),
    pollIntervalSeconds: bounded('pollIntervalSeconds').optional(),
    settleMinutes: bounded('settleMinutes').optional(),
    initialLookbackMinutes: bounded('initialLookbackMinutes').optional(),
    settleScanIntervalSeconds: bounded('settleScanIntervalSeconds').optional(),
    lookupRequestsPerSecond: bounded('lookupRequestsPerSecond').optional(),
    slackMessagesPerSecond: bounded('slackMessagesPerSecond').optional(),
    slack: z
      .strictObject(
        {
          // The webhook named `default` (SLACK_WEBHOOK_URL wins over it).
          webhookUrl: webhookUrl().optional(),
          // name → URL; a bad name is reported by load.ts (describeIssue, 'invalid_key') without echoing a URL.
          webhooks: z
            .record(z.string().regex(WEBHOOK_NAME_PATTERN, { error: WEBHOOK_NAME_EXPECTED }), webhookUrl(), {
              error: 'expected an object of webhook names to URLs like {"security": "https://hooks.slack.com/services/…"}',
            })
            .optional(),
        },
        { error: 'expected an object like {"webhookUrl": "https://hooks.slack.com/services/…"}' },
      )
      .optional(),
    // Checked by validateRoutes / validateMutes (src/rules), which know the webhook names: see load.ts.
    routes: z.unknown().optional(),
    mute: z.unknown().optional(),
    rules: z
      .strictObject(
        {
          paths: z
            .array(text('a file or folder path'), { error: 'expected an array of file or folder paths' })
            .optional(),
          builtin: flag().optional(),
        },
        { error: 'expected an object like {"paths": ["rules/"], "builtin": true}' },
      )
      .optional(),
    digest: z
      .strictObject(
        {
          enabled: flag().optional(),
          minEvents: bounded('digest.minEvents').optional(),
          repeatWindowMinutes: bounded('digest.repeatWindowMinutes').optional(),
        },
        { error: 'expected an object like {"enabled": true, "minEvents": 5, "repeatWindowMinutes": 10}' },
      )
      .optional(),
    trailMonitor: z
      .strictObject(
        {
          enabled: flag().optional(),
          intervalMinutes: bounded('trailMonitor.intervalMinutes').optional(),
          // The home region of the checks; default: the first region polled.
          region: region.optional(),
        },
        { error: 'expected an object like {"enabled": true, "intervalMinutes": 15, "region": "us-east-1"}' },
      )
      .optional(),
    email: z
      .strictObject(
        {
          smtpUrl: z
            .string({ error: 'expected an smtp:// or smtps:// URL' })
            .refine(isSmtpUrl, { error: 'expected an smtp:// or smtps:// URL' })
            .optional(),
          // "a@x, b@y" or ["a@x", "b@y"]
          to: z
            .preprocess(
              (value) => (typeof value === 'string' ? splitList(value) : value),
              z
                .array(address, { error: 'expected an email address or an array of them' })
                .min(1, { error: 'expected at least one email address' }),
            )
            .optional(),
          from: address.optional(),
        },
        { error: 'expected an object like {"smtpUrl": "smtp://…", "to": ["ops@example.com"]}' },
      )
      .optional(),
    exclude: z
      .strictObject(
        { eventNames: strings().optional(), eventSources: strings().optional(), userNames: strings().optional() },
        { error: 'expected an object with eventNames, eventSources and/or userNames arrays' },
      )
      .optional(),
    logLevel: z.enum(LOG_LEVELS as [LogLevel, ...LogLevel[]], { error: `expected one of ${LOG_LEVELS.join(', ')}` }).optional(),
    logFile: text('a file path').optional(),
    pidFile: text('a file path').optional(),
    shutdownTimeoutSeconds: bounded('shutdownTimeoutSeconds').optional(),
    alertAfterMinutes: bounded('alertAfterMinutes').optional(),
    alertCooldownMinutes: bounded('alertCooldownMinutes').optional(),
    stallAlertMinutes: bounded('stallAlertMinutes').optional(),
    heartbeat: z
      .strictObject(
        {
          url: z
            .string({ error: HEARTBEAT_URL_EXPECTED })
            .refine(isPlainHttpUrl, { error: HEARTBEAT_URL_EXPECTED })
            .optional(),
          timeoutSeconds: bounded('heartbeat.timeoutSeconds').optional(),
          slackDaily: z
            .union([flag(), z.string().regex(TIME_OF_DAY_PATTERN, { error: SLACK_DAILY_EXPECTED })], { error: SLACK_DAILY_EXPECTED })
            .optional(),
        },
        { error: 'expected an object like {"url": "https://hc-ping.com/…", "timeoutSeconds": 10, "slackDaily": "08:00"}' },
      )
      .optional(),
    cloudtrailEndpoint: z
      .string({ error: 'expected an http(s) URL' })
      .refine(isHttpUrl, { error: 'expected an http(s) URL like http://127.0.0.1:4566' })
      .optional(),
    consoleDomain: z
      .string({ error: CONSOLE_DOMAIN_EXPECTED })
      .refine(isHostName, { error: CONSOLE_DOMAIN_EXPECTED })
      .optional(),
    // Issue 10: the accounts watched (listed, or discovered from the organisation), and how many shards share them.
    accounts: accounts.optional(),
    organization: organization.optional(),
    shards: z
      .strictObject({ count: bounded(SHARD_COUNT).optional() }, { error: 'expected an object like {"count": 3}' })
      .optional(),
    // The HTTP endpoint (src/observability/http-server.ts); `9464` or "9464" or "host:port".
    http: z
      .strictObject(
        {
          listen: z
            .union([z.string(), z.number()], { error: `expected ${LISTEN_EXPECTED}` })
            .refine((value) => parseListenAddress(String(value)) !== undefined, { error: `expected ${LISTEN_EXPECTED}` })
            .optional(),
        },
        { error: 'expected an object like {"listen": "127.0.0.1:9464"}' },
      )
      .optional(),
  },
  { error: 'expected a JSON object' },
);

export type ConfigFile = z.infer<typeof configFileSchema>;

/** Key paths whose values are secrets (or may hold one): error messages show their type, never their value. */
export function isSecretPath(path: readonly PropertyKey[]): boolean {
  const [head, next] = path;
  if (head === 'slack') return true;
  if (head === 'email') return next !== 'to' && next !== 'from';
  if (head === 'heartbeat') return next === 'url';
  return false;
}

/** The keys the schema accepts at `path` (for "did you mean"), or [] when `path` is not an object. */
export function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = configFileSchema;
  for (const key of path) {
    if (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
    // accounts[0].rolearn: an array's element
    if (typeof key === 'number' && schema instanceof z.ZodArray) {
      schema = schema.element as z.ZodType;
      continue;
    }
    if (!(schema instanceof z.ZodObject)) return [];
    const child = (schema.shape as Record<string, z.ZodType>)[String(key)];
    if (!child) return [];
    schema = child;
  }
  if (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}
