import {
  parseForm,
  SimAwsError,
  startAwsSim,
  xmlText,
  type AwsSimOptions,
  type AwsSimProtocol,
  type AwsSimServer,
} from './aws-sim-base';

/**
 * A local STS that answers GetCallerIdentity as the service does (API-FACTS K.2): awsQuery, `POST /` with the form
 * body `Action=GetCallerIdentity&Version=2011-06-15`, an XML answer with Account, Arn and UserId. The identity can
 * be changed, and the endpoint can fail on demand: the auth errors of bad or expired keys, a 5xx, a refused
 * connection (a network failure) or a request never answered.
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
  options: AwsSimOptions & { identity?: SimCallerIdentity } = {},
): Promise<StsSimulator> {
  let identity = { ...(options.identity ?? SIM_IDENTITY) };
  const protocol: AwsSimProtocol<StsFailure> = {
    parse(_method, _path, body) {
      const params = parseForm(body);
      return { operation: params.Action ?? '', params };
    },
    answer(operation, params) {
      const version = (params as Record<string, string>).Version;
      if (operation !== 'GetCallerIdentity') {
        throw new SimAwsError('InvalidAction', 400, `Could not find operation ${operation} for version ${version ?? ''}`);
      }
      if (version !== '2011-06-15') throw new SimAwsError('InvalidAction', 400, `Unknown version ${version ?? ''}`);
      const body =
        `<GetCallerIdentityResponse xmlns="${NAMESPACE}"><GetCallerIdentityResult>` +
        `<Arn>${xmlText(identity.arn)}</Arn><UserId>${xmlText(identity.userId)}</UserId>` +
        `<Account>${xmlText(identity.account)}</Account></GetCallerIdentityResult>` +
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
  });
}
