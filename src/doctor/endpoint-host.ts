/**
 * The host a doctor check talked to, for its advice ("check network access to HOST"): the endpoint the request
 * really went to, never a path, a query or a login (a webhook's path is its secret). The AWS SDK's own order
 * (3.1137.0, src/aws/clients.ts): an explicit endpoint (--endpoint, CloudTrail's only), then
 * AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, then AWS's own host.
 */

/** The services doctor calls, with the SDK's suffix of their endpoint variable. */
export type AwsService = 'cloudtrail' | 'sts' | 'account' | 'ec2';

/**
 * `host[:port]` of `url`, or undefined when it is not a URL. `new URL().host` carries no user, password, path or
 * query, so nothing secret can leak through it.
 */
export function hostOf(url: string | undefined): string | undefined {
  if (url === undefined || url.trim() === '') return undefined;
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where `service`'s requests for `region` go: the host of `explicit`, else of the SDK's variables in `env`, else
 * `<service>.<region>.amazonaws.com` (Account Management: account.us-east-1.amazonaws.com, global; API-FACTS K.7).
 */
export function awsHostOf(service: AwsService, region: string, explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return hostOf(explicit)
    ?? hostOf(env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`])
    ?? hostOf(env.AWS_ENDPOINT_URL)
    ?? (service === 'account' ? 'account.us-east-1.amazonaws.com' : `${service}.${region}.amazonaws.com`);
}
