import {
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  type CloudTrailClientConfig,
  type GetTrailStatusResponse,
  type Trail,
} from '@aws-sdk/client-cloudtrail';
import { fromIni } from '@aws-sdk/credential-providers';
import type { TrailSelectors } from './trail-selectors';

/**
 * The three read-only trail calls the trail monitor makes, in one region (API-FACTS A.7): DescribeTrails (shadow
 * trails included, the default), GetTrailStatus and GetEventSelectors, both by trail ARN (a name finds only the
 * trails homed in the region asked; an ARN also finds shadow and organization trails). IAM actions:
 * cloudtrail:DescribeTrails, cloudtrail:GetTrailStatus, cloudtrail:GetEventSelectors.
 */
export interface TrailClient {
  readonly region: string;
  describeTrails(signal?: AbortSignal): Promise<Trail[]>;
  getTrailStatus(trailArn: string, signal?: AbortSignal): Promise<GetTrailStatusResponse>;
  getEventSelectors(trailArn: string, signal?: AbortSignal): Promise<TrailSelectors>;
}

export interface TrailClientOptions {
  region: string;
  /** A profile in ~/.aws/credentials or config; without it (and without `credentials`) the SDK default chain. */
  profile?: string | undefined;
  /** CloudTrail's endpoint (`--endpoint`, tests, demo); else AWS, or AWS_ENDPOINT_URL_CLOUDTRAIL (read by the SDK). */
  endpoint?: string | undefined;
  credentials?: CloudTrailClientConfig['credentials'];
  /** Connect, wait-for-response and idle-socket limit per request. Default 30 s. */
  requestTimeoutMs?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Builds the SDK client for the trail calls; destroy() it at shutdown (keep-alive sockets). */
export function createTrailClient(options: TrailClientOptions): TrailClient & { destroy(): void } {
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const client = new CloudTrailClient({
    region: options.region,
    endpoint: options.endpoint,
    credentials: options.credentials ?? (options.profile ? fromIni({ profile: options.profile }) : undefined),
    // One layer owns retries: the monitor checks again at its next interval, so no SDK retries underneath.
    maxAttempts: 1,
    requestHandler: { requestTimeout: timeoutMs, throwOnRequestTimeout: true, connectionTimeout: timeoutMs, socketTimeout: timeoutMs },
  });
  return {
    region: options.region,
    async describeTrails(signal) {
      const output = await client.send(new DescribeTrailsCommand({ includeShadowTrails: true }), { abortSignal: signal });
      return output.trailList ?? [];
    },
    getTrailStatus: (trailArn, signal) => client.send(new GetTrailStatusCommand({ Name: trailArn }), { abortSignal: signal }),
    async getEventSelectors(trailArn, signal) {
      const output = await client.send(new GetEventSelectorsCommand({ TrailName: trailArn }), { abortSignal: signal });
      return { EventSelectors: output.EventSelectors, AdvancedEventSelectors: output.AdvancedEventSelectors };
    },
    destroy: () => client.destroy(),
  };
}
