import { createAlerter } from '../alerts/alerter';
import { knownSecretsOf } from '../alerts/scrub';
import type { Config } from '../config/types';
import { systemClock } from '../lib/clock';
import { EXIT_FAILURE } from '../lib/errors';
import type { Logger } from '../logging/logger';
import { sharedFileProfile } from '../targets/shard-files';

/** A crash must still exit promptly: pm2 (or a human) is waiting, and the email is best effort. */
const CRASH_ALERT_TIMEOUT_MS = 5_000;

interface CrashProc {
  on(event: 'uncaughtException', listener: (error: Error) => void): unknown;
  exit(code: number): never;
  stderr: { write(text: string): unknown };
}

/**
 * Replaces Node's default for an uncaught exception (print, exit 1) with: print, log, one alert email (the
 * cooldown file keeps a pm2 crash loop to one), exit 1. Without this a crash loop would be silent by email.
 */
export function alertOnCrash(config: Config, log: Logger, proc: CrashProc): void {
  let crashing = false;
  proc.on('uncaughtException', (error) => {
    if (crashing) return; // a second one while the email goes out: the exit below is already on its way
    crashing = true;
    proc.stderr.write(`${error.stack ?? String(error)}\n`);
    log.fatal({ err: error }, 'uncaught exception; exiting');
    const alerter = createAlerter({
      email: config.email,
      stateDir: config.stateDir,
      profile: sharedFileProfile(config),
      clock: systemClock,
      log,
      cooldownMs: config.alertCooldownMinutes * 60_000,
      sendTimeoutMs: CRASH_ALERT_TIMEOUT_MS,
      secrets: knownSecretsOf(config),
    });
    void alerter
      .alert({
        kind: 'fatal',
        reason: `uncaught exception: ${error.message}`,
        action: 'a bug: send the daemon log around this time to the maintainers; it exited with code 1, which pm2 and systemd restart',
      })
      .finally(() => proc.exit(EXIT_FAILURE));
  });
}
