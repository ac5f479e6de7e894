import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';

/**
 * Makes an odd LookupEvents answer readable by the AWS SDK. The SDK passes most unexpected JSON types through
 * (fromLookupEvent copes with those), but rejects a whole page when one event's `EventTime` is not a number
 * ("Expected real number, got implicit NaN", a TypeError from its deserializer; seen with @aws-sdk/client-cloudtrail
 * 3.1137). The page would then fail on every retry and the region would never get past it (issue 7, item 4).
 *
 * So before the SDK reads a successful LookupEvents answer, each event's EventTime that is not a number becomes
 * epoch seconds when it is a readable date (an ISO string), and is left out otherwise (the event's time then comes
 * from its CloudTrailEvent record). Every other byte of the answer is passed on as it came. Error answers and
 * bodies that are not a JSON object are not touched.
 */

/** Far above a LookupEvents page (50 events of a few KB); a bigger answer is passed on unchanged. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The answer's JSON with every EventTime made a number or removed; undefined when nothing needed a change. */
export function relaxEventTimes(text: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined; // the SDK reports it as it would
  }
  if (!isObject(body) || !Array.isArray(body.Events)) return undefined;
  let changed = false;
  for (const event of body.Events) {
    if (!isObject(event) || !('EventTime' in event)) continue;
    const time = event.EventTime;
    if (time === null || (typeof time === 'number' && Number.isFinite(time))) continue;
    const ms = typeof time === 'string' ? Date.parse(time) : Number.NaN;
    if (Number.isFinite(ms)) event.EventTime = ms / 1000;
    else delete event.EventTime;
    changed = true;
  }
  return changed ? JSON.stringify(body) : undefined;
}

interface RawResponse {
  statusCode?: number;
  body?: unknown;
}

async function readBody(body: unknown): Promise<Buffer | undefined> {
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body === null || typeof body !== 'object' || !(Symbol.asyncIterator in body)) return undefined;
  // Read whole, as the SDK would have: cutting it short would hand the SDK a broken answer.
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * Adds the step to a client: a deserialize-step middleware at low priority, so it runs between the HTTP handler
 * and the SDK's own deserializer and sees the raw answer first.
 */
export function addLenientEventTimes(client: CloudTrailClient): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const response = result.response as RawResponse | undefined;
      if (response === undefined || response.statusCode !== 200) return result;
      const bytes = await readBody(response.body);
      if (bytes === undefined) return result;
      const relaxed = bytes.length <= MAX_ANSWER_BYTES ? relaxEventTimes(bytes.toString('utf8')) : undefined;
      // The stream has been read: hand the SDK the bytes (it accepts a Uint8Array body as well as a stream).
      response.body = relaxed === undefined ? bytes : Buffer.from(relaxed);
      return result;
    },
    { step: 'deserialize', priority: 'low', name: 'cloudtrailSlackLenientEventTimes' },
  );
}
