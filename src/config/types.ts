import type { MuteConfig } from '../rules/mute';
import type { RouteConfig } from '../rules/routes';
import type { ListenAddress } from '../observability/listen-address';
import type { AccountSpec, OrganizationConfig } from '../targets/target';
import type { ShardSpec } from '../targets/shard';

/** The validated, frozen configuration. Built once by loadConfig (defaults ← file ← env ← flags). */
export interface Config {
  /** AWS profile for credentials; undefined → the SDK's default chain. */
  profile: string | undefined;
  /** Name used in state file names: profile, else AWS_PROFILE, else 'default'. */
  stateProfile: string;
  regions: string[];
  /**
   * `-r all` / `regions: "all"`: poll the regions enabled for the account (account:ListRegions, fallback
   * ec2:DescribeRegions; API-FACTS K.7), re-checked daily; `regions` is then the list used until discovery answers.
   */
  discoverRegions: boolean;
  /**
   * Config `accounts` (issue 10 item 1): the accounts watched, each by role, profile or the base credentials;
   * undefined (and no `organization`): the one account of the credentials, with region-only target keys and the
   * state file names of before (src/targets/target.ts).
   */
  accounts: AccountSpec[] | undefined;
  /** Config `organization`: the accounts come from Organizations ListAccounts, hourly; undefined: off. */
  organization: OrganizationConfig | undefined;
  /**
   * This instance's shard (`--shard K/N`, CLOUDTRAIL_SLACK_SHARD, or pm2's NODE_APP_INSTANCE with `shards.count`);
   * default {index 0, count 1}: every target (src/targets/shard.ts).
   */
  shard: ShardSpec;
  stateDir: string;
  pollIntervalSeconds: number;
  settleMinutes: number;
  initialLookbackMinutes: number;
  /** A full re-scan of the settle window runs at most this often per region (quick polls in between). */
  settleScanIntervalSeconds: number;
  /** LookupEvents requests per second per region (AWS allows 2). */
  lookupRequestsPerSecond: number;
  /** Slack messages per second per webhook (Slack allows about 1). */
  slackMessagesPerSecond: number;
  /** Local CloudTrail endpoint (tests, demo); undefined → AWS. Also AWS_ENDPOINT_URL_CLOUDTRAIL via the SDK. */
  cloudtrailEndpoint: string | undefined;
  /**
   * The AWS console's host name for the links in each message (`console.amazonaws-us-gov.com`), lower case;
   * undefined → each region's partition decides (src/slack/format.ts, consoleDomainFor).
   */
  consoleDomain: string | undefined;
  slack: {
    /** = webhooks.default (kept for older callers). A secret: never log it. */
    webhookUrl: string | undefined;
    /**
     * Webhook name → URL: `slack.webhooks`, plus `default` from SLACK_WEBHOOK_URL (which wins) or
     * `slack.webhookUrl`. Names match WEBHOOK_NAME_PATTERN (src/config/schema.ts); `default` first, then the file's
     * order. At least one unless dryRun. The URLs are secrets: log the names only (describeConfig).
     */
    webhooks: Record<string, string>;
  };
  /**
   * Config `routes`, validated by validateRoutes (src/rules/routes.ts) against the webhook names (with dryRun,
   * `default` counts as one even without a URL). Empty: every event goes to `default`.
   */
  routes: RouteConfig[];
  /** Config `mute`, validated by validateMutes (src/rules/mute.ts); `exclude.*` is translated by the decider. */
  mute: MuteConfig[];
  rules: {
    /** Rule files and folders: config `rules.paths`, then each `--rules`; absolute, each once. */
    paths: string[];
    /** The built-in pack (rules/builtin); config `rules.builtin`, default true. */
    builtin: boolean;
  };
  /** Digests (issue 8 item 6; pipeline.md DigestOptions). Bounds: src/config/bounds.ts. */
  digest: {
    /** Default true; false: one message per event. */
    enabled: boolean;
    /** Digests start when at least this many non-high events wait for one webhook. Default 5 (2 – 1000). */
    minEvents: number;
    /** Repeats of (actor, event name, resource) closer than this collapse into one line. Default 10 (0 – 1440). */
    repeatWindowMinutes: number;
  };
  /**
   * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN when set in the environment: read only so logs, emails and errors
   * can mask them by value (alerts/scrub.ts knownSecretsOf); the SDK reads its credentials itself. Never log it.
   */
  awsSecrets?: string[];
  email: {
    /** A secret (may hold a password): never log it. */
    smtpUrl: string | undefined;
    to: string[];
    from: string | undefined;
  };
  exclude: {
    eventNames: string[];
    eventSources: string[];
    userNames: string[];
  };
  once: boolean;
  dryRun: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  logFile: string | undefined;
  pidFile: string | undefined;
  daemonize: boolean;
  /** Graceful stop must finish within this; kept below pm2's kill_timeout. */
  shutdownTimeoutSeconds: number;
  /** A region failing longer than this sends an alert email. */
  alertAfterMinutes: number;
  /** Minimum time between two alert emails of the same (kind, region). */
  alertCooldownMinutes: number;
  /** The trail monitor (issue 9 item 6; src/monitors/trail-monitor.ts); config file only. */
  trailMonitor: {
    /** Default true. Never runs with --once. */
    enabled: boolean;
    /** Between two checks. Default 15 (1 – 1440: src/config/bounds.ts). */
    intervalMinutes: number;
    /** Where DescribeTrails, GetTrailStatus and GetEventSelectors are called; undefined: the first polled region. */
    region: string | undefined;
  };
  /**
   * A region behind now by more than this raises a `stalled` alert (src/monitors/stall-alarm.ts). Default 30, or
   * settleMinutes + the poll interval + 15 when those reach 30; always above settleMinutes + the poll interval.
   */
  stallAlertMinutes: number;
  /** The heartbeat (src/monitors/heartbeat.ts). */
  heartbeat: {
    /** A dead man's switch pinged (GET) after each clean cycle; CLOUDTRAIL_SLACK_HEARTBEAT_URL wins. A secret. */
    url: string | undefined;
    /** Bound on one ping. Default 10. */
    timeoutSeconds: number;
    /** "HH:MM" (UTC): a daily Slack message with the day's counts at that time; undefined: off. */
    slackDaily: string | undefined;
  };
  /** The HTTP endpoint (/metrics, /healthz, /readyz, /): `--http`, CLOUDTRAIL_SLACK_HTTP, `http.listen`. */
  http: {
    /** undefined: off (the default). A bare port means 127.0.0.1. */
    listen: ListenAddress | undefined;
  };
}

/** Every region enabled by default in a commercial AWS account (opt-in regions must be listed with -r). */
export const DEFAULT_REGIONS: readonly string[] = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
  'ca-central-1',
  'eu-central-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-north-1',
  'sa-east-1',
];

/** `-r all` / `regions: "all"`: the regions enabled for the account (Config.discoverRegions). */
export const ALL_REGIONS = 'all';
