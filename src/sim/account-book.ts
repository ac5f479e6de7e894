import { randomBytes } from 'node:crypto';

/**
 * Which AWS account an access key belongs to, shared by the STS, Organizations and CloudTrail simulators
 * (startAccountSims in test/support/sims.ts wires one book into all three). Static keys are added by hand (a
 * test's base keys, a profile's keys); roles are registered by ARN and the STS simulator's AssumeRole issues
 * session keys (ASIA…) that belong to the role's account. Keys the book does not know stay "no account": the
 * simulators then behave as they did before accounts existed.
 */

/** A 12-digit AWS account ID (API-FACTS K.2: GetCallerIdentity's Account). */
export const ACCOUNT_ID = /^\d{12}$/;
/** `arn:<partition>:iam::<account>:role/<path/><name>` (a role's path may hold slashes). */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:[\x21-\x7e]*\/)?([\w+=,.@-]{1,64})$/;

export interface SimRoleOptions {
  /** The trust policy's sts:ExternalId condition: AssumeRole must send exactly this. */
  externalId?: string;
  /** The trust policy does not trust the caller (or the role is gone): AssumeRole → AccessDenied. */
  denied?: boolean;
  /** The role's MaxSessionDuration, seconds (3600–43200, API-FACTS K.3). Default 3600. */
  maxSessionSeconds?: number;
}

export interface SimRole extends Required<Omit<SimRoleOptions, 'externalId'>> {
  arn: string;
  account: string;
  /** The role's name (the last part of the ARN), as it appears in an assumed-role ARN. */
  name: string;
  externalId?: string;
}

/** One set of temporary credentials the STS simulator issued. */
export interface SimSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** ms epoch (the STS simulator's now + DurationSeconds). */
  expiration: number;
  account: string;
  role: SimRole;
  sessionName: string;
}

function checkAccount(account: string): void {
  if (!ACCOUNT_ID.test(account)) throw new RangeError(`not a 12-digit account ID: ${JSON.stringify(account)}`);
}

/** A random run of A–Z and 2–7 (the alphabet of real key IDs), `length` long. */
function keyChars(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  return [...randomBytes(length)].map((b) => alphabet[b % 32]).join('');
}

export class SimAccountBook {
  private readonly keys = new Map<string, string>();
  private readonly roles = new Map<string, SimRole>();
  private readonly sessions = new Map<string, SimSession>();
  private readonly calls = new Map<string, number>();

  /** Says that `accessKeyId` (a static key: base credentials, a profile's) signs for `account`. */
  addKey(accessKeyId: string, account: string): void {
    checkAccount(account);
    if (accessKeyId === '') throw new RangeError('empty access key ID');
    this.keys.set(accessKeyId, account);
  }

  /**
   * Creates a static key for `account` (an IAM user's keys, or a profile's), returns it. The secret is random:
   * the simulators never check signatures, only the key ID of the SigV4 scope.
   */
  issueKey(account: string): { accessKeyId: string; secretAccessKey: string } {
    const accessKeyId = `AKIA${keyChars(16)}`;
    this.addKey(accessKeyId, account);
    return { accessKeyId, secretAccessKey: randomBytes(30).toString('base64') };
  }

  /** Registers (or replaces) a role; its account is the ARN's. Throws RangeError on a malformed ARN. */
  addRole(roleArn: string, options: SimRoleOptions = {}): SimRole {
    const match = ROLE_ARN.exec(roleArn);
    if (match === null) throw new RangeError(`not an IAM role ARN: ${JSON.stringify(roleArn)}`);
    const role: SimRole = {
      arn: roleArn,
      account: match[1] as string,
      name: match[2] as string,
      denied: options.denied ?? false,
      maxSessionSeconds: options.maxSessionSeconds ?? 3600,
      ...(options.externalId === undefined ? {} : { externalId: options.externalId }),
    };
    this.roles.set(roleArn, role);
    return role;
  }

  /** Makes AssumeRole of a registered role fail (true) or work again (false), e.g. a trust policy fixed. */
  setRoleDenied(roleArn: string, denied: boolean): void {
    const role = this.roles.get(roleArn);
    if (role === undefined) throw new RangeError(`no such role: ${roleArn}`);
    role.denied = denied;
  }

  role(roleArn: string): SimRole | undefined {
    return this.roles.get(roleArn);
  }

  /** Called by the STS simulator for every AssumeRole request naming `roleArn`, answered or refused. */
  countAssumeRole(roleArn: string): void {
    this.calls.set(roleArn, (this.calls.get(roleArn) ?? 0) + 1);
  }

  /** AssumeRole requests naming `roleArn` so far; without it, the total over every role. */
  assumeRoleCalls(roleArn?: string): number {
    if (roleArn !== undefined) return this.calls.get(roleArn) ?? 0;
    return [...this.calls.values()].reduce((sum, n) => sum + n, 0);
  }

  /** New unique temporary credentials for `role` (called by the STS simulator on a successful AssumeRole). */
  issueSession(role: SimRole, sessionName: string, expiration: number): SimSession {
    let accessKeyId: string;
    do accessKeyId = `ASIA${keyChars(16)}`;
    while (this.sessions.has(accessKeyId) || this.keys.has(accessKeyId));
    const session: SimSession = {
      accessKeyId,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(96).toString('base64'),
      expiration,
      account: role.account,
      role,
      sessionName,
    };
    this.sessions.set(accessKeyId, session);
    return session;
  }

  /** The session an ASIA… key came from, if this book issued it. */
  sessionOf(accessKeyId: string): SimSession | undefined {
    return this.sessions.get(accessKeyId);
  }

  /** The account `accessKeyId` signs for: a static key's, a session's role's; undefined when unknown. */
  accountOf(accessKeyId: string): string | undefined {
    return this.keys.get(accessKeyId) ?? this.sessions.get(accessKeyId)?.account;
  }
}
