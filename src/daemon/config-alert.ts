import { readFileSync } from 'node:fs';
import { createAlerter } from '../alerts/alerter';
import { loadConfig, type LoadConfigInput } from '../config/load';
import type { Config } from '../config/types';
import type { ConfigError } from '../lib/errors';
import { systemClock } from '../lib/clock';
import { createLogger, type Logger } from '../logging/logger';

/** "Fast" matters more than "sure" here: the process must still exit 78 promptly (pm2 waits, a human waits). */
const CONFIG_ALERT_TIMEOUT_MS = 5_000;
/** The only config file keys this path reads: where to send mail, and where the cooldown file lives. */
const ALERT_KEYS = ['email', 'stateDir', 'profile', 'alertCooldownMinutes'];
/** The only variables it reads (the webhook is passed separately, to be masked). */
const ALERT_ENV = ['SMTP_URL', 'ALERT_EMAIL_TO', 'ALERT_EMAIL_FROM', 'AWS_PROFILE', 'CLOUDTRAIL_SLACK_CONFIG'];

/**
 * Best effort: emails "invalid configuration found at start" when the email settings themselves are usable, even
 * though the configuration as a whole is not. Uses the normal alerter, so the cooldown file stops a supervisor's
 * restarts from mailing again. Never throws; bounded by a few seconds.
 */
export async function sendConfigAlert(error: ConfigError, input: LoadConfigInput, log?: Logger): Promise<void> {
  const config = loadAlertSettings(input);
  if (config === undefined || config.email.smtpUrl === undefined) return;
  const alerter = createAlerter({
    email: config.email,
    stateDir: config.stateDir,
    profile: config.stateProfile,
    clock: systemClock,
    // The terminal (or pm2's error log) already has the one-line reason; the mail's own outcome is not news there.
    log: log ?? createLogger({ level: 'silent' }),
    cooldownMs: config.alertCooldownMinutes * 60_000,
    sendTimeoutMs: CONFIG_ALERT_TIMEOUT_MS,
    secrets: [input.env.SLACK_WEBHOOK_URL, input.env.AWS_SECRET_ACCESS_KEY, input.env.AWS_SESSION_TOKEN],
  });
  await alerter.alert({
    kind: 'config',
    reason: `invalid configuration found at start: ${error.message}`,
    action: 'fix the setting named above and start the daemon again; it exited with code 78, which pm2 and the systemd unit do not restart',
  });
}

/**
 * The email settings alone, validated by the real loader: the rest of the configuration (the part that failed) is
 * left out. First with the config file's email keys, then, if that file is itself the problem, from the environment.
 */
function loadAlertSettings(input: LoadConfigInput): Config | undefined {
  const { flags } = input;
  const env = Object.fromEntries(ALERT_ENV.map((name) => [name, input.env[name]]));
  // dryRun: no webhook needed; stateDir and profile name the cooldown file, as in the daemon.
  const base = { stateDir: flags.stateDir, credsProfile: flags.credsProfile, dryRun: true };
  const attempts: LoadConfigInput[] = [
    { ...input, env, flags: { ...base, configFile: flags.configFile }, readFile: (path) => pickAlertKeys(readText(input, path)) },
    { ...input, env: { ...env, CLOUDTRAIL_SLACK_CONFIG: undefined }, flags: base },
  ];
  for (const attempt of attempts) {
    try {
      return loadConfig(attempt);
    } catch {
      // that source is unusable too: try the next
    }
  }
  return undefined;
}

function readText(input: LoadConfigInput, path: string): string {
  return input.readFile ? input.readFile(path) : readFileSync(path, 'utf8');
}

function pickAlertKeys(text: string): string {
  const raw = JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error('not an object');
  const picked = Object.fromEntries(Object.entries(raw).filter(([key]) => ALERT_KEYS.includes(key)));
  return JSON.stringify(picked);
}
