import type { AwsCredentials } from '../aws/clients';
import type { Bound } from '../config/bounds';
import type { Clock } from '../lib/clock';

/** What every doctor check may use; tests pass a ManualClock, fakes and short limits. */
export interface DoctorDeps {
  clock: Clock;
  /** Each check's limit (one AWS call, the SMTP login, one Slack post), ms. */
  timeoutMs: number;
  /** Post one test message to each webhook (`--post-test`). */
  postTest: boolean;
  /** This machine's name, for the test message (so a reader knows where it came from). */
  host: string;
  /** Credentials for every AWS client; default: the config's profile, else the SDK's default chain. */
  credentials?: AwsCredentials;
  /** Slack's fetch (tests); default globalThis.fetch. */
  fetch?: typeof fetch;
}

/**
 * `--timeout`: a flag of this command only (not a config key). Long enough for a far region's TLS handshake and
 * an SMTP greeting; short enough that doctor answers in seconds when an endpoint hangs.
 */
export const DOCTOR_TIMEOUT: Bound = {
  min: 1,
  max: 60,
  unit: 'seconds',
  why: 'the limit of each check: one AWS call, the SMTP login, one Slack post',
};
export const DEFAULT_DOCTOR_TIMEOUT_SECONDS = 5;
