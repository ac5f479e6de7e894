import type { TrailEvent } from '../events/types';

/**
 * Links into the AWS console's CloudTrail pages (API-FACTS L): an event's own page and a region's Event history,
 * built only from validated parts (a region name, a host name, a URL-encoded event ID), so no event value can
 * turn a link into something else.
 */

/**
 * Each partition's console host, by region prefix (API-FACTS L: GovCloud `console.amazonaws-us-gov.com`, China
 * `console.amazonaws.cn`; the commercial one for every other region).
 */
const PARTITION_CONSOLES: ReadonlyArray<readonly [prefix: string, domain: string]> = [
  ['us-gov-', 'console.amazonaws-us-gov.com'],
  ['cn-', 'console.amazonaws.cn'],
];
const COMMERCIAL_CONSOLE = 'console.aws.amazon.com';
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;
/** Real event IDs are 36-char GUIDs; anything much longer is not linked (it is still shown, cut). */
const MAX_LINKED_ID = 128;

/** The console host for a region: the configured one, else its partition's (us-gov-…, cn-…, else commercial). */
export function consoleDomainFor(region: string, configured?: string): string {
  if (configured !== undefined) return configured;
  return PARTITION_CONSOLES.find(([prefix]) => region.startsWith(prefix))?.[1] ?? COMMERCIAL_CONSOLE;
}

/**
 * The region's Event history, `https://<region>.<domain>/cloudtrailv2/home?region=<region>#/events`, the form
 * today's console uses (API-FACTS L; whether GovCloud and China serve the same path is unconfirmed there), or
 * undefined for an invalid region or domain.
 */
export function consoleHistoryUrl(region: string, consoleDomain?: string): string | undefined {
  const domain = consoleDomainFor(region, consoleDomain);
  if (!REGION.test(region) || !HOST.test(domain)) return undefined;
  return `https://${region}.${domain}/cloudtrailv2/home?region=${region}#/events`;
}

/**
 * The console's page for this one event, `…/cloudtrailv2/home?region=<region>#/events/<EventId>` (API-FACTS L),
 * or undefined when the region or ID cannot be linked safely (too long, or a lone surrogate that cannot be
 * URL-encoded).
 */
export function consoleEventUrl(event: TrailEvent, consoleDomain?: string): string | undefined {
  const history = consoleHistoryUrl(event.region, consoleDomain);
  if (history === undefined || event.id === '' || event.id.length > MAX_LINKED_ID) return undefined;
  try {
    return `${history}/${encodeURIComponent(event.id)}`;
  } catch {
    return undefined;
  }
}
