import type { Config } from './types';
import { formatListenUrl } from '../observability/listen-address';
import { describeAccount } from '../targets/target';
import { formatShard } from './shard-choice';

/** A summary that is safe to log: webhook names but no URL, no SMTP user or password. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    profile: config.profile ?? '(default credential chain)',
    stateProfile: config.stateProfile,
    regions: config.discoverRegions ? `all (until discovered: ${config.regions.join(',')})` : config.regions,
    // Issue 10: names come from the config file (the organisation's are learnt later); an external ID is not a
    // secret to AWS, but it need not travel through logs either.
    accounts: config.accounts?.map((account) => describeAccount(account.id, account.name)) ?? '(the account of the credentials)',
    organization:
      config.organization === undefined
        ? undefined
        : {
            roleName: config.organization.roleName,
            externalId: config.organization.externalId === undefined ? undefined : '(set)',
            exclude: config.organization.exclude,
            regions: config.organization.regions ?? '(the global list)',
          },
    shard: formatShard(config.shard),
    stateDir: config.stateDir,
    pollIntervalSeconds: config.pollIntervalSeconds,
    settleMinutes: config.settleMinutes,
    initialLookbackMinutes: config.initialLookbackMinutes,
    settleScanIntervalSeconds: config.settleScanIntervalSeconds,
    lookupRequestsPerSecond: config.lookupRequestsPerSecond,
    slackMessagesPerSecond: config.slackMessagesPerSecond,
    cloudtrailEndpoint: config.cloudtrailEndpoint === undefined ? undefined : describeUrl(config.cloudtrailEndpoint),
    consoleDomain: config.consoleDomain ?? '(from each region)',
    // The names only: a webhook URL is a secret in every part of it but the host, and the host says nothing useful.
    slack: { configured: Object.keys(config.slack.webhooks).length > 0, webhooks: Object.keys(config.slack.webhooks) },
    routes: config.routes.length,
    mute: config.mute.length,
    rules: config.rules,
    digest: config.digest,
    email: {
      configured: config.email.smtpUrl !== undefined,
      server: config.email.smtpUrl === undefined ? undefined : describeUrl(config.email.smtpUrl),
      to: config.email.to,
      from: config.email.from,
    },
    exclude: config.exclude,
    once: config.once,
    dryRun: config.dryRun,
    daemonize: config.daemonize,
    logLevel: config.logLevel,
    logFile: config.logFile,
    pidFile: config.pidFile,
    shutdownTimeoutSeconds: config.shutdownTimeoutSeconds,
    alertAfterMinutes: config.alertAfterMinutes,
    alertCooldownMinutes: config.alertCooldownMinutes,
    trailMonitor: config.trailMonitor,
    stallAlertMinutes: config.stallAlertMinutes,
    heartbeat: {
      url: config.heartbeat.url === undefined ? undefined : describeUrl(config.heartbeat.url),
      timeoutSeconds: config.heartbeat.timeoutSeconds,
      slackDaily: config.heartbeat.slackDaily ?? 'off',
    },
    http: { listen: config.http.listen === undefined ? '(off)' : formatListenUrl(config.http.listen) },
  };
}

/** Scheme, host and port only (no user, password, path or query): smtp://…@mail.example.com:587, http://127.0.0.1:4566/… */
function describeUrl(value: string): string {
  const url = new URL(value);
  const auth = url.username !== '' ? '…@' : '';
  const path = url.pathname.split('/').some((part) => part !== '') ? '/…' : '';
  return `${url.protocol}//${auth}${url.host}${path}`;
}
