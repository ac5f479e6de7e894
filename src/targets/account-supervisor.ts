import type { Alerter } from '../alerts/alerter';
import type { Clock } from '../lib/clock';
import { FatalError, isAbortError } from '../lib/errors';
import type { Logger } from '../logging/logger';
import { fanOut, type Telemetry } from '../observability/telemetry';
import type { AccountDirectory } from './account-directory';
import { adviceFor, type AccountCheck, type AccountVerdict } from './account-check';
import { owns, type ShardSpec } from './shard';
import { parseTargetKey, targetsOf, type AccountSpec, type Target } from './target';

/**
 * How often a paused account is tried again (issue 10 item 3, "retried every few minutes"): the same pace as a
 * state file that cannot be read (STATE_RETRY_MS). At most 12 AssumeRole calls an hour per broken account, and a
 * fixed trust policy is picked up within 5 minutes without a restart.
 */
export const ACCOUNT_RETRY_MS = 5 * 60_000;

/** The alert kind of an account that cannot be used (src/alerts/alert-kinds.ts), keyed by the account's ID. */
export const ACCOUNT_UNUSABLE = 'account-unusable';

/** At most this many accounts are spelled out in the fatal message when none is usable. */
const MAX_NAMED = 5;

export interface AccountSupervisorOptions {
  /** The global regions: an account without its own `regions` is polled in these. */
  regions: readonly string[];
  shard: ShardSpec;
  check: AccountCheck;
  alerter: Pick<Alerter, 'alert'>;
  directory: AccountDirectory;
  clock: Clock;
  log: Logger;
  /** The daemon's stop: retries end with it. */
  signal: AbortSignal;
  /** Background work (the retries), awaited before the daemon returns. */
  track(work: Promise<void>): void;
  retryMs?: number;
  /** The level of "account added/removed" lines: info on shard 0, debug on the others (said once in all). */
  announce?: 'info' | 'debug';
  /**
   * Where a paused account's targets (those this shard owns) show as failing, "account paused: <reason>" (the
   * status page, /readyz, the per-target metrics); cleared when it resumes and its pollers register again.
   */
  telemetry?: Pick<Telemetry, 'targetStarted' | 'targetStopped' | 'scanFailed'>;
  /**
   * One LookupEvents request with the account's credentials in one of its regions: what resumes an account paused
   * because LookupEvents was denied (an STS check passes for it while the denial lasts). Absent: STS alone decides.
   */
  probe?: AccountCheck;
}

interface Watched {
  spec: AccountSpec;
  paused: boolean;
  /** Alerted as unusable and not answered since: never alerted twice for one outage. */
  alerted: boolean;
  retrying: boolean;
  /** Why it is paused: its credentials (STS refused), or LookupEvents refused while STS accepts them. */
  stage: 'credentials' | 'lookup';
  /** Why, for the status board ("account paused: <reason>"). */
  reason?: string;
}

/**
 * The accounts of a many-account daemon and whether each can be used (issue 10 items 1 and 3). A usable account's
 * targets (its regions, the ones this shard owns) are polled; an unusable one is paused: its targets stop, it is
 * alerted once (naming the account and what to fix), and it is checked again every ACCOUNT_RETRY_MS until it
 * works. The other accounts never stop for it. Only when every account is unusable at start does the daemon stop
 * (`start` throws FatalError, exit 77).
 */
export class AccountSupervisor {
  readonly #options: AccountSupervisorOptions;
  readonly #watched = new Map<string, Watched>();
  /** Where the polled targets go, once the pipeline runs (src/lifecycle/target-set.ts setTargets). */
  #apply: ((targets: Target[]) => void) | undefined;

  constructor(options: AccountSupervisorOptions) {
    this.#options = options;
  }

  /**
   * Learns the accounts' names and checks every account before "ready". Throws FatalError('account-unusable') when none is usable (one message
   * naming them and what to fix); otherwise the unusable ones are paused, and `alertPaused` alerts them.
   */
  async start(accounts: readonly AccountSpec[], signal: AbortSignal): Promise<void> {
    this.#options.directory.learn(accounts); // every message and alert below names them
    const verdicts = await Promise.all(accounts.map(async (spec) => ({ spec, verdict: await this.#options.check(spec, signal) })));
    for (const { spec, verdict } of verdicts) this.#watched.set(spec.id, { spec, paused: !verdict.usable, alerted: false, retrying: false, stage: 'credentials' });
    const bad = verdicts.filter((v): v is { spec: AccountSpec; verdict: Extract<AccountVerdict, { usable: false }> } => !v.verdict.usable);
    if (accounts.length > 0 && bad.length === accounts.length) {
      const named = bad.slice(0, MAX_NAMED).map(({ spec, verdict }) => `${this.#describe(spec.id)}: ${verdict.reason} (${verdict.advice})`);
      const more = bad.length > MAX_NAMED ? `; and ${bad.length - MAX_NAMED} more` : '';
      throw new FatalError(`no account can be used: ${named.join('; ')}${more}`, ACCOUNT_UNUSABLE);
    }
    this.#pending = bad;
  }

  #pending: Array<{ spec: AccountSpec; verdict: Extract<AccountVerdict, { usable: false }> }> = [];

  /** Alerts the accounts found unusable by `start` and starts their retries (after the alert recovery started). */
  async alertPaused(): Promise<void> {
    const pending = this.#pending;
    this.#pending = [];
    await Promise.all(pending.map(({ spec, verdict }) => this.#pause(spec.id, verdict.kind, verdict.reason, verdict.advice)));
  }

  /** The targets this shard polls now: every usable account's regions that it owns. */
  targets(): Target[] {
    const active = [...this.#watched.values()].filter((w) => !w.paused).map((w) => w.spec);
    return targetsOf(active, this.#options.regions).filter((target) => owns(this.#options.shard, target.key));
  }

  /** Every account watched, paused ones included. */
  accountIds(): string[] {
    return [...this.#watched.keys()];
  }

  /** The account's settings (how it is reached), while it is watched. */
  specOf(id: string): AccountSpec | undefined {
    return this.#watched.get(id)?.spec;
  }

  isPaused(id: string): boolean {
    return this.#watched.get(id)?.paused ?? false;
  }

  /**
   * The organisation's accounts changed (src/targets/organization-discovery.ts): a new account is checked and
   * watched (paused and alerted if unusable), one gone (closed, excluded) stops after its pollers' current step,
   * its state saved. Each change is said once. Resolves once the new accounts are checked.
   */
  async setAccounts(accounts: readonly AccountSpec[], signal: AbortSignal): Promise<void> {
    const { log, directory } = this.#options;
    const level = this.#options.announce ?? 'info';
    directory.learn(accounts);
    const wanted = new Map(accounts.map((spec) => [spec.id, spec]));
    const removed = [...this.#watched.keys()].filter((id) => !wanted.has(id));
    for (const id of removed) {
      log[level]({ account: id, name: directory.nameOf(id) }, 'account no longer in the organisation (closed or excluded): its regions stop');
      if (this.#watched.get(id)?.paused) this.#clearPaused(id);
      this.#watched.delete(id);
    }
    const added = accounts.filter((spec) => !this.#watched.has(spec.id));
    for (const spec of accounts) {
      const watched = this.#watched.get(spec.id);
      if (watched !== undefined) watched.spec = spec; // a renamed account keeps its state and session
    }
    const verdicts = await Promise.all(added.map(async (spec) => ({ spec, verdict: await this.#options.check(spec, signal) })));
    for (const { spec, verdict } of verdicts) {
      if (signal.aborted) return;
      log[level]({ account: spec.id, name: spec.name }, 'account joined the organisation: watching it');
      this.#watched.set(spec.id, { spec, paused: !verdict.usable, alerted: false, retrying: false, stage: 'credentials' });
    }
    this.#push();
    for (const { spec, verdict } of verdicts) if (!verdict.usable) await this.#pause(spec.id, verdict.kind, verdict.reason, verdict.advice);
  }

  /** From now on, target changes go to `apply` (the pipeline's TargetSet). */
  attach(apply: (targets: Target[]) => void): void {
    this.#apply = apply;
  }

  /**
   * A poller found the account unusable (credentials, or denied in all its regions): pause it. Which of the two
   * it is decides the advice: the account's credentials are checked once more (a role no longer assumable answers
   * AccessDenied to LookupEvents' request as well, from STS).
   */
  async unusable(id: string, failure: { kind: string; reason: string }): Promise<void> {
    const watched = this.#watched.get(id);
    if (watched === undefined || watched.paused) return;
    watched.paused = true; // at once: the account's other pollers, failing meanwhile, do not check it again
    const verdict = await this.#options.check(watched.spec, this.#options.signal).catch(() => ({ usable: true as const }));
    if (!verdict.usable) return this.#pause(id, verdict.kind, verdict.reason, verdict.advice);
    const stage = failure.kind === 'access-denied' || failure.kind === 'unrecognized-client' ? 'lookup' : 'credentials';
    watched.stage = stage;
    await this.#pause(id, failure.kind, failure.reason, adviceFor(watched.spec, failure.kind, stage));
  }

  /** LookupEvents answered in one of the account's regions: a later outage is alerted again. */
  answered(id: string): void {
    const watched = this.#watched.get(id);
    if (watched !== undefined) watched.alerted = false;
  }

  async #pause(id: string, kind: string, reason: string, advice: string): Promise<void> {
    const watched = this.#watched.get(id);
    if (watched === undefined) return;
    watched.paused = true;
    watched.reason = reason;
    this.#push(); // its pollers finish their current step, save, and stop
    for (const target of this.#ownedTargets(id)) this.#showPaused(target.key);
    if (!watched.alerted) {
      watched.alerted = true;
      const fields = { account: id, errorKind: kind, err: reason, advice, retryInMs: this.#retryMs() };
      // Every shard pauses the account's targets it owns; only the shard owning the account's ID alerts it (one
      // email, not one per shard), the others say it at debug.
      if (!owns(this.#options.shard, id)) {
        this.#options.log.debug(fields, 'account unusable: its regions are paused (another shard alerts it)');
        this.#retry(id);
        return;
      }
      this.#options.log.error(fields, 'account unusable: its regions are paused');
      await this.#options.alerter.alert({
        kind: ACCOUNT_UNUSABLE,
        // The cooldown key: the account ID alone, an account-wide alert (src/alerts/email.ts names it, no region).
        region: id,
        account: id,
        reason: `account ${this.#describe(id)} cannot be used: ${reason}`,
        action: `${advice}; its regions are paused and retried every ${this.#retryMs() / 60_000} minutes, the other accounts go on`,
      });
    }
    this.#retry(id);
  }

  #retry(id: string): void {
    const watched = this.#watched.get(id);
    if (watched === undefined || watched.retrying) return;
    watched.retrying = true;
    const { clock, signal, check, log } = this.#options;
    const loop = async () => {
      try {
        while (!signal.aborted && this.#watched.get(id) === watched && watched.paused) {
          await clock.sleep(this.#retryMs(), signal);
          if (this.#watched.get(id) !== watched) return; // no longer watched (the organisation dropped it)
          let verdict = await check(watched.spec, signal);
          // Paused for denied lookups: STS accepting the credentials says nothing; only LookupEvents answering does.
          if (verdict.usable && watched.stage === 'lookup' && this.#options.probe !== undefined) verdict = await this.#options.probe(watched.spec, signal);
          if (verdict.usable) {
            watched.paused = false;
            watched.stage = 'credentials';
            this.#clearPaused(id);
            log.info({ account: id }, 'account usable again: polling its regions');
            this.#push();
            return;
          }
          log.debug({ account: id, errorKind: verdict.kind, err: verdict.reason }, 'account still unusable');
        }
      } catch (error) {
        if (!isAbortError(error) && !signal.aborted) log.error({ err: error, account: id }, 'account retry failed');
      } finally {
        watched.retrying = false;
      }
    };
    this.#options.track(loop());
  }

  /**
   * The daemon's telemetry for the pipeline: as `telemetry`, except that a stopped target of a paused account (its
   * poller settled after the pause) shows again as paused instead of vanishing from the board.
   */
  keepPausedShown(telemetry: Telemetry): Telemetry {
    return {
      ...fanOut(telemetry),
      targetStopped: (key) => {
        telemetry.targetStopped(key);
        const { account } = parseTargetKey(key);
        if (account !== undefined && this.#watched.get(account)?.paused) this.#showPaused(key);
      },
    };
  }

  #ownedTargets(id: string): Target[] {
    const watched = this.#watched.get(id);
    if (watched === undefined) return [];
    return targetsOf([watched.spec], this.#options.regions).filter((target) => owns(this.#options.shard, target.key));
  }

  #showPaused(key: string): void {
    const telemetry = this.#options.telemetry;
    const watched = this.#watched.get(parseTargetKey(key).account ?? '');
    if (telemetry === undefined || watched === undefined) return;
    telemetry.targetStarted(key, this.#options.clock.now());
    telemetry.scanFailed(key, `account paused: ${watched.reason ?? 'unusable'}`, 'failing');
  }

  /** Resumed or gone: its rows go; the pollers, started again, register its targets afresh. */
  #clearPaused(id: string): void {
    for (const target of this.#ownedTargets(id)) this.#options.telemetry?.targetStopped(target.key);
  }

  #push(): void {
    this.#apply?.(this.targets());
  }

  #retryMs(): number {
    return this.#options.retryMs ?? ACCOUNT_RETRY_MS;
  }

  #describe(id: string): string {
    return this.#options.directory.describe(id);
  }
}
