import { REGION_OPT_STATUSES, SimRegionTable, type RegionOptStatus } from './account-regions';
import { SimAwsError, startAwsSim, type AwsSimOptions, type AwsSimProtocol, type AwsSimServer } from './aws-sim-base';

/**
 * A local Account Management endpoint answering ListRegions as the service does (API-FACTS K.7): rest-json
 * `POST /listRegions` with `{ MaxResults?, NextToken?, RegionOptStatusContains? }`, pages of at most MaxResults
 * (1–50) with a NextToken bound to the same filter, errors as `x-amzn-ErrorType` + `{"message"}`. Its regions
 * live in a SimRegionTable that tests change between calls; AccessDenied (the permission removed) on demand.
 */

export type AccountFailure = 'AccessDeniedException' | 'TooManyRequestsException' | 'InternalServerException';

export interface AccountSimulator extends AwsSimServer<AccountFailure> {
  readonly regions: SimRegionTable;
}

/** K.7: `ListRegionsRequestMaxResultsInteger`, 1–50 (UNCONFIRMED against the service page). */
export const LIST_REGIONS_MAX_RESULTS = 50;
/** The page size without MaxResults: UNCONFIRMED on AWS; small here so that paging is exercised. */
const DEFAULT_PAGE_SIZE = 20;

const FAILURES: Record<AccountFailure, SimAwsError> = {
  AccessDeniedException: new SimAwsError(
    'AccessDeniedException',
    403,
    'User: arn:aws:iam::123456789012:user/cloudtrail-slack is not authorized to perform: account:ListRegions',
  ),
  TooManyRequestsException: new SimAwsError('TooManyRequestsException', 429, 'Rate exceeded'),
  InternalServerException: new SimAwsError('InternalServerException', 500, 'Internal server error'),
};

interface ListRegionsInput {
  maxResults: number;
  start: number;
  statuses: readonly RegionOptStatus[] | undefined;
}

function validate(params: unknown): ListRegionsInput {
  if (params === undefined || params === null || typeof params !== 'object') {
    throw new SimAwsError('ValidationException', 400, 'Request body is not a JSON object');
  }
  const { MaxResults, NextToken, RegionOptStatusContains } = params as Record<string, unknown>;
  if (MaxResults !== undefined && (!Number.isInteger(MaxResults) || (MaxResults as number) < 1 || (MaxResults as number) > LIST_REGIONS_MAX_RESULTS)) {
    throw new SimAwsError('ValidationException', 400, `MaxResults must be between 1 and ${LIST_REGIONS_MAX_RESULTS}`);
  }
  let statuses: RegionOptStatus[] | undefined;
  if (RegionOptStatusContains !== undefined) {
    if (!Array.isArray(RegionOptStatusContains) || !RegionOptStatusContains.every((s) => REGION_OPT_STATUSES.includes(s as RegionOptStatus))) {
      throw new SimAwsError('ValidationException', 400, `RegionOptStatusContains must list values of ${REGION_OPT_STATUSES.join(', ')}`);
    }
    statuses = RegionOptStatusContains as RegionOptStatus[];
  }
  const filterKey = statuses === undefined ? '*' : [...statuses].sort().join(',');
  let start = 0;
  if (NextToken !== undefined) {
    // The token carries the offset and the filter it was issued for; any other use is refused, as AWS does.
    const match = typeof NextToken === 'string' ? /^sim:(\d+):(.*)$/.exec(Buffer.from(NextToken, 'base64').toString('utf8')) : null;
    if (match === null || match[2] !== filterKey) throw new SimAwsError('ValidationException', 400, 'The NextToken is not valid');
    start = Number(match[1]);
  }
  return { maxResults: (MaxResults as number | undefined) ?? DEFAULT_PAGE_SIZE, start, statuses };
}

/** Starts the Account simulator on 127.0.0.1; `regions` defaults to a fresh SimRegionTable. */
export async function startAccountSimulator(
  options: AwsSimOptions & { regions?: SimRegionTable } = {},
): Promise<AccountSimulator> {
  const regions = options.regions ?? new SimRegionTable();
  const protocol: AwsSimProtocol<AccountFailure> = {
    parse(method, path, body) {
      let params: unknown;
      try {
        params = body === '' ? {} : JSON.parse(body);
      } catch {
        params = undefined;
      }
      return { operation: method === 'POST' && path === '/listRegions' ? 'ListRegions' : `${method} ${path}`, params };
    },
    answer(operation, params) {
      if (operation !== 'ListRegions') throw new SimAwsError('UnknownOperationException', 404, `No operation at ${operation}`);
      const input = validate(params);
      const matching = regions.list().filter((r) => input.statuses === undefined || input.statuses.includes(r.status));
      const page = matching.slice(input.start, input.start + input.maxResults);
      const next = input.start + input.maxResults;
      const filterKey = input.statuses === undefined ? '*' : [...input.statuses].sort().join(',');
      const body = {
        Regions: page.map((r) => ({ RegionName: r.name, RegionOptStatus: r.status })),
        ...(next < matching.length ? { NextToken: Buffer.from(`sim:${next}:${filterKey}`).toString('base64') } : {}),
      };
      return { status: 200, contentType: 'application/json', body: JSON.stringify(body) };
    },
    failureError: (failure) => FAILURES[failure],
    renderError(error) {
      // rest-json: the SDK takes the code from the x-amzn-ErrorType header or, as here, the body's `__type`.
      return { status: error.status, contentType: 'application/json', body: JSON.stringify({ __type: error.code, message: error.message }) };
    },
  };
  const server = await startAwsSim(protocol, options);
  return Object.defineProperty(server as AccountSimulator, 'regions', { value: regions });
}
