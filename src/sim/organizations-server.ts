import { ACCOUNT_ID, SimAccountBook } from './account-book';
import { SimAwsError, startAwsSim, type AwsSimOptions, type AwsSimProtocol, type AwsSimServer } from './aws-sim-base';

/**
 * A local AWS Organizations endpoint answering ListAccounts as the service does (API-FACTS K.6): awsJson1_1,
 * `POST /` with `x-amz-target: AWSOrganizationsV20161128.ListAccounts` and `{ MaxResults?, NextToken? }`, pages of
 * at most MaxResults (1–20; others refused with InvalidInputException), a NextToken that is always checked, and
 * accounts with Id, Arn, Email, Name, State, JoinedMethod and JoinedTimestamp (Status only when a test sets it: AWS
 * retired it). Only the management account and delegated administrators may call (a member's key, known to the
 * book, gets AccessDeniedException; an unknown key is let through). Failures on demand: AccessDeniedException,
 * AWSOrganizationsNotInUseException, TooManyRequestsException, ServiceException, and the transport ones.
 */

export const ACCOUNT_STATES = ['ACTIVE', 'CLOSED', 'PENDING_CLOSURE', 'SUSPENDED', 'PENDING_ACTIVATION'] as const;
export type SimAccountState = (typeof ACCOUNT_STATES)[number];

export interface SimOrgAccount {
  id: string;
  name?: string;
  email?: string;
  /** null leaves State out of the answer (to test a reader's fallback to Status). Default ACTIVE. */
  state?: SimAccountState | null;
  /** The retired Status field (ACTIVE | SUSPENDED | PENDING_CLOSURE): sent only when set. */
  status?: string;
  joinedMethod?: 'INVITED' | 'CREATED';
  /** ms epoch. Default 2024-01-01. */
  joinedTimestamp?: number;
}

export type OrganizationsFailure =
  | 'AccessDeniedException'
  | 'AWSOrganizationsNotInUseException'
  | 'TooManyRequestsException'
  | 'ServiceException';

export interface OrganizationsSimulator extends AwsSimServer<OrganizationsFailure> {
  /** Replaces the organisation's accounts (in listing order). */
  setAccounts(accounts: readonly SimOrgAccount[]): void;
  /** Adds (or replaces, by Id) one account. */
  addAccount(account: SimOrgAccount): void;
  /** Changes an account's State (closing it, suspending it). Throws RangeError for an unknown ID. */
  setState(id: string, state: SimAccountState): void;
  readonly accounts: readonly SimOrgAccount[];
  readonly managementAccount: string;
  /** Member accounts allowed to call as delegated administrators. */
  readonly delegatedAdministrators: Set<string>;
}

export interface OrganizationsSimOptions extends AwsSimOptions {
  book?: SimAccountBook;
  /** Default 123456789012 (the STS simulator's default identity). */
  managementAccount?: string;
  accounts?: readonly SimOrgAccount[];
  /** Page size without MaxResults: the service's is UNCONFIRMED; small here so that callers page. Default 3. */
  defaultPageSize?: number;
  /** Serve an empty page (with a NextToken) before every real one: K.6 says callers must go on regardless. */
  emptyPages?: boolean;
}

/** K.6: MaxResults 1–20. */
export const LIST_ACCOUNTS_MAX_RESULTS = 20;
const TARGET = 'AWSOrganizationsV20161128.ListAccounts';
const ORG_ID = 'o-sim0000001';

const FAILURES: Record<OrganizationsFailure, SimAwsError> = {
  AccessDeniedException: new SimAwsError('AccessDeniedException', 400, "You don't have permissions to access this resource."),
  AWSOrganizationsNotInUseException: new SimAwsError(
    'AWSOrganizationsNotInUseException',
    400,
    'Your account is not a member of an organization.',
  ),
  TooManyRequestsException: new SimAwsError('TooManyRequestsException', 400, 'AWS Organizations cannot complete your request because another request is already in progress.'),
  ServiceException: new SimAwsError('ServiceException', 500, 'AWS Organizations cannot complete your request because of an internal service error.'),
};

/** InvalidInputException carries a Reason; the error class keeps it in its message prefix here. */
class InvalidInput extends SimAwsError {
  constructor(readonly reason: string, message: string) {
    super('InvalidInputException', 400, message);
  }
}

function encodeToken(offset: number, padded: boolean): string {
  return Buffer.from(`org:${offset}:${padded ? 1 : 0}`).toString('base64');
}

function readInput(params: unknown, accounts: number, pageSize: number): { max: number; offset: number; padded: boolean } {
  if (params === undefined || params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new SimAwsError('SerializationException', 400, 'Request body is not a JSON object');
  }
  const { MaxResults, NextToken } = params as Record<string, unknown>;
  if (MaxResults !== undefined && MaxResults !== null) {
    if (!Number.isInteger(MaxResults) || (MaxResults as number) < 1) {
      throw new InvalidInput('MIN_VALUE_EXCEEDED', 'You provided a value that does not match the required pattern or range: MaxResults must be at least 1.');
    }
    if ((MaxResults as number) > LIST_ACCOUNTS_MAX_RESULTS) {
      throw new InvalidInput('MAX_VALUE_EXCEEDED', `You provided a value that exceeds the maximum allowed: MaxResults must be at most ${LIST_ACCOUNTS_MAX_RESULTS}.`);
    }
  }
  let offset = 0;
  let padded = false;
  if (NextToken !== undefined && NextToken !== null) {
    const match = typeof NextToken === 'string' ? /^org:(\d+):([01])$/.exec(Buffer.from(NextToken, 'base64').toString('utf8')) : null;
    if (match === null || Number(match[1]) > accounts) {
      throw new InvalidInput('INVALID_PAGINATION_TOKEN', 'The pagination token is not valid.');
    }
    offset = Number(match[1]);
    padded = match[2] === '1';
  }
  return { max: (MaxResults as number | undefined) ?? pageSize, offset, padded };
}

function wireAccount(account: SimOrgAccount, management: string): Record<string, unknown> {
  return {
    Id: account.id,
    Arn: `arn:aws:organizations::${management}:account/${ORG_ID}/${account.id}`,
    Email: account.email ?? `aws+${account.id}@example.com`,
    Name: account.name ?? `account-${account.id}`,
    ...(account.state === null ? {} : { State: account.state ?? 'ACTIVE' }),
    ...(account.status === undefined ? {} : { Status: account.status }),
    JoinedMethod: account.joinedMethod ?? 'CREATED',
    // awsJson timestamps: epoch seconds, a JSON number.
    JoinedTimestamp: (account.joinedTimestamp ?? Date.UTC(2024, 0, 1)) / 1000,
  };
}

/** Starts the Organizations simulator on 127.0.0.1. */
export async function startOrganizationsSimulator(options: OrganizationsSimOptions = {}): Promise<OrganizationsSimulator> {
  const book = options.book ?? new SimAccountBook();
  const management = options.managementAccount ?? '123456789012';
  const delegated = new Set<string>();
  const pageSize = options.defaultPageSize ?? 3;
  let accounts: SimOrgAccount[] = [];
  const check = (account: SimOrgAccount) => {
    if (!ACCOUNT_ID.test(account.id)) throw new RangeError(`not a 12-digit account ID: ${JSON.stringify(account.id)}`);
    return { ...account };
  };
  accounts = (options.accounts ?? []).map(check);

  const protocol: AwsSimProtocol<OrganizationsFailure> = {
    parse(_method, _path, body, headers) {
      let params: unknown;
      try {
        params = body === '' ? {} : JSON.parse(body);
      } catch {
        params = undefined;
      }
      const target = String(headers['x-amz-target'] ?? '');
      return { operation: target === TARGET ? 'ListAccounts' : target, params };
    },
    answer(operation, params, request) {
      if (operation !== 'ListAccounts') throw new SimAwsError('UnknownOperationException', 400, `Unknown operation ${operation}`);
      const caller = book.accountOf(request.accessKeyId);
      if (caller !== undefined && caller !== management && !delegated.has(caller)) throw FAILURES.AccessDeniedException;
      const input = readInput(params, accounts.length, pageSize);
      if (options.emptyPages === true && !input.padded) {
        return json({ Accounts: [], NextToken: encodeToken(input.offset, true) });
      }
      const page = accounts.slice(input.offset, input.offset + input.max);
      const next = input.offset + input.max;
      return json({
        Accounts: page.map((a) => wireAccount(a, management)),
        ...(next < accounts.length ? { NextToken: encodeToken(next, false) } : {}),
      });
    },
    failureError: (failure) => FAILURES[failure],
    renderError(error) {
      const body: Record<string, unknown> = { __type: error.code, Message: error.message };
      if (error instanceof InvalidInput) body.Reason = error.reason;
      return { status: error.status, contentType: 'application/x-amz-json-1.1', body: JSON.stringify(body) };
    },
  };
  const server = await startAwsSim(protocol, options);
  return Object.defineProperties(server as OrganizationsSimulator, {
    setAccounts: { value: (next: readonly SimOrgAccount[]) => void (accounts = next.map(check)) },
    addAccount: {
      value: (account: SimOrgAccount) => {
        const checked = check(account);
        const at = accounts.findIndex((a) => a.id === account.id);
        if (at >= 0) accounts[at] = checked;
        else accounts.push(checked);
      },
    },
    setState: {
      value: (id: string, state: SimAccountState) => {
        const account = accounts.find((a) => a.id === id);
        if (account === undefined) throw new RangeError(`no such account: ${id}`);
        account.state = state;
      },
    },
    accounts: { get: () => accounts.map((a) => ({ ...a })) },
    managementAccount: { value: management },
    delegatedAdministrators: { value: delegated },
  });
}

function json(body: unknown) {
  return { status: 200, contentType: 'application/x-amz-json-1.1', body: JSON.stringify(body) };
}
