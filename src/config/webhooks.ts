import { ConfigError } from '../lib/errors';
import { validateMutes, type MuteConfig } from '../rules/mute';
import { DEFAULT_WEBHOOK, validateRoutes, type RouteConfig } from '../rules/routes';
import { MAX_WEBHOOKS_PER_EVENT } from '../state/check-state';
import type { ConfigFile } from './schema';

/**
 * The webhooks, routes and mutes of the configuration (issue 8 item 4): which Slack webhooks there are, by name,
 * and whether the routes and mutes that name them hold together. The URLs are secrets: nothing here puts one in a
 * message.
 */

/**
 * The webhook named `default` from the file: `slack.webhookUrl` or `slack.webhooks.default` (giving both is a
 * mistake: which one was meant?), and the other named webhooks. Throws ConfigError for both, or for more than
 * MAX_WEBHOOKS_PER_EVENT (16) webhooks: the state's bound on the webhooks one event can be recorded for.
 */
export function webhooksOfFile(file: ConfigFile, where: string): { defaultUrl?: string; named: Record<string, string> } {
  const { webhookUrl, webhooks = {} } = file.slack ?? {};
  if (webhookUrl !== undefined && webhooks[DEFAULT_WEBHOOK] !== undefined) {
    throw new ConfigError(`${where}slack.webhookUrl and slack.webhooks.${DEFAULT_WEBHOOK} both set the webhook named "${DEFAULT_WEBHOOK}": keep one`);
  }
  // The state records, per event, the webhooks that accepted it; its bound (check-state.ts) caps how many.
  if (Object.keys(webhooks).length > MAX_WEBHOOKS_PER_EVENT) {
    throw new ConfigError(`${where}slack.webhooks: at most ${MAX_WEBHOOKS_PER_EVENT} webhooks, found ${Object.keys(webhooks).length}; post to fewer channels`);
  }
  const named = Object.fromEntries(Object.entries(webhooks).filter(([name]) => name !== DEFAULT_WEBHOOK));
  return { defaultUrl: webhookUrl ?? webhooks[DEFAULT_WEBHOOK], named };
}

/** `default` first (when there is one), then the others in the file's order. */
export function mergeWebhooks(defaultUrl: string | undefined, named: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = {};
  if (defaultUrl !== undefined) merged[DEFAULT_WEBHOOK] = defaultUrl;
  for (const [name, url] of Object.entries(named)) if (name !== DEFAULT_WEBHOOK) merged[name] = url;
  return merged;
}

/**
 * Checks `routes` and `mute` (validateRoutes, validateMutes) once the webhooks are known; throws one ConfigError
 * holding every problem, on one line. With `dryRun` nothing is posted, so the printed output stands in for the
 * webhook named `default` even when it has no URL (as one message per event always did).
 */
export function checkRouting(
  file: ConfigFile,
  webhooks: Record<string, string>,
  options: { dryRun: boolean; where: string },
): { routes: RouteConfig[]; mute: MuteConfig[] } {
  const names = Object.keys(webhooks);
  if (options.dryRun && !names.includes(DEFAULT_WEBHOOK)) names.unshift(DEFAULT_WEBHOOK);
  const problems = [...validateRoutes(file.routes, names), ...validateMutes(file.mute)];
  if (problems.length > 0) throw new ConfigError(`${options.where}${problems.join('; ')}`);
  // Validated: the shapes are RouteConfig[] and MuteConfig[] (JSON data, frozen with the rest of the Config).
  return { routes: (file.routes ?? []) as RouteConfig[], mute: (file.mute ?? []) as MuteConfig[] };
}
