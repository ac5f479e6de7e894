import { loadConfig } from '../config/load';
import type { Config } from '../config/types';
import type { AccountSpec } from '../targets/target';
import { DEMO_REGIONS } from './sample';

export interface DemoConfigInput {
  stateDir: string;
  cloudtrailUrl: string;
  webhookUrl: string;
  once: boolean;
  pollIntervalSeconds: number;
  /** Config `accounts` (demo --accounts), given to the loader as a config file would give it; default none. */
  accounts?: readonly AccountSpec[];
}

/** Seconds between full re-scans of the settle window: short, so a late event shows up within a poll or two. */
export const DEMO_SETTLE_SCAN_SECONDS = 5;
/**
 * Messages per second to the local sink. Slack allows about 1 per second per real webhook (API-FACTS C.1), and
 * the config file cannot go above that; the sink is on 127.0.0.1, so the demo raises it to let `demo --once`
 * post its ~240 messages in about 5 seconds instead of 4 minutes. Never do this against Slack.
 */
export const DEMO_SLACK_MESSAGES_PER_SECOND = 50;
/** The sample spans about 50 minutes: look back far enough on first start to see all of it. */
const DEMO_LOOKBACK_MINUTES = 60;

/**
 * The real loader with the demo's settings, then three overrides the loader (rightly) does not offer.
 * The environment is NOT process.env: the user's SLACK_WEBHOOK_URL, CLOUDTRAIL_SLACK_CONFIG, SMTP_URL and
 * AWS_PROFILE must never reach the demo, which talks to nothing but its two local simulators.
 */
export function buildDemoConfig(input: DemoConfigInput): Config {
  const loaded = loadConfig({
    flags: {
      regions: [...DEMO_REGIONS],
      stateDir: input.stateDir,
      endpoint: input.cloudtrailUrl,
      once: input.once,
      pollIntervalSeconds: input.pollIntervalSeconds,
      // The status page, /metrics, /healthz and /readyz on a free loopback port (the demo prints the bound URL).
      http: '127.0.0.1:0',
      // demo --accounts: the accounts as a config file would list them, checked by the same loader.
      ...(input.accounts === undefined ? {} : { configFile: 'demo-accounts.json' }),
    },
    env: { SLACK_WEBHOOK_URL: input.webhookUrl },
    readFile: () => {
      if (input.accounts !== undefined) return JSON.stringify({ accounts: input.accounts });
      throw new Error('the demo reads no config file');
    },
    cwd: input.stateDir,
  });
  return {
    ...loaded,
    slackMessagesPerSecond: DEMO_SLACK_MESSAGES_PER_SECOND,
    settleScanIntervalSeconds: DEMO_SETTLE_SCAN_SECONDS,
    initialLookbackMinutes: DEMO_LOOKBACK_MINUTES,
  };
}
