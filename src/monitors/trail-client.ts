import {
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  type GetTrailStatusResponse,
  type Trail,
} from '@aws-sdk/client-cloudtrail';
import { createCloudTrailClient, type AwsClientOptions } from '../aws/clients';
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

/** Region, profile or credentials, endpoint and timeout, as every AWS client of ours takes them (src/aws/clients.ts). */
export type TrailClientOptions = AwsClientOptions;

/** Builds the SDK client for the trail calls; destroy() it at shutdown (keep-alive sockets). */
export function createTrailClient(options: TrailClientOptions): TrailClient & { destroy(): void } {
  // Built like every other AWS client (credentials, timeouts, no SDK retries: the monitor checks again at its
  // next interval).
  const client = createCloudTrailClient(options);
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
