import { SimAccountBook } from './account-book';
import {
  parseForm,
  SimAwsError,
  startAwsSim,
  xmlText,
  type AwsSimOptions,
  type AwsSimProtocol,
  type AwsSimServer,
} from './aws-sim-base';
import { assumedRoleArn, assumedRoleId, assumeRole, assumeRoleResultXml } from './sts-assume-role';

/**
 * A local STS that answers GetCallerIdentity and AssumeRole as the service does (API-FACTS K.2, K.3, K.4): awsQuery,
 * `POST /` with a form body (`Action=…&Version=2011-06-15&…`), XML answers, errors as an `ErrorResponse`.
 * GetCallerIdentity answers for the key that signed the request: a session AssumeRole issued → its assumed-role
 * ARN in the role's account; a static key of the account book → that account; any other key → the configured
 * identity (changeable). AssumeRole checks its parameters and the role registered in the book (sts-assume-role.ts).
 * The endpoint can fail on demand: the auth errors of bad or expired keys, a 5xx, a refused connection (a network
 * failure) or a request never answered.
 */

export interface SimCallerIdentity {
  account: string;
  arn: string;
  userId: string;
}

/** Errors STS sends for unusable credentials (HTTP 403, awsQuery `ErrorResponse`), or a bare 5xx. */
export type StsFailure = 'InvalidClientTokenId' | 'ExpiredToken' | 'ServiceUnavailable';

export interface StsSimulator extends AwsSimServer<StsFailure> {
  /** Who the caller is from now on. */
  setIdentity(identity: SimCallerIdentity): void;
  readonly identity: SimCallerIdentity;
  /** The keys, roles and sessions shared with the other simulators (AssumeRole counts are kept there). */
  readonly book: SimAccountBook;
}

export const SIM_IDENTITY: SimCallerIdentity = {
  account: '123456789012',
  arn: 'arn:aws:iam::123456789012:user/cloudtrail-slack',
  userId: 'AIDASIMULATEDUSER0001',
};

const NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';
const XML = 'text/xml';

const FAILURES: Record<StsFailure, SimAwsError> = {
  InvalidClientTokenId: new SimAwsError('InvalidClientTokenId', 403, 'The security token included in the request is invalid.'),
  ExpiredToken: new SimAwsError('ExpiredToken', 403, 'The security token included in the request is expired'),
  ServiceUnavailable: new SimAwsError('ServiceUnavailable', 503, 'Service is unable to handle request.'),
};

/** Starts the STS simulator on 127.0.0.1. */
export async function startStsSimulator(
  options: AwsSimOptions & { identity?: SimCallerIdentity; book?: SimAccountBook } = {},
): Promise<StsSimulator> {
  let identity = { ...(options.identity ?? SIM_IDENTITY) };
  const book = options.book ?? new SimAccountBook();
  const now = options.now ?? Date.now;

  /** Who signed: a session's assumed role, a book key's account, else the configured identity. */
  function callerOf(accessKeyId: string): SimCallerIdentity {
    const session = book.sessionOf(accessKeyId);
    if (session !== undefined) return { account: session.account, arn: assumedRoleArn(session), userId: assumedRoleId(session) };
    const account = book.accountOf(accessKeyId);
    if (account === undefined || account === identity.account) return identity;
    return { account, arn: `arn:aws:iam::${account}:user/cloudtrail-slack`, userId: `AIDA${account}SIMUSER` };
  }

  const protocol: AwsSimProtocol<StsFailure> = {
    parse(_method, _path, body) {
      const params = parseForm(body);
      return { operation: params.Action ?? '', params };
    },
    answer(operation, params, request) {
      const form = params as Record<string, string>;
      const version = form.Version;
      if (operation !== 'GetCallerIdentity' && operation !== 'AssumeRole') {
        throw new SimAwsError('InvalidAction', 400, `Could not find operation ${operation} for version ${version ?? ''}`);
      }
      if (version !== '2011-06-15') throw new SimAwsError('InvalidAction', 400, `Unknown version ${version ?? ''}`);
      const caller = callerOf(request.accessKeyId);
      if (operation === 'AssumeRole') {
        const session = assumeRole(book, form, caller.arn, now());
        const body =
          `<AssumeRoleResponse xmlns="${NAMESPACE}">${assumeRoleResultXml(session)}` +
          '<ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>' +
          '</AssumeRoleResponse>';
        return { status: 200, contentType: XML, body };
      }
      const body =
        `<GetCallerIdentityResponse xmlns="${NAMESPACE}"><GetCallerIdentityResult>` +
        `<Arn>${xmlText(caller.arn)}</Arn><UserId>${xmlText(caller.userId)}</UserId>` +
        `<Account>${xmlText(caller.account)}</Account></GetCallerIdentityResult>` +
        '<ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata>' +
        '</GetCallerIdentityResponse>';
      return { status: 200, contentType: XML, body };
    },
    failureError: (failure) => FAILURES[failure],
    renderError(error, requestId) {
      const type = error.status >= 500 ? 'Receiver' : 'Sender';
      const body =
        `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>${type}</Type><Code>${xmlText(error.code)}</Code>` +
        `<Message>${xmlText(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
      return { status: error.status, contentType: XML, body };
    },
  };
  const server = await startAwsSim(protocol, options);
  return Object.defineProperties(server as StsSimulator, {
    setIdentity: { value: (next: SimCallerIdentity) => void (identity = { ...next }) },
    identity: { get: () => ({ ...identity }) },
    book: { value: book },
  });
}
