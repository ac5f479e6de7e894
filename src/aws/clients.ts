import { AccountClient } from '@aws-sdk/client-account';
import { CloudTrailClient, type CloudTrailClientConfig } from '@aws-sdk/client-cloudtrail';
import { STSClient } from '@aws-sdk/client-sts';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { OrganizationsClient } from '@aws-sdk/client-organizations';
import { fromIni } from '@aws-sdk/credential-providers';

/**
 * Every AWS SDK client the daemon uses is built here, with the same credentials, timeouts and retry policy:
 * CloudTrail (LookupEvents, one per region), STS (who am I), Account (ListRegions), EC2 (DescribeRegions) and
 * Organizations (ListAccounts, organisation discovery).
 *
 * Endpoints: without `endpoint`, each client goes to AWS, or to the SDK's own `AWS_ENDPOINT_URL_<SERVICE>`
 * variable (`AWS_ENDPOINT_URL_CLOUDTRAIL`, `_STS`, `_ACCOUNT`, `_EC2`, `_ORGANIZATIONS`), which the SDK reads itself (3.1137.0;
 * test/aws-clients.test.ts proves it for the first four, test/aws-organizations.test.ts for Organizations). `--endpoint` is CloudTrail's only.
 */

/** Static keys or a provider, as every SDK client takes them. */
export type AwsCredentials = NonNullable<CloudTrailClientConfig['credentials']>;

export interface AwsClientOptions {
  /** Signing region, and the endpoint's for regional services (CloudTrail, STS, EC2). */
  region: string;
  /** A profile in ~/.aws/credentials or config; without it (and without `credentials`) the SDK default chain. */
  profile?: string;
  credentials?: AwsCredentials;
  /** A local endpoint (tests, demo); else AWS or AWS_ENDPOINT_URL_<SERVICE>. */
  endpoint?: string;
  /** Connect, wait-for-response and idle-socket limit per request, in ms. Default 30 s. */
  requestTimeoutMs?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** The configuration every client shares. */
export function baseClientConfig(options: AwsClientOptions) {
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  return {
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    credentials: options.credentials ?? (options.profile ? fromIni({ profile: options.profile }) : undefined),
    // One layer owns each retry (DESIGN principle 3): the poller retries LookupEvents, the daemon retries
    // who-am-I and region discovery on its own schedule. No SDK retries underneath.
    maxAttempts: 1,
    requestHandler: {
      // requestTimeout alone only logs a warning and the request hangs (API-FACTS B.2): opt in to the error,
      // and bound connecting and a stalled body as well.
      requestTimeout: timeoutMs,
      throwOnRequestTimeout: true,
      connectionTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    },
  };
}

export function createCloudTrailClient(options: AwsClientOptions): CloudTrailClient {
  return new CloudTrailClient(baseClientConfig(options));
}

/** STS is regional (K.2): pass the first configured region, so a disabled us-east-1 path is never needed. */
export function createStsClient(options: AwsClientOptions): STSClient {
  return new STSClient(baseClientConfig(options));
}

/** Account Management's endpoint is global (account.us-east-1.amazonaws.com for any commercial region, K.7). */
export function createAccountClient(options: AwsClientOptions): AccountClient {
  return new AccountClient(baseClientConfig(options));
}

/**
 * Organizations' endpoint is global (K.6): any commercial region resolves to organizations.us-east-1.amazonaws.com,
 * signed for us-east-1. AWS_ENDPOINT_URL_ORGANIZATIONS is honoured (test/aws-organizations.test.ts proves it).
 */
export function createOrganizationsClient(options: AwsClientOptions): OrganizationsClient {
  return new OrganizationsClient(baseClientConfig(options));
}

/**
 * EC2's client is 18 MB (K.1) and only the region-discovery fallback needs it: loaded on first use, so a daemon
 * that never falls back never pays for it.
 */
export async function createEc2Client(options: AwsClientOptions): Promise<EC2Client> {
  const { EC2Client: Client } = await import('@aws-sdk/client-ec2');
  return new Client(baseClientConfig(options));
}
