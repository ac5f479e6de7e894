import { randomUUID } from 'node:crypto';
import type http from 'node:http';

/** Far above any LookupEvents request; a bigger body is a client bug, refused instead of buffered. */
const MAX_BODY_BYTES = 1024 * 1024;
const JSON_TYPE = 'application/x-amz-json-1.1';

/** The SigV4 credential scope: `Credential=<AKID>/20260101/<region>/cloudtrail/aws4_request`. */
export function scopeOf(authorization: string | undefined): { accessKeyId: string; region?: string } {
  const match = /Credential=([^/,\s]+)\/\d{8}\/([^/,\s]+)\/cloudtrail\/aws4_request/.exec(authorization ?? '');
  return { accessKeyId: match?.[1] ?? '', region: match?.[2] };
}

/** Reads the whole body, keeping at most MAX_BODY_BYTES (the rest is drained, not stored). */
export async function readBody(req: http.IncomingMessage): Promise<{ text: string; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), tooLarge: size > MAX_BODY_BYTES };
}

/** The body as JSON; an empty body is `{}` (as awsJson services read it), bad JSON is undefined. */
export function parseJson(text: string): unknown {
  try {
    return text === '' ? {} : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * An awsJson1_1 response, with the request ID header the SDK copies into `$metadata.requestId`, and a `Date`
 * header in the simulator's time (clients read the service's clock from it, as from AWS).
 */
export function sendJson(res: http.ServerResponse, status: number, body: unknown, dateMs: number): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(payload),
    'x-amzn-RequestId': randomUUID(),
    date: new Date(dateMs).toUTCString(),
  });
  res.end(payload);
}
