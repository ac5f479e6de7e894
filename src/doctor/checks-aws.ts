import type { AwsClientOptions, AwsCredentials } from '../aws/clients';
import { stsRegionFor, whoAmI, type CallerIdentity } from '../aws/identity';
import { createLookupClient } from '../cloudtrail/client';
import { classifyError } from '../errors/classify';
import type { Config } from '../config/types';
import { bounded, CheckTimeoutError, fail, formatSeconds, ok, skipped, warn, type CheckResult } from './check';
import type { DoctorDeps } from './deps';
import { awsHostOf } from './endpoint-host';

/**
 * The AWS rows of `doctor`: who the credentials are (STS GetCallerIdentity, API-FACTS K.2), one LookupEvents per
 * configured region (A.2, A.5), and the clock against AWS's `Date` header (measured by the lookup client).
 */

/** Credentials that AWS refuses outright: every other AWS call would fail the same way, so those are skipped. */
const UNUSABLE: ReadonlySet<string> = new Set(['unrecognized-client', 'expired-token', 'no-credentials']);

/**
 * The lookup window, ms: short, so the one request is cheap (MaxResults 1, A.2: an answer is all we need); it
 * costs one of the 2 requests/s per region (A.4) once.
 */
const LOOKUP_WINDOW_MS = 5 * 60_000;
/** Beyond this, the clock is worth fixing even inside the settle window. */
export const CLOCK_WARN_MS = 60_000;

/** The options every doctor AWS client shares: the config's profile (or the test's credentials), the check limit. */
export function awsOptionsOf(config: Config, deps: DoctorDeps, region: string): AwsClientOptions {
  return {
    region,
    ...(config.profile === undefined ? {} : { profile: config.profile }),
    ...(deps.credentials === undefined ? {} : { credentials: deps.credentials }),
    requestTimeoutMs: deps.timeoutMs,
  };
}

/** Where the credentials come from, for a person. */
function sourceOf(config: Config): string {
  return config.profile === undefined ? "the SDK's default chain" : `profile ${config.profile}`;
}

export interface CredentialsCheck {
  row: CheckResult;
  identity?: CallerIdentity;
  /** False when AWS refused the credentials: the other AWS checks are skipped. */
  usable: boolean;
}

/**
 * STS GetCallerIdentity (K.2) in the first configured region, bounded by `deps.timeoutMs` (whoAmI's own limit).
 * Never throws. Refused credentials are ✗ (the daemon stops at start, exit 77: src/aws/learn-identity.ts); any
 * other failure is ! (the daemon runs on with the account unknown and asks STS again). Advice per classifyError.
 */
export async function checkCredentials(config: Config, deps: DoctorDeps): Promise<CredentialsCheck> {
  const name = 'credentials';
  const region = stsRegionFor(config.regions);
  try {
    const identity = await whoAmI({ ...awsOptionsOf(config, deps, region), timeoutMs: deps.timeoutMs, clock: deps.clock });
    return { row: ok(name, `account ${identity.account}, ${identity.arn} (from ${sourceOf(config)})`), identity, usable: true };
  } catch (error) {
    const { kind, reason: text } = classifyError(error);
    const usable = !UNUSABLE.has(kind);
    switch (kind) {
      case 'no-credentials':
        return {
          usable,
          row: fail(name, `no credentials found in ${sourceOf(config)}: ${text}`, config.profile === undefined
            ? 'give the daemon credentials: -c PROFILE (or AWS_PROFILE), AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or an instance role'
            : `add profile ${config.profile} to ~/.aws/credentials or ~/.aws/config (or the files in AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE)`),
        };
      case 'unrecognized-client':
        return {
          usable,
          row: fail(name, `AWS does not know this access key (${sourceOf(config)}): ${text}`,
            'check the access key ID and secret; if the key was deleted or deactivated, create a new one in IAM'),
        };
      case 'expired-token':
        return {
          usable,
          row: fail(name, `the session has expired (${sourceOf(config)}): ${text}`,
            'renew it (aws sso login, or new temporary credentials); the daemon needs credentials that refresh themselves (a profile or an instance role)'),
        };
      default:
        return {
          usable,
          row: warn(name, `STS GetCallerIdentity in ${region} failed: ${text}; the daemon runs with the account unknown`,
            `check network access to ${awsHostOf('sts', region)} (proxy, firewall, AWS_ENDPOINT_URL_STS); GetCallerIdentity needs no permission`),
        };
    }
  }
}

export interface LookupCheck {
  rows: CheckResult[];
  /** AWS's clock minus ours, per region that answered (0 when under the lookup client's noise floor of 5 s). */
  offsets: Array<{ region: string; offsetMs: number }>;
}

/**
 * One LookupEvents per configured region, all at once (each bounded). `credentialsOk`: STS accepted them. As the
 * daemon judges it (src/cloudtrail/region-health.ts): AccessDenied in some regions pauses those (!), in every
 * region it stops the daemon (exit 77: ✗); throttling and network failures are backed off (!).
 */
export async function checkLookups(config: Config, deps: DoctorDeps, credentialsOk: boolean): Promise<LookupCheck> {
  const results = await Promise.all(config.regions.map((region) => lookupOnce(config, deps, region)));
  // UnrecognizedClient in one opt-in region means "not enabled"; in every region, with STS unsure, bad keys (A.5).
  const allUnrecognized = results.every((result) => result.kind === 'unrecognized-client');
  const allDenied = results.every((result) => result.kind === 'access-denied');
  const rows = results.map((result) => rowOf(result, config, credentialsOk || !allUnrecognized, allDenied));
  const offsets = results.flatMap((r) => (r.offsetMs === undefined ? [] : [{ region: r.region, offsetMs: r.offsetMs }]));
  return { rows, offsets };
}

export interface LookupResult {
  region: string;
  /** classifyError's kind, or 'timeout' (the check's own limit). */
  kind?: string;
  text?: string;
  offsetMs?: number;
}

/**
 * One LookupEvents (MaxResults 1, the last LOOKUP_WINDOW_MS) in `region`, bounded by `deps.timeoutMs`; never
 * throws for an AWS answer. `credentials`: an account's own (src/aws/account-credentials.ts), else the base ones.
 */
export async function lookupOnce(config: Config, deps: DoctorDeps, region: string, credentials?: AwsCredentials): Promise<LookupResult> {
  const client = createLookupClient({
    ...awsOptionsOf(config, deps, region),
    ...(credentials === undefined ? {} : { credentials }),
    ...(config.cloudtrailEndpoint === undefined ? {} : { endpoint: config.cloudtrailEndpoint }),
    now: () => deps.clock.now(),
    pageSize: 1,
  });
  try {
    const end = deps.clock.now();
    await bounded(deps.timeoutMs, deps.clock, (signal) => client.lookupEvents({ start: end - LOOKUP_WINDOW_MS, end }, signal));
    return { region, offsetMs: client.serverClockOffsetMs?.() ?? 0 };
  } catch (error) {
    if (error instanceof CheckTimeoutError) return { region, kind: 'timeout', text: error.message };
    const { kind, reason } = classifyError(error);
    return { region, kind, text: reason };
  } finally {
    client.destroy();
  }
}

function rowOf(result: LookupResult, config: Config, optInMeaning: boolean, allDenied: boolean): CheckResult {
  const name = `LookupEvents ${result.region}`;
  const text = result.text ?? '';
  switch (result.kind) {
    case undefined:
      return ok(name, 'enabled: Event history answered');
    case 'access-denied': {
      const grant = 'grant cloudtrail:LookupEvents (Resource "*") to these credentials (README: IAM policy)';
      return allDenied
        ? fail(name, `denied in every region, so the daemon stops: ${text}`, grant)
        : warn(name, `denied: the daemon pauses this region and polls the others: ${text}`, `${grant}; check SCPs and region conditions`);
    }
    case 'unrecognized-client':
      return optInMeaning
        ? warn(name, `not enabled for this account (an opt-in region): ${text}`,
          `enable ${result.region} for the account (AWS console: Account → AWS Regions), or leave it out of -r / regions`)
        : fail(name, `the credentials are refused in every region: ${text}`, `check the credentials (${sourceOf(config)})`);
    case 'throttled':
      return warn(name, `throttled: another tool shares the 2 requests/s quota (${text})`,
        'nothing, if it passes: the daemon paces itself at 1 request/s per region and backs off when throttled');
    case 'timeout':
      return warn(name, `CloudTrail did not answer: ${text}; the daemon retries with backoff`, networkAdvice(result.region, config));
    case 'transient':
      return warn(name, `CloudTrail could not be reached: ${text}; the daemon retries with backoff`, networkAdvice(result.region, config));
    case 'expired-token':
      return fail(name, `the session has expired: ${text}`, 'renew the credentials (aws sso login, or new temporary credentials)');
    case 'no-credentials':
      return fail(name, `no credentials: ${text}`, `give the daemon credentials (${sourceOf(config)})`);
    default:
      return fail(name, `LookupEvents failed: ${text}`, 'see the error above; if it persists, check the region name and --endpoint');
  }
}

function networkAdvice(region: string, config: Config): string {
  const host = awsHostOf('cloudtrail', region, config.cloudtrailEndpoint);
  return config.cloudtrailEndpoint === undefined
    ? `check network access to ${host} (proxy, firewall, AWS_ENDPOINT_URL_CLOUDTRAIL)`
    : `check that the endpoint given with --endpoint (${host}) is up`;
}

/** Rows for the AWS checks when the credentials were refused. */
export function skippedForCredentials(names: readonly string[]): CheckResult[] {
  return names.map((name) => skipped(name, 'not checked: AWS refused the credentials', 'fix the credentials row first'));
}

/**
 * The clock row: the largest offset any region's `Date` header showed. ✗ beyond the settle window (a clock that far
 * off makes the daemon plan windows that miss late events or ask for the future), ! beyond CLOCK_WARN_MS.
 */
export function checkClock(offsets: LookupCheck['offsets'], settleMinutes: number): CheckResult {
  const name = 'clock';
  const worst = offsets.reduce<LookupCheck['offsets'][number] | undefined>(
    (max, entry) => (max === undefined || Math.abs(entry.offsetMs) > Math.abs(max.offsetMs) ? entry : max),
    undefined,
  );
  if (worst === undefined) {
    return skipped(name, 'not checked: no LookupEvents answer to compare with', 'fix the LookupEvents rows first');
  }
  const settleMs = settleMinutes * 60_000;
  const offset = Math.abs(worst.offsetMs);
  const which = worst.offsetMs > 0 ? 'behind' : 'ahead of';
  const detail = `this machine's clock is ${formatSeconds(Math.round(offset / 1000) * 1000)} ${which} AWS (${worst.region}'s Date header)`;
  const fixIt = 'synchronise the clock (chrony, systemd-timesyncd or ntpd)';
  if (offset > settleMs) return fail(name, `${detail}: more than the ${settleMinutes} min settle window`, fixIt);
  if (offset > CLOCK_WARN_MS) return warn(name, `${detail}: more than ${formatSeconds(CLOCK_WARN_MS)}`, fixIt);
  return ok(name, offset === 0 ? 'within 5 s of AWS (the Date header of each answer)' : detail);
}
