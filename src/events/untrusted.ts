/**
 * Readers for values from an untrusted source (a LookupEvents answer, a CloudTrail record, a file). The AWS SDK
 * passes unexpected JSON types straight through (a `Resources` string stays a string, an `EventId` number a
 * number), and a record's fields are whatever the writer put there, so nothing is read without one of these.
 * None of them throws.
 */

export type Obj = Record<string, unknown>;

/** The largest magnitude a Date holds (ECMA-262: ±8.64e15 ms around the epoch). */
export const MAX_DATE_MS = 8.64e15;
/**
 * A number below this is taken as epoch seconds, above as epoch ms: 1e11 s is the year 5138, 1e11 ms is 1973.
 * LookupEvents' wire format and the AWS CLI use seconds (API-FACTS A.1); ms come from our own code.
 */
const SECONDS_BELOW = 1e11;
const NUMERIC = /^\s*-?\d+(\.\d+)?\s*$/;

export function isObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A plain object, else an empty one. */
export function objectOf(value: unknown): Obj {
  return isObject(value) ? value : {};
}

/** A non-blank string as it is, a finite number as its decimal text; anything else undefined. */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A boolean, or the strings "true"/"false" in any case (the wire's ReadOnly is a string); else undefined. */
export function flagOf(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  return text === 'true' ? true : text === 'false' ? false : undefined;
}

/**
 * A point in time as ms since the epoch, from a valid Date, an ISO string or epoch seconds/ms (see SECONDS_BELOW);
 * undefined when it is none of those or outside a Date's range.
 */
export function timeOf(value: unknown): number | undefined {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = Math.abs(value) < SECONDS_BELOW ? value * 1000 : value;
  else if (typeof value === 'string' && NUMERIC.test(value)) return timeOf(Number(value));
  else if (typeof value === 'string' && value.trim() !== '') ms = Date.parse(value);
  else return undefined;
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS ? ms : undefined;
}

/** JSON text of any value for hashing; never throws (a cycle or a BigInt gives a fixed marker). */
export function jsonOf(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return '(unserialisable)';
  }
}
