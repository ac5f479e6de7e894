import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import type { CliFlags } from '../cli/program';
import { codePointLabel } from '../slack/visible';
import { ConfigError } from '../lib/errors';
import { closestName } from '../lib/did-you-mean';
import { jsonErrorPosition, jsonErrorReason } from '../lib/json-error';
import { BOUNDS, describeBound, isWithin } from './bounds';
import {
  configFileSchema,
  DEFAULTS,
  isEmailAddress,
  isHttpUrl,
  isPlainHttpUrl,
  HEARTBEAT_URL_EXPECTED,
  isProfileName,
  isRegion,
  isSecretPath,
  isSmtpUrl,
  knownKeysAt,
  LOG_LEVELS,
  SLACK_DAILY_DEFAULT_TIME,
  splitList,
  type ConfigFile,
  type LogLevel,
} from './schema';
import { ALL_REGIONS, type Config } from './types';
import { LISTEN_EXPECTED, parseListenAddress, type ListenAddress } from '../observability/listen-address';
import { checkRouting, mergeWebhooks, webhooksOfFile } from './webhooks';
import { chooseShard } from './shard-choice';
import type { AccountSpec, OrganizationConfig } from '../targets/target';

export interface LoadConfigInput {
  flags: CliFlags;
  env: Record<string, string | undefined>;
  /** Reads the config file as UTF-8; default fs.readFileSync. */
  readFile?: (path: string) => string;
  /** Relative paths (config file, state dir, log and pid files) resolve against this; default process.cwd(). */
  cwd?: string;
  /** A shard count without an index means index 0 instead of an error (the `targets` command: src/config/shard-choice.ts). */
  shardIndexOptional?: boolean;
}

/**
 * Everything the layers can set, flat; merged as defaults ← file ← env ← flags. Exceptions: `routes` and `mute`
 * come from the file only (checked once the webhooks are known), and `--rules` adds to `rules.paths`.
 */
type Settings = Omit<Config, 'slack' | 'email' | 'exclude' | 'stateProfile' | 'routes' | 'mute' | 'rules' | 'digest' | 'trailMonitor' | 'stallAlertMinutes' | 'heartbeat' | 'http' | 'accounts' | 'organization' | 'shard'> & {
  /** The webhook named `default`. */
  webhookUrl: string | undefined;
  rulesBuiltin: boolean;
  digestEnabled: boolean;
  digestMinEvents: number;
  digestRepeatWindowMinutes: number;
  smtpUrl: string | undefined;
  emailTo: string[];
  emailFrom: string | undefined;
  excludeEventNames: string[];
  excludeEventSources: string[];
  excludeUserNames: string[];
  /** undefined: derived from settleMinutes and the poll interval (stallAlertMinutesOf). */
  stallAlertMinutes: number | undefined;
  heartbeatUrl: string | undefined;
  heartbeatTimeoutSeconds: number;
  heartbeatSlackDaily: string | undefined;
  /** `http.listen` / CLOUDTRAIL_SLACK_HTTP / --http, parsed. */
  httpListen: ListenAddress | undefined;
};

/** Builds the one validated, deeply frozen Config. Throws ConfigError (one line, no secret) on any problem. */
export function loadConfig(input: LoadConfigInput): Config {
  const { flags, env } = input;
  const cwd = input.cwd ?? process.cwd();
  const file = readConfigFile(flags, env, input.readFile ?? ((path) => readFileSync(path, 'utf8')), cwd);
  // Problems found in the file's content are prefixed like the schema's: `config file /etc/cts.json: …`.
  const where = file.path === undefined ? '' : `config file ${file.path}: `;
  const fileWebhooks = webhooksOfFile(file.data, where);
  const fileLayer = { ...fromFile(file.data), webhookUrl: fileWebhooks.defaultUrl };
  const envLayer = fromEnv(env);
  const flagLayer = fromFlags(flags);
  const defaults: Settings = {
    ...DEFAULTS,
    regions: [...DEFAULTS.regions],
    discoverRegions: false,
    profile: undefined,
    cloudtrailEndpoint: undefined,
    consoleDomain: undefined,
    webhookUrl: undefined,
    smtpUrl: undefined,
    emailTo: [],
    emailFrom: undefined,
    excludeEventNames: [],
    excludeEventSources: [],
    excludeUserNames: [],
    once: false,
    dryRun: false,
    logFile: undefined,
    pidFile: undefined,
    daemonize: false,
    stallAlertMinutes: undefined,
    heartbeatUrl: undefined,
    heartbeatSlackDaily: undefined,
    httpListen: undefined,
  };
  const s: Settings = { ...defaults, ...stripUndefined(fileLayer), ...stripUndefined(envLayer), ...stripUndefined(flagLayer) };

  const webhooks = mergeWebhooks(s.webhookUrl, fileWebhooks.named);
  if (Object.keys(webhooks).length === 0 && !s.dryRun) {
    throw new ConfigError('no Slack webhook: set SLACK_WEBHOOK_URL, or slack.webhookUrl or slack.webhooks in the config file (or use --dry-run)');
  }
  const { routes, mute } = checkRouting(file.data, webhooks, { dryRun: s.dryRun, where });
  if (s.smtpUrl !== undefined && s.emailTo.length === 0) {
    throw new ConfigError('alert email has a server but no recipient: set ALERT_EMAIL_TO or email.to in the config file');
  }

  const { accounts, organization } = accountsOf(file.data, s.discoverRegions, where);
  const shard = chooseShard({
    flag: flags.shard,
    // Not trimmed: a shard number is canonical decimal or refused (parseShardNumber); blank is unset.
    shard: unlessEmpty(env.CLOUDTRAIL_SLACK_SHARD),
    count: unlessEmpty(env.CLOUDTRAIL_SLACK_SHARD_COUNT),
    fileCount: file.data.shards?.count,
    where,
    index: unlessEmpty(env.CLOUDTRAIL_SLACK_SHARD_INDEX),
    appInstance: unlessEmpty(env.NODE_APP_INSTANCE),
    indexOptional: input.shardIndexOptional,
  });

  const awsProfile = nonEmpty(env.AWS_PROFILE);
  if (flags.credsProfile === undefined && fileLayer.profile === undefined && awsProfile !== undefined && !isProfileName(awsProfile)) {
    throw new ConfigError(`AWS_PROFILE: expected a profile name without '/' or '\\' (it names the state files), found ${describeValue(awsProfile)}`);
  }

  return deepFreeze({
    profile: s.profile,
    stateProfile: flags.credsProfile ?? fileLayer.profile ?? awsProfile ?? 'default',
    regions: [...new Set(s.regions)],
    discoverRegions: s.discoverRegions,
    accounts,
    organization,
    shard,
    stateDir: resolve(cwd, s.stateDir),
    pollIntervalSeconds: s.pollIntervalSeconds,
    settleMinutes: s.settleMinutes,
    initialLookbackMinutes: s.initialLookbackMinutes,
    settleScanIntervalSeconds: s.settleScanIntervalSeconds,
    lookupRequestsPerSecond: s.lookupRequestsPerSecond,
    slackMessagesPerSecond: s.slackMessagesPerSecond,
    cloudtrailEndpoint: s.cloudtrailEndpoint,
    consoleDomain: s.consoleDomain,
    slack: { webhookUrl: webhooks.default, webhooks },
    routes,
    mute,
    rules: {
      // --rules adds to the file's paths (it does not replace them): both lists, in order, each path once.
      paths: [...new Set([...(file.data.rules?.paths ?? []), ...(flags.rules ?? [])].map((path) => resolve(cwd, path)))],
      builtin: s.rulesBuiltin,
    },
    digest: { enabled: s.digestEnabled, minEvents: s.digestMinEvents, repeatWindowMinutes: s.digestRepeatWindowMinutes },
    // Masked by value wherever they might be printed; the SDK reads the credentials itself.
    awsSecrets: [env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN].flatMap((v) => nonEmpty(v) ?? []),
    email: { smtpUrl: s.smtpUrl, to: s.emailTo, from: s.emailFrom },
    exclude: { eventNames: s.excludeEventNames, eventSources: s.excludeEventSources, userNames: s.excludeUserNames },
    once: s.once,
    dryRun: s.dryRun,
    logLevel: s.logLevel,
    logFile: s.logFile === undefined ? undefined : resolve(cwd, s.logFile),
    pidFile: s.pidFile === undefined ? undefined : resolve(cwd, s.pidFile),
    daemonize: s.daemonize,
    shutdownTimeoutSeconds: s.shutdownTimeoutSeconds,
    alertAfterMinutes: s.alertAfterMinutes,
    alertCooldownMinutes: s.alertCooldownMinutes,
    trailMonitor: {
      enabled: file.data.trailMonitor?.enabled ?? true,
      intervalMinutes: file.data.trailMonitor?.intervalMinutes ?? DEFAULTS.trailMonitorIntervalMinutes,
      region: file.data.trailMonitor?.region,
    },
    stallAlertMinutes: stallAlertMinutesOf(s, where),
    heartbeat: { url: s.heartbeatUrl, timeoutSeconds: s.heartbeatTimeoutSeconds, slackDaily: s.heartbeatSlackDaily },
    http: { listen: s.httpListen },
  });
}

/**
 * The stall alarm's threshold. A healthy region is behind now by up to settleMinutes + one poll interval (its
 * offset trails by the settle window; it is read again one poll interval later), so a threshold at or below that
 * would ring on a healthy daemon: an explicit one is refused, an unset one is 30 or, when the healthy lag reaches
 * 30, 15 minutes above it (so a config with a long settle window that worked before this key existed still starts).
 */
function stallAlertMinutesOf(s: Settings, where: string): number {
  const healthy = s.settleMinutes + s.pollIntervalSeconds / 60;
  if (s.stallAlertMinutes === undefined) return DEFAULTS.stallAlertMinutes > healthy ? DEFAULTS.stallAlertMinutes : Math.ceil(healthy) + 15;
  if (s.stallAlertMinutes > healthy) return s.stallAlertMinutes;
  const sum = `${s.settleMinutes} + ${round(s.pollIntervalSeconds / 60)} = ${round(healthy)} minutes`;
  throw new ConfigError(
    `${where}stallAlertMinutes: expected more than settleMinutes + the poll interval (${sum}: a healthy region is that far behind), found ${s.stallAlertMinutes}`,
  );
}

/**
 * Config `accounts` or `organization` (issue 10 item 1), checked by the schema one by one; here what concerns
 * both: one of them at most, and no region discovery (`regions: "all"`, `-r all`), which asks about the
 * credentials' own account only (API-FACTS K.7).
 */
function accountsOf(
  file: ConfigFile,
  discoverRegions: boolean,
  where: string,
): { accounts: AccountSpec[] | undefined; organization: OrganizationConfig | undefined } {
  if (file.accounts !== undefined && file.organization !== undefined) {
    throw new ConfigError(`${where}accounts and organization: give one (accounts lists them, organization discovers them), not both`);
  }
  if (discoverRegions && (file.accounts !== undefined || file.organization !== undefined)) {
    throw new ConfigError(
      `${where}regions "all" (region discovery) is for the single account of the credentials: list the regions with accounts or organization`,
    );
  }
  const accounts = file.accounts?.map((account) => stripUndefined(account) as AccountSpec);
  const org = file.organization;
  const organization = org === undefined ? undefined : (stripUndefined({ ...org, exclude: org.exclude ?? [] }) as OrganizationConfig);
  return { accounts, organization };
}

function round(minutes: number): number {
  return Math.round(minutes * 100) / 100;
}

// ---- the file layer -------------------------------------------------------------------------------------------

function readConfigFile(
  flags: CliFlags,
  env: Record<string, string | undefined>,
  readFile: (path: string) => string,
  cwd: string,
): { path?: string; data: ConfigFile } {
  const given = flags.configFile ?? nonEmpty(env.CLOUDTRAIL_SLACK_CONFIG);
  if (given === undefined) return { data: {} };
  const source = flags.configFile !== undefined ? '--config' : 'CLOUDTRAIL_SLACK_CONFIG';
  const path = resolve(cwd, given);
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const what =
      code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a folder, not a file' : `cannot be read (${code ?? String(error)})`;
    throw new ConfigError(`config file ${path} (from ${source}): ${what}`, { cause: error });
  }
  text = text.replace(/^\uFEFF/, ''); // editors on Windows like to add a byte order mark
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    // V8's message may quote the file's text (and so a secret): keep only the reason, compute the position ourselves.
    throw new ConfigError(`config file ${path}: not valid JSON ${jsonErrorPosition(text)} (${jsonErrorReason(error)})`);
  }
  const result = configFileSchema.safeParse(raw, { reportInput: true });
  if (!result.success) {
    const secrets = secretsOfRawFile(raw);
    throw new ConfigError(`config file ${path}: ${result.error.issues.map((issue) => describeIssue(issue, secrets)).join('; ')}`);
  }
  return { path, data: result.data };
}

/**
 * The webhook and SMTP URLs the file holds where they belong (strings only): never shown in a message, even when
 * the same text also sits under a wrong key (a URL that is not a Slack host has nothing else that gives it away).
 */
function secretsOfRawFile(raw: unknown): string[] {
  const at = (value: unknown, key: string): unknown =>
    value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
  const webhooks = at(at(raw, 'slack'), 'webhooks');
  const candidates = [
    at(at(raw, 'heartbeat'), 'url'),
    at(at(raw, 'slack'), 'webhookUrl'),
    at(at(raw, 'email'), 'smtpUrl'),
    ...(webhooks !== null && typeof webhooks === 'object' ? Object.values(webhooks) : []),
  ];
  return candidates.filter((value): value is string => typeof value === 'string' && value.length >= 8);
}

function fromFile(file: ConfigFile): Partial<Settings> {
  return {
    profile: file.profile,
    // "all": discovered at start and daily; a list given in a later layer (a flag) turns discovery off.
    regions: file.regions === 'all' ? undefined : file.regions,
    discoverRegions: file.regions === undefined ? undefined : file.regions === 'all',
    stateDir: file.stateDir,
    pollIntervalSeconds: file.pollIntervalSeconds,
    settleMinutes: file.settleMinutes,
    initialLookbackMinutes: file.initialLookbackMinutes,
    settleScanIntervalSeconds: file.settleScanIntervalSeconds,
    lookupRequestsPerSecond: file.lookupRequestsPerSecond,
    slackMessagesPerSecond: file.slackMessagesPerSecond,
    cloudtrailEndpoint: file.cloudtrailEndpoint,
    consoleDomain: file.consoleDomain?.toLowerCase(),
    smtpUrl: file.email?.smtpUrl,
    emailTo: file.email?.to,
    emailFrom: file.email?.from,
    excludeEventNames: file.exclude?.eventNames,
    excludeEventSources: file.exclude?.eventSources,
    excludeUserNames: file.exclude?.userNames,
    logLevel: file.logLevel,
    logFile: file.logFile,
    pidFile: file.pidFile,
    shutdownTimeoutSeconds: file.shutdownTimeoutSeconds,
    alertAfterMinutes: file.alertAfterMinutes,
    alertCooldownMinutes: file.alertCooldownMinutes,
    rulesBuiltin: file.rules?.builtin,
    digestEnabled: file.digest?.enabled,
    digestMinEvents: file.digest?.minEvents,
    digestRepeatWindowMinutes: file.digest?.repeatWindowMinutes,
    // The schema checked it; a bare port means 127.0.0.1.
    httpListen: file.http?.listen === undefined ? undefined : parseListenAddress(String(file.http.listen)),
    stallAlertMinutes: file.stallAlertMinutes,
    heartbeatUrl: file.heartbeat?.url,
    heartbeatTimeoutSeconds: file.heartbeat?.timeoutSeconds,
    heartbeatSlackDaily: file.heartbeat?.slackDaily === true ? SLACK_DAILY_DEFAULT_TIME : file.heartbeat?.slackDaily || undefined,
  };
}

/** "slack.webhookUrl: expected an http(s) URL, found a string (not shown: it is a secret)" */
function describeIssue(issue: z.core.$ZodIssue, secrets: readonly string[]): string {
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(issue.path);
    return issue.keys
      .map((key) => {
        const suggestion = closestName(key, known);
        const hint = suggestion === undefined ? '' : ` (did you mean '${formatPath([...issue.path, suggestion])}'?)`;
        return `unknown key '${formatPath([...issue.path, key])}'${hint}`;
      })
      .join('; ');
  }
  if (issue.code === 'invalid_key') {
    // A record's key (a webhook name) that fails its pattern: name the record, show the key unless it looks secret.
    const message = issue.issues[0]?.message ?? issue.message;
    return `${formatPath(issue.path.slice(0, -1))}: ${message}, found ${describeValue(issue.input, secrets)}`;
  }
  // A cross-field problem said in full by the schema (schema.ts `complete`): nothing to add.
  if (issue.code === 'custom' && issue.params?.complete === true) return `${formatPath(issue.path)}: ${issue.message}`;
  const found = isSecretPath(issue.path) ? `${typeOf(issue.input)} (not shown: it is a secret)` : describeValue(issue.input, secrets);
  const where = issue.path.length === 0 ? '' : `${formatPath(issue.path)}: `;
  return `${where}${issue.message}, found ${found}`;
}

/** ['exclude', 'eventNames', 2] → exclude.eventNames[2] */
function formatPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');
}

function describeValue(value: unknown, secrets: readonly string[] = []): string {
  if (typeof value === 'string') {
    // A value in the wrong place may still be a secret: a URL with a user, a Slack hook or a URL the file uses as
    // a webhook or mail server is never echoed.
    if (/:\/\/[^/\s]*@/.test(value) || /hooks\.slack\.com/i.test(value) || secrets.some((secret) => value.includes(secret))) {
      return 'a string (not shown: it may be a secret)';
    }
    const shown = value.length > 60 ? `${value.slice(0, 57)}…` : value;
    // JSON escapes C0 controls; what it leaves raw (C1, bidi overrides, zero-width, U+2028) is shown as [U+XXXX].
    return JSON.stringify(shown).replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, codePointLabel);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return typeOf(value);
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

// ---- the env and flag layers ----------------------------------------------------------------------------------

function fromEnv(env: Record<string, string | undefined>): Partial<Settings> {
  const webhookUrl = nonEmpty(env.SLACK_WEBHOOK_URL);
  if (webhookUrl !== undefined && !isHttpUrl(webhookUrl)) {
    throw new ConfigError('SLACK_WEBHOOK_URL is not an http(s) URL (value not shown: it is a secret)');
  }
  const smtpUrl = nonEmpty(env.SMTP_URL);
  if (smtpUrl !== undefined && !isSmtpUrl(smtpUrl)) {
    throw new ConfigError('SMTP_URL is not an smtp:// or smtps:// URL like smtp://user:pass@mail.example.com:587 (value not shown: it may hold a password)');
  }
  const toText = nonEmpty(env.ALERT_EMAIL_TO);
  const emailTo = toText === undefined ? undefined : splitList(toText);
  for (const address of emailTo ?? []) {
    if (!isEmailAddress(address)) {
      throw new ConfigError(`ALERT_EMAIL_TO: expected comma-separated email addresses like ops@example.com, found ${describeValue(address)}`);
    }
  }
  const emailFrom = nonEmpty(env.ALERT_EMAIL_FROM);
  if (emailFrom !== undefined && !isEmailAddress(emailFrom)) {
    throw new ConfigError(`ALERT_EMAIL_FROM: expected an email address like ops@example.com, found ${describeValue(emailFrom)}`);
  }
  // Read by the AWS SDK itself, not by us; checked here so a typo fails at start (78), not in every region later.
  for (const name of ['AWS_ENDPOINT_URL_CLOUDTRAIL', 'AWS_ENDPOINT_URL']) {
    const endpoint = nonEmpty(env[name]);
    if (endpoint !== undefined && !isHttpUrl(endpoint)) {
      throw new ConfigError(`${name}: expected an http(s) URL like https://cloudtrail.us-east-1.amazonaws.com, found ${describeValue(endpoint)}`);
    }
  }
  // Set by ecosystem.config.js (which also derives pm2's kill_timeout from it), or by a systemd EnvironmentFile.
  const shutdownText = nonEmpty(env.CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT);
  const shutdownTimeoutSeconds = shutdownText === undefined ? undefined : parseDecimal(shutdownText);
  if (shutdownText !== undefined && !isWithin(BOUNDS.shutdownTimeoutSeconds, shutdownTimeoutSeconds)) {
    throw new ConfigError(
      `CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT: expected ${describeBound(BOUNDS.shutdownTimeoutSeconds)}, found ${describeValue(shutdownText)}`,
    );
  }
  // A dead man's switch's URL is a secret (anyone holding it can ping it): it may come from the environment.
  const heartbeatUrl = nonEmpty(env.CLOUDTRAIL_SLACK_HEARTBEAT_URL);
  if (heartbeatUrl !== undefined && !isPlainHttpUrl(heartbeatUrl)) {
    throw new ConfigError(`CLOUDTRAIL_SLACK_HEARTBEAT_URL: ${HEARTBEAT_URL_EXPECTED} (value not shown: it is a secret)`);
  }
  const httpText = nonEmpty(env.CLOUDTRAIL_SLACK_HTTP);
  const httpListen = httpText === undefined ? undefined : parseListenAddress(httpText);
  if (httpText !== undefined && httpListen === undefined) {
    throw new ConfigError(`CLOUDTRAIL_SLACK_HTTP: expected ${LISTEN_EXPECTED}, found ${describeValue(httpText)}`);
  }
  return { webhookUrl, smtpUrl, emailTo: emailTo?.length ? emailTo : undefined, emailFrom, shutdownTimeoutSeconds, heartbeatUrl, httpListen };
}

/** "10", "2.5" → a number; anything else (units, exponents, hex) → NaN. */
function parseDecimal(text: string): number {
  return /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
}

/** Flags come validated from commander; checked again here for callers that build CliFlags themselves. */
function fromFlags(flags: CliFlags): Partial<Settings> {
  const check = (ok: boolean, flag: string, expected: string, found: unknown) => {
    if (!ok) throw new ConfigError(`${flag}: expected ${expected}, found ${describeValue(found)}`);
  };
  const { regions, pollIntervalSeconds, shutdownTimeoutSeconds, logLevel, endpoint, credsProfile } = flags;
  if (regions !== undefined) {
    check(regions.length > 0, '--regions', 'at least one region name like us-east-1', undefined);
    const all = regions.length === 1 && regions[0] === ALL_REGIONS;
    if (!all) for (const region of regions) check(isRegion(region), '--regions', 'region names like us-east-1', region);
  }
  const discoverRegions = regions === undefined ? undefined : regions.length === 1 && regions[0] === ALL_REGIONS;
  if (pollIntervalSeconds !== undefined) {
    check(isWithin(BOUNDS.pollIntervalSeconds, pollIntervalSeconds), '--poll-interval', describeBound(BOUNDS.pollIntervalSeconds), pollIntervalSeconds);
  }
  if (shutdownTimeoutSeconds !== undefined) {
    const bound = BOUNDS.shutdownTimeoutSeconds;
    check(isWithin(bound, shutdownTimeoutSeconds), '--shutdown-timeout', describeBound(bound), shutdownTimeoutSeconds);
  }
  if (logLevel !== undefined) check(LOG_LEVELS.includes(logLevel), '--log-level', `one of ${LOG_LEVELS.join(', ')}`, logLevel);
  if (endpoint !== undefined) check(isHttpUrl(endpoint), '--endpoint', 'an http(s) URL', endpoint);
  if (credsProfile !== undefined) {
    check(isProfileName(credsProfile), '--creds-profile', "a profile name without '/' or '\\'", credsProfile);
  }
  for (const [flag, value] of [['--state-dir', flags.stateDir], ['--pid', flags.pidFile], ['--log', flags.logFile]] as const) {
    if (value !== undefined) check(value.trim() !== '', flag, 'a path', value);
  }
  for (const path of flags.rules ?? []) check(path.trim() !== '', '--rules', 'a rule file or folder path', path);
  const httpListen = flags.http === undefined ? undefined : parseListenAddress(flags.http);
  if (flags.http !== undefined) check(httpListen !== undefined, '--http', LISTEN_EXPECTED, flags.http);
  return {
    httpListen,
    profile: credsProfile,
    regions: discoverRegions ? undefined : regions,
    discoverRegions,
    stateDir: flags.stateDir,
    pidFile: flags.pidFile,
    logFile: flags.logFile,
    daemonize: flags.daemonize,
    once: flags.once,
    dryRun: flags.dryRun,
    pollIntervalSeconds,
    logLevel: logLevel ?? (flags.debug ? ('debug' satisfies LogLevel) : undefined),
    cloudtrailEndpoint: endpoint,
    shutdownTimeoutSeconds,
  };
}

// ---- helpers --------------------------------------------------------------------------------------------------

/** Unset and empty (or blank) variables are the same thing: pm2 ecosystem files often hold ''. */
/** The variable as set, blank as unset; not trimmed (a space around a value is its mistake, said in its error). */
function unlessEmpty(value: string | undefined): string | undefined {
  return value?.trim() === '' ? undefined : value;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** So a flag that was not given never overrides the file, nor the file a default. */
function stripUndefined<T extends object>(layer: T): Partial<T> {
  return Object.fromEntries(Object.entries(layer).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
