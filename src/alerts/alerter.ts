import os from 'node:os';
import { classifyError } from '../errors/classify';
import type { Clock } from '../lib/clock';
import { MAX_TIMER_MS } from '../lib/timers';
import type { Logger } from '../logging/logger';
import {
  alertKey,
  alertStatePath,
  mergeAlertStates,
  readAlertState,
  writeAlertState,
  type AlertRecord,
  type AlertState,
} from './alert-state';
import { formatAlertEmail, formatRecoveredEmail, type AlertOrigin, type EmailContent } from './email';
import { createMailTransport, describeSmtp } from './mailer';
import { isNotice } from './alert-kinds';
import { createScrubber } from './scrub';
import type { Telemetry } from '../observability/telemetry';
import { parseAlertKey } from '../targets/target';

export const DEFAULT_SEND_TIMEOUT_MS = 20_000;

export interface AlertInput {
  /**
   * 'credentials' | 'access-denied' | 'config' | 'slack-refused' | 'region-failing' | 'state-unwritable' |
   * 'throttled' | 'fatal' | …; one cooldown per (kind, region).
   */
  kind: string;
  /**
   * The target key it concerns: a region for the daemon's own account, `<account-id>/<region>` for another (issue
   * 10), so the cooldown is per account and region, and the email names the account.
   */
  region?: string;
  /** What went wrong; scrubbed of secrets before it is logged or emailed. */
  reason: string;
  /** What the human should do. */
  action: string;
  account?: string;
}

export interface Alerter {
  /** Logs the alert and emails it, at most once per (kind, region) per cooldown. Never rejects. */
  alert(alert: AlertInput): Promise<void>;
  /** Sends one "recovered" email if an alert for (kind, region) was emailed and not yet recovered. Never rejects. */
  recovered(kind: string, region?: string, note?: string): Promise<void>;
  /**
   * The alerts still open: emailed (by this process or an earlier one, as the cooldown file says) and not yet
   * followed by a "recovered" email; in log-only mode, those this process logged. Never rejects.
   */
  openAlerts(): Promise<Array<{ kind: string; region: string | undefined }>>;
}

/** The message handed to the transport; nodemailer's transporter accepts it as is. */
export interface AlertMail extends EmailContent {
  from: string;
  to: string[];
  headers: Record<string, string>;
  /** Aborted when sendTimeoutMs passes; nodemailer then closes the connection. */
  signal: AbortSignal;
}

export interface MailSender {
  sendMail(message: AlertMail): Promise<unknown>;
}

export interface AlerterOptions {
  email: { smtpUrl?: string | undefined; to: readonly string[]; from?: string | undefined };
  stateDir: string;
  /** The state profile: names the cooldown file `<stateDir>/.<profile>.alerts.json`. */
  profile: string;
  clock: Clock;
  log: Logger;
  cooldownMs: number;
  /** Upper bound on one email, connection included. Default 20 s. */
  sendTimeoutMs?: number;
  host?: string;
  program?: string;
  pid?: number;
  /** Replaces the SMTP transport built from email.smtpUrl (tests, other transports). */
  transport?: MailSender;
  /**
   * The AWS account and principal the daemon runs as (src/aws/identity.ts), read when an email is written: until
   * STS has answered, undefined, and the email says "(unknown)". An alert's own `account` wins.
   */
  identity?: () => { account: string; arn: string } | undefined;
  /**
   * The names of accounts (the run's AccountDirectory): an alert about another account's target (a `region` that
   * is a target key `<account-id>/<region>`) names it "name (id)". Default: the ID alone.
   */
  accounts?: { nameOf(id: string): string | undefined };
  /** More secrets to mask by value (alerts/scrub.ts knownSecretsOf: the webhook URL, AWS keys); the SMTP URL's userinfo always is. */
  secrets?: readonly (string | undefined)[];
  /** Told of each alert actually sent: emailed, or logged when email is off (cloudtrail_slack_alerts_total, the status page). */
  telemetry?: Pick<Telemetry, 'alertSent'>;
}

/**
 * Builds the alerter. Email is on when `email.to` is not empty and there is an SMTP URL (or a transport);
 * otherwise alerts are logged only. Throws ConfigError, before any I/O, if the SMTP URL is not an smtp(s) URL.
 */
export function createAlerter(options: AlerterOptions): Alerter {
  return new EmailAlerter(options);
}

class EmailAlerter implements Alerter {
  readonly #options: AlerterOptions;
  readonly #log: Logger;
  readonly #origin: AlertOrigin;
  readonly #transport: MailSender | undefined;
  readonly #smtp: string;
  readonly #from: string;
  readonly #to: string[];
  readonly #file: string;
  readonly #sendTimeoutMs: number;
  readonly #scrubText: (text: string) => string;
  /** Last state this process read or wrote: keeps the cooldown working when the file cannot be written. */
  #memory: AlertState = new Map();
  /** Log-only mode: the alerts logged and not yet recovered, in this process, by key. */
  readonly #openInLog = new Map<string, { kind: string; region: string | undefined }>();
  /** Serializes read-modify-write of the cooldown file within this process; sending happens outside it. */
  #lock: Promise<unknown> = Promise.resolve();

  constructor(options: AlerterOptions) {
    this.#options = options;
    this.#log = options.log;
    const host = options.host ?? os.hostname();
    this.#origin = {
      host,
      program: options.program ?? process.argv[1] ?? 'cloudtrail-slack',
      pid: options.pid ?? process.pid,
      profile: options.profile,
    };
    this.#smtp = describeSmtp(options.email.smtpUrl);
    this.#from = options.email.from ?? `cloudtrail-slack@${host}`;
    this.#to = [...options.email.to];
    this.#file = alertStatePath(options.stateDir, options.profile);
    this.#sendTimeoutMs = options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
    this.#scrubText = createScrubber([options.email.smtpUrl, ...(options.secrets ?? [])]);
    const smtpUrl = options.email.smtpUrl;
    if (this.#to.length > 0 && (options.transport || smtpUrl)) {
      this.#transport =
        options.transport ?? createMailTransport(smtpUrl as string, { timeoutMs: this.#sendTimeoutMs });
      this.#log.info({ smtp: this.#smtp, to: this.#to, from: this.#from }, 'email alerts are on');
    } else {
      this.#log.info(
        'email alerts are off: set SMTP_URL and ALERT_EMAIL_TO (or email.smtpUrl / email.to) to get them',
      );
    }
  }

  async alert(input: AlertInput): Promise<void> {
    try {
      await this.#alert(input);
    } catch (error) {
      const fields = { kind: input.kind, region: input.region ?? null, err: this.#describeError(error) };
      this.#log.error(fields, 'alert failed');
    }
  }

  async recovered(kind: string, region?: string, note?: string): Promise<void> {
    try {
      await this.#recovered(kind, region, note === undefined ? undefined : this.#scrub(note));
    } catch (error) {
      this.#log.error({ kind, region: region ?? null, err: this.#describeError(error) }, 'recovery notice failed');
    }
  }

  async openAlerts(): Promise<Array<{ kind: string; region: string | undefined }>> {
    try {
      if (!this.#transport) return [...this.#openInLog.values()];
      const state = await this.#serialised(() => this.#read());
      return [...state.values()].filter((r) => r.open).map(({ kind, region }) => ({ kind, region }));
    } catch (error) {
      this.#log.error({ err: this.#describeError(error) }, 'cannot list open alerts');
      return [];
    }
  }

  async #alert(input: AlertInput): Promise<void> {
    const key = alertKey(input.kind, input.region);
    const facts = {
      kind: input.kind,
      region: input.region,
      ...this.#nameOf(input.region),
      ...this.#accountOf(input.account),
      reason: this.#scrub(input.reason),
      action: this.#scrub(input.action),
    };
    const fields = { ...facts, region: input.region ?? null };
    if (!this.#transport) {
      if (!isNotice(input.kind)) this.#openInLog.set(key, { kind: input.kind, region: input.region });
      this.#log.error({ ...fields, email: 'off' }, 'alert: a human must act');
      this.#sent(facts);
      return;
    }
    const now = this.#options.clock.now();
    const claimed = await this.#update((state) => {
      const previous = state.get(key);
      if (previous && isWithinCooldown(previous.lastSentAt, now, this.#options.cooldownMs)) return undefined;
      // Claimed before sending, so a second caller (or a restarted process) does not send it too. A notice
      // (nothing to recover from) only starts a cooldown.
      const open = !isNotice(input.kind);
      const record: AlertRecord = {
        kind: input.kind,
        region: input.region,
        lastSentAt: iso(now),
        open,
        openedAt: !open ? undefined : previous?.open ? previous.openedAt : iso(now),
        reason: facts.reason,
        updatedAt: nextUpdate(previous, now),
      };
      state.set(key, record);
      return { previous, record };
    });
    this.#log.error({ ...fields, email: claimed ? 'sending' : 'cooldown' }, 'alert: a human must act');
    if (!claimed) return;
    const content = formatAlertEmail(this.#origin, facts, now, this.#options.cooldownMs, !isNotice(input.kind));
    if (await this.#send(content, fields)) {
      this.#sent(facts);
      return;
    }
    // Not sent: release the claim so the next alert tries again instead of waiting out the cooldown.
    await this.#update((state) => {
      if (state.get(key)?.lastSentAt !== claimed.record.lastSentAt) return undefined;
      const updatedAt = nextUpdate(claimed.record, this.#options.clock.now());
      const released = claimed.previous ?? { ...claimed.record, lastSentAt: undefined, open: false, openedAt: undefined };
      state.set(key, { ...released, updatedAt });
      return true;
    });
  }

  async #recovered(kind: string, region: string | undefined, note: string | undefined): Promise<void> {
    const key = alertKey(kind, region);
    const fields = { kind, region: region ?? null, note };
    if (!this.#transport) {
      if (this.#openInLog.delete(key)) this.#log.info({ ...fields, email: 'off' }, 'alert condition recovered');
      return;
    }
    const now = this.#options.clock.now();
    const closed = await this.#update((state) => {
      const record = state.get(key);
      if (!record?.open) return undefined;
      state.set(key, { ...record, open: false, updatedAt: nextUpdate(record, now) });
      return record;
    });
    if (!closed) return;
    this.#log.info({ ...fields, email: 'sending' }, 'alert condition recovered');
    const content = formatRecoveredEmail(
      this.#origin,
      { kind, region, note, openedAt: closed.openedAt, reason: closed.reason, ...this.#nameOf(region), ...this.#accountOf(undefined) },
      now,
    );
    await this.#send(content, fields);
  }

  /**
   * Re-reads the cooldown file (another instance may have written it), lets `change` edit the state, and writes
   * it back if `change` returned something. Read and write failures are logged, never thrown.
   */
  #update<T>(change: (state: AlertState) => T | undefined): Promise<T | undefined> {
    return this.#serialised(async () => {
      const state = await this.#read();
      const result = change(state);
      if (result === undefined) return undefined;
      this.#memory = state;
      try {
        await writeAlertState(this.#file, state);
      } catch (error) {
        this.#log.warn({ file: this.#file, err: this.#describeError(error) }, 'cannot save alert cooldown; continuing');
      }
      return result;
    });
  }

  /** The cooldown file merged with this process's memory; an unusable file is logged (and set aside) and skipped. */
  async #read(): Promise<AlertState> {
    const read = await readAlertState(this.#file, this.#options.clock.now());
    if ('problem' in read) {
      const err = read.error === undefined ? undefined : this.#describeError(read.error);
      const fields = { file: this.#file, problem: read.problem, reason: read.reason, movedTo: read.movedTo, err };
      this.#log.warn(fields, 'alert cooldown file is unusable; starting afresh');
    }
    for (const dropped of read.dropped ?? []) {
      this.#log.warn({ file: this.#file, key: dropped.key, reason: dropped.reason }, 'alert cooldown entry is invalid; ignored');
    }
    return mergeAlertStates(read.state, this.#memory);
  }

  /** Serializes read-modify-write of the cooldown file within this process; sending happens outside it. */
  #serialised<T>(run: () => Promise<T>): Promise<T> {
    const next = this.#lock.then(run, run);
    this.#lock = next.catch(() => undefined);
    return next;
  }

  /** Sends one email, bounded by sendTimeoutMs. Returns whether it went out; failures are logged, never thrown. */
  async #send(content: EmailContent, fields: Record<string, unknown>): Promise<boolean> {
    const transport = this.#transport;
    if (!transport) return false;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    // A real timer, not the clock: it bounds real network I/O. unref() so it never holds the process open.
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        controller.abort(new Error(`alert email not sent within ${this.#sendTimeoutMs} ms`));
        resolve('timeout');
      }, Math.min(MAX_TIMER_MS, this.#sendTimeoutMs)); // one Node timer holds no more (src/lib/timers.ts)
      timer.unref();
    });
    const log = { kind: fields.kind, region: fields.region, smtp: this.#smtp };
    try {
      const mail: AlertMail = {
        from: this.#from,
        to: this.#to,
        subject: this.#scrub(content.subject),
        text: this.#scrub(content.text),
        // RFC 3834: keeps vacation responders from answering the daemon.
        headers: { 'Auto-Submitted': 'auto-generated' },
        signal: controller.signal,
      };
      const outcome = await Promise.race([transport.sendMail(mail).then(() => 'sent' as const), timedOut]);
      if (outcome === 'timeout') {
        this.#log.error({ ...log, timeoutMs: this.#sendTimeoutMs }, 'alert email timed out');
        return false;
      }
      this.#log.info({ ...log, to: this.#to }, 'alert email sent');
      return true;
    } catch (error) {
      const what = classifyError(error, 'smtp');
      this.#log.error({ ...log, err: this.#describeError(error), errorKind: what.kind, advice: what.advice }, 'alert email failed');
      return false;
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  }

  /** The alert's own account, else the daemon's identity (account and principal), else nothing known. */
  #accountOf(account: string | undefined): { account: string | undefined; principal?: string } {
    if (account !== undefined) return { account };
    const identity = this.#options.identity?.();
    return identity === undefined ? { account: undefined } : { account: identity.account, principal: identity.arn };
  }

  /** The name of a target key's account, when it names another account and the name is known. */
  #nameOf(target: string | undefined): { accountName?: string } {
    const account = target === undefined ? undefined : parseAlertKey(target).account;
    const name = account === undefined ? undefined : this.#options.accounts?.nameOf(account);
    return name === undefined ? {} : { accountName: name };
  }

  /** Telemetry must never fail an alert. */
  #sent(facts: { kind: string; region?: string; reason: string }): void {
    try {
      this.#options.telemetry?.alertSent(facts.kind, facts.reason, facts.region);
    } catch {
      // ignored: the alert went out
    }
  }

  #scrub(text: string): string {
    return this.#scrubText(text);
  }

  /** An error as loggable fields: never the raw object, whose properties could carry the SMTP conversation. */
  #describeError(error: unknown): Record<string, unknown> {
    if (!(error instanceof Error)) return { message: this.#scrub(String(error)) };
    const extra = error as Error & { code?: unknown; command?: unknown; responseCode?: unknown };
    return {
      type: error.name,
      message: this.#scrub(error.message),
      ...(typeof extra.code === 'string' ? { code: extra.code } : {}),
      ...(typeof extra.command === 'string' ? { command: extra.command } : {}),
      ...(typeof extra.responseCode === 'number' ? { responseCode: extra.responseCode } : {}),
    };
  }
}

function isWithinCooldown(lastSentAt: string | undefined, now: number, cooldownMs: number): boolean {
  if (lastSentAt === undefined) return false;
  const last = Date.parse(lastSentAt);
  // |now − last|: a clock stepped back a little must not resend, one far in the future must not mute forever.
  return Number.isFinite(last) && Math.abs(now - last) < cooldownMs;
}

/** Later than `previous`, even when the (manual or stepped-back) clock has not moved since. */
function nextUpdate(previous: AlertRecord | undefined, now: number): number {
  return previous === undefined ? now : Math.max(now, previous.updatedAt + 1);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
