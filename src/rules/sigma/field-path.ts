/**
 * Dotted field names into a raw CloudTrail record (`userIdentity.type`,
 * `requestParameters.ipPermissions.items.ipRanges.items.cidrIp`).
 *
 * - The Sigma spec does not define nested addressing (API-FACTS H.7); SigmaHQ's CloudTrail rules use dots
 *   that mirror the JSON. As in the Rust evaluators cited there, a key that itself contains a dot wins over
 *   nesting: at each object the longest run of segments that is an own key is taken.
 * - Arrays at any level, nested or not, are searched element by element (any-element semantics): a field
 *   "has" every leaf value reachable through them.
 * - Field names are case-sensitive (SigmaHQ spells CloudTrail's names exactly, H.7).
 * - Only own properties are read, so `__proto__`, `constructor` and friends are ordinary (absent) keys.
 * - Traversal uses an explicit stack: a hostile record nested 100,000 arrays deep cannot overflow the call stack.
 */

/** A branch of the path that ended before the last segment (the field is absent there). */
export const MISSING: unique symbol = Symbol('missing');
/** The field is present and is an empty array: present for `exists`, not null, no string to match. */
export const EMPTY_ARRAY: unique symbol = Symbol('empty array');

export type FieldValue = unknown;

export interface FieldPath {
  name: string;
  /** steps[i]: the keys to try at segment i, longest first, with the segment index each one leads to. */
  steps: Array<Array<{ key: string; next: number }>>;
}

export function compileFieldPath(name: string): FieldPath {
  const parts = name.split('.');
  const steps = parts.map((_, i) => {
    const options: Array<{ key: string; next: number }> = [];
    for (let j = parts.length; j > i; j -= 1) options.push({ key: parts.slice(i, j).join('.'), next: j });
    return options;
  });
  return { name, steps };
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Calls `test` with each leaf value the path reaches (MISSING for a branch where the field is absent,
 * EMPTY_ARRAY for an empty array leaf) and stops at the first `true`. Returns whether any call returned true.
 */
export function someFieldValue(record: unknown, path: FieldPath, test: (value: FieldValue) => boolean): boolean {
  const end = path.steps.length;
  // Fast path, no allocation: plain objects all the way down (most CloudTrail fields).
  let node: unknown = record;
  let depth = 0;
  while (depth < end && node !== null && typeof node === 'object' && !Array.isArray(node)) {
    const step = findStep(node, path.steps[depth]!);
    if (step === undefined) return test(MISSING);
    node = (node as Record<string, unknown>)[step.key];
    depth = step.next;
  }
  if (!Array.isArray(node)) return test(depth === end ? node : MISSING);
  return someInArrays(node, depth, path, test);
}

function findStep(node: object, options: Array<{ key: string; next: number }>) {
  for (const option of options) if (hasOwn.call(node, option.key)) return option;
  return undefined;
}

/** The general walk, once an array is met: an explicit stack, so no depth of nesting can overflow it. */
function someInArrays(start: unknown[], startDepth: number, path: FieldPath, test: (value: FieldValue) => boolean): boolean {
  const end = path.steps.length;
  const nodes: unknown[] = [start];
  const depths: number[] = [startDepth];
  while (nodes.length > 0) {
    const node = nodes.pop();
    const depth = depths.pop()!;
    if (Array.isArray(node)) {
      if (node.length === 0) {
        if (test(depth === end ? EMPTY_ARRAY : MISSING)) return true;
        continue;
      }
      for (let i = node.length - 1; i >= 0; i -= 1) {
        nodes.push(node[i]);
        depths.push(depth);
      }
    } else if (depth === end) {
      if (test(node)) return true;
    } else if (node !== null && typeof node === 'object') {
      const step = findStep(node, path.steps[depth]!);
      if (step === undefined) {
        if (test(MISSING)) return true;
      } else {
        nodes.push((node as Record<string, unknown>)[step.key]);
        depths.push(step.next);
      }
    } else if (test(MISSING)) {
      return true;
    }
  }
  return false;
}

const stringForms = new WeakMap<object, string | undefined>();

/**
 * The string a value is matched as: Sigma compares values as strings (spec §General, H.4), so numbers and
 * booleans become `String(value)` (`true` matches the rule value `'true'`, `443` matches `443` or `'443'`), and
 * objects their JSON text (H.9: `requestParameters|contains: Suspended`). null, absent fields and empty arrays
 * have no string form. JSON texts are cached per object (records are not mutated while being matched).
 */
export function toMatchString(value: FieldValue): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'object': {
      if (value === null) return undefined;
      if (stringForms.has(value)) return stringForms.get(value);
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch {
        text = undefined; // too deep or cyclic: nothing to match
      }
      stringForms.set(value, text);
      return text;
    }
    default:
      return undefined;
  }
}
