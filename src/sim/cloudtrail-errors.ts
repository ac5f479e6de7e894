/** The namespace real awsJson services put before the code in `__type` (API-FACTS A.5). */
const ERROR_NAMESPACE = 'com.amazonaws.cloudtrail.v20131101';

/** The account the simulated IAM deny names. */
const SIM_ACCOUNT = '123456789012';

/** A CloudTrail error response: HTTP status, error code (`__type`) and message. */
export class SimServiceError extends Error {
  override name = 'SimServiceError';
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }

  /** The awsJson1_1 error body: the SDK reads the code from `__type` and the text from `Message`. */
  toBody(): { __type: string; Message: string } {
    return { __type: `${ERROR_NAMESPACE}#${this.code}`, Message: this.message };
  }
}

/**
 * What a test (or the demo) can make the service do instead of answering:
 * - `{ status }`: a bare 5xx, as a load balancer in front of the service would send;
 * - `'throttle'`: ThrottlingException with the simulator's throttle status;
 * - the auth errors real accounts produce (UnrecognizedClientException also means "opt-in region not enabled");
 * - `'hang'`: accept the request and never answer (close() still finishes).
 */
export type SimFailure =
  | { status: 500 | 502 | 503 }
  | 'throttle'
  | 'UnrecognizedClientException'
  | 'ExpiredTokenException'
  | 'AccessDeniedException'
  | 'hang';

const SERVER_ERROR_CODES: Record<number, string> = {
  500: 'InternalFailure',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
};

/** Maps a scripted failure (other than 'hang') to the error the service would send. */
export function failureToError(
  failure: Exclude<SimFailure, 'hang'>,
  context: { operation: string; region: string; throttleStatus: number; account?: string },
): SimServiceError {
  if (typeof failure === 'object') {
    const code = SERVER_ERROR_CODES[failure.status] ?? 'InternalFailure';
    return new SimServiceError(code, failure.status, 'We encountered an internal error. Please try again.');
  }
  switch (failure) {
    case 'throttle':
      return throttlingError(context.throttleStatus);
    case 'UnrecognizedClientException':
      return new SimServiceError(failure, 400, 'The security token included in the request is invalid');
    case 'ExpiredTokenException':
      return new SimServiceError(failure, 400, 'The security token included in the request is expired');
    case 'AccessDeniedException': {
      // The real status for an IAM deny on a JSON service is UNCONFIRMED (likely 400; the model says 403).
      const account = context.account || SIM_ACCOUNT;
      return new SimServiceError(
        failure,
        400,
        `User: arn:aws:iam::${account}:user/x is not authorized to perform: cloudtrail:${context.operation} ` +
          `on resource: arn:aws:cloudtrail:${context.region}:${account}:trail/* ` +
          `because no identity-based policy allows the cloudtrail:${context.operation} action`,
      );
    }
  }
}

/** AWS-wide throttling: 400 historically, 429 in CloudTrail's model; the daemon must accept both. */
export function throttlingError(status: number): SimServiceError {
  return new SimServiceError('ThrottlingException', status, 'Rate exceeded');
}
