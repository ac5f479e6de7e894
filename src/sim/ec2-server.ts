import { ec2OptInStatusOf, SimRegionTable, type Ec2OptInStatus } from './account-regions';
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
 * A local EC2 endpoint answering DescribeRegions as the service does (API-FACTS K.7): the ec2 query protocol
 * (`POST /`, form body `Action=DescribeRegions&Version=2016-11-15`, `AllRegions`, `RegionName.N`,
 * `Filter.N.Name` / `Filter.N.Value.M` for `opt-in-status` and `region-name`), an XML `regionInfo` list with each
 * region's `optInStatus`. Without AllRegions only enabled regions are listed, as on AWS. Its regions are a
 * SimRegionTable, usually the Account simulator's, so both APIs agree.
 */

/** EC2's deny is `UnauthorizedOperation` (HTTP 403); bad keys give `AuthFailure` (401). */
export type Ec2Failure = 'UnauthorizedOperation' | 'AuthFailure' | 'RequestLimitExceeded' | 'Unavailable';

export interface Ec2Simulator extends AwsSimServer<Ec2Failure> {
  readonly regions: SimRegionTable;
}

const NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const XML = 'text/xml;charset=UTF-8';

const FAILURES: Record<Ec2Failure, SimAwsError> = {
  UnauthorizedOperation: new SimAwsError('UnauthorizedOperation', 403, 'You are not authorized to perform this operation.'),
  AuthFailure: new SimAwsError('AuthFailure', 401, 'AWS was not able to validate the provided access credentials'),
  RequestLimitExceeded: new SimAwsError('RequestLimitExceeded', 503, 'Request limit exceeded.'),
  Unavailable: new SimAwsError('Unavailable', 503, 'The server is overloaded and can\'t handle the request.'),
};

/** `Prefix.1`, `Prefix.2`, … of a form, in order. */
function listOf(params: Record<string, string>, prefix: string): string[] {
  const values: string[] = [];
  for (let i = 1; params[`${prefix}.${i}`] !== undefined; i += 1) values.push(params[`${prefix}.${i}`] as string);
  return values;
}

function filtersOf(params: Record<string, string>): Map<string, string[]> {
  const filters = new Map<string, string[]>();
  for (let i = 1; params[`Filter.${i}.Name`] !== undefined; i += 1) {
    const name = params[`Filter.${i}.Name`] as string;
    if (name !== 'opt-in-status' && name !== 'region-name' && name !== 'endpoint') {
      throw new SimAwsError('InvalidParameterValue', 400, `The filter '${name}' is invalid`);
    }
    filters.set(name, listOf(params, `Filter.${i}.Value`));
  }
  return filters;
}

/** Starts the EC2 simulator on 127.0.0.1; `regions` defaults to a fresh SimRegionTable. */
export async function startEc2Simulator(options: AwsSimOptions & { regions?: SimRegionTable } = {}): Promise<Ec2Simulator> {
  const regions = options.regions ?? new SimRegionTable();
  const protocol: AwsSimProtocol<Ec2Failure> = {
    parse(_method, _path, body) {
      const params = parseForm(body);
      return { operation: params.Action ?? '', params };
    },
    answer(operation, raw) {
      const params = raw as Record<string, string>;
      if (operation !== 'DescribeRegions') throw new SimAwsError('InvalidAction', 400, `The action ${operation} is not valid for this web service.`);
      const all = params.AllRegions === 'true';
      const names = listOf(params, 'RegionName');
      const filters = filtersOf(params);
      const listed = regions
        .list()
        .map((r) => ({ name: r.name, optIn: ec2OptInStatusOf(r.status) }))
        .filter((r) => all || r.optIn !== 'not-opted-in')
        .filter((r) => names.length === 0 || names.includes(r.name))
        .filter((r) => filters.get('opt-in-status')?.includes(r.optIn) ?? true)
        .filter((r) => filters.get('region-name')?.includes(r.name) ?? true);
      const items = listed.map((r: { name: string; optIn: Ec2OptInStatus }) =>
        `<item><regionName>${xmlText(r.name)}</regionName><regionEndpoint>ec2.${xmlText(r.name)}.amazonaws.com</regionEndpoint>` +
        `<optInStatus>${r.optIn}</optInStatus></item>`,
      );
      const body =
        `<DescribeRegionsResponse xmlns="${NAMESPACE}"><requestId>00000000-0000-0000-0000-000000000000</requestId>` +
        `<regionInfo>${items.join('')}</regionInfo></DescribeRegionsResponse>`;
      return { status: 200, contentType: XML, body };
    },
    failureError: (failure) => FAILURES[failure],
    renderError(error, requestId) {
      const body =
        `<Response><Errors><Error><Code>${xmlText(error.code)}</Code><Message>${xmlText(error.message)}</Message></Error>` +
        `</Errors><RequestID>${requestId}</RequestID></Response>`;
      return { status: error.status, contentType: XML, body };
    },
  };
  const server = await startAwsSim(protocol, options);
  return Object.defineProperty(server as Ec2Simulator, 'regions', { value: regions });
}
