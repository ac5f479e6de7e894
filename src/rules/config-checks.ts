/**
 * Shared checks for the `routes` and `mute` config lists. Each failure is one line that starts with the key's
 * path (`routes[2].to[0]: …`), says what was expected and shows what was found, in the config loader's style
 * (src/config/load.ts). Values that look like URLs are never echoed: a webhook URL pasted in the wrong place is
 * still a secret.
 */

export type KeyPath = ReadonlyArray<string | number>;

/** ['routes', 2, 'to', 0] → routes[2].to[0] */
export function formatPath(path: KeyPath): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${key}`)).join('');
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A short, safe rendering of a config value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    if (/:\/\//.test(value) || /hooks\.slack\.com/i.test(value)) return 'a string (not shown: it may be a secret)';
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}…` : value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return value.length === 0 ? '[]' : 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export function expected(path: KeyPath, what: string, found: unknown): string {
  return `${formatPath(path)}: expected ${what}, found ${describeValue(found)}`;
}

/** One error per key of `object` that is not in `allowed` (a typo must not silently disable a setting). */
export function checkKeys(object: Record<string, unknown>, allowed: readonly string[], path: KeyPath): string[] {
  return Object.keys(object)
    .filter((key) => !allowed.includes(key))
    .map((key) => `unknown key '${formatPath([...path, key])}' (expected ${allowed.join(', ')})`);
}

/** A non-empty array of non-blank strings (globs, names). An empty list would never match: an error too. */
export function checkStringList(value: unknown, path: KeyPath, what: string): string[] {
  if (!Array.isArray(value) || value.length === 0) return [expected(path, `a non-empty array of ${what}`, value)];
  return value.flatMap((item, i) =>
    typeof item === 'string' && item.trim() !== '' ? [] : [expected([...path, i], 'a non-empty string', item)],
  );
}
