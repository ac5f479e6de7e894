import { ok, warn, type CheckResult } from './check';
import type { LookupResult } from './checks-aws';

/**
 * One account's LookupEvents rows for `doctor` (issue 10): each region that is not well gets its own row, with what
 * the daemon does about it (src/cloudtrail/region-health.ts: a denied region is paused, the others polled; throttling
 * and network failures are backed off). The regions that answered are summed up in one row ("17 of 17 regions
 * answered"), so 100 accounts × 17 regions is 100 rows, not 1,700; `verbose` gives one row per region.
 * The account's refusal in every region is judged by the caller (the account is paused: checks-accounts.ts).
 */

/** Rows named `LookupEvents <who>` (summary) or `LookupEvents <who> <region>`, in the regions' order. */
export function lookupRows(who: string, results: readonly LookupResult[], verbose: boolean): CheckResult[] {
  const answered = results.filter((result) => result.kind === undefined);
  const rows: CheckResult[] = [];
  if (verbose) {
    for (const result of results) rows.push(result.kind === undefined ? ok(`LookupEvents ${who} ${result.region}`, 'enabled: Event history answered') : rowOf(who, result));
    return rows;
  }
  if (answered.length > 0) {
    const all = answered.length === results.length;
    rows.push(ok(`LookupEvents ${who}`, `${all ? '' : 'the other '}${answered.length} of ${results.length} region${results.length === 1 ? '' : 's'} answered ✓` +
      ` (${answered.map((result) => result.region).join(', ')}); one row per region with --verbose`));
  }
  for (const result of results) if (result.kind !== undefined) rows.push(rowOf(who, result));
  return rows;
}

function rowOf(who: string, result: LookupResult): CheckResult {
  const name = `LookupEvents ${who} ${result.region}`;
  const text = result.text ?? '';
  switch (result.kind) {
    case 'access-denied':
      return warn(name, `denied: the daemon pauses this region and polls the account's others: ${text}`,
        'grant cloudtrail:LookupEvents (Resource "*") to the account\'s role or profile; check SCPs and region conditions');
    case 'unrecognized-client':
      return warn(name, `not enabled for this account (an opt-in region): ${text}`,
        `enable ${result.region} for the account (AWS console: Account → AWS Regions), or give the account its own \`regions\``);
    case 'throttled':
      return warn(name, `throttled: another tool shares the 2 requests/s quota (${text})`,
        'nothing, if it passes: the daemon paces itself at 1 request/s per account and region and backs off when throttled');
    case 'timeout':
    case 'transient':
      return warn(name, `CloudTrail did not answer: ${text}; the daemon retries with backoff`, 'check network access to CloudTrail (proxy, firewall, AWS_ENDPOINT_URL_CLOUDTRAIL or --endpoint)');
    default:
      return warn(name, `LookupEvents failed (${result.kind ?? 'unknown'}): ${text}; the daemon retries this account's region`,
        'see the error; if it persists, check the account\'s credentials and the region name');
  }
}
