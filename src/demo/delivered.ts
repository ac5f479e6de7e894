/**
 * Which events the Slack messages carry, told from the payloads alone (as someone reading the channel could):
 * - a message about one event names it: its Event ID field and its deep link hold the ID;
 * - a digest says in its top-level text how many events it carries (`12 changes by …`, `3 failed calls by …`),
 *   and each of its lines links to its event; a run of repeats of one call (same caller, event name and resource)
 *   shares one line with a count (`×15`) that links to the first of them, so the others are counted, not named.
 * The demo checks with this that every event the daemon should post arrived exactly once, whether it came on its
 * own or in a digest.
 */

export interface DeliveryCheck {
  /** Events the messages carry (a digest's count, 1 for any other message). */
  events: number;
  messages: number;
  digests: number;
  /** Expected IDs named by more than one message. */
  repeated: string[];
  /** IDs that must not be posted (muted events) named by a message. */
  unexpected: string[];
  /** Every expected event carried once and nothing else: events === expected, nothing repeated or unexpected. */
  complete: boolean;
}

type Obj = Record<string, unknown>;
const objectOf = (value: unknown): Obj => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : {});

/** A digest's top-level text, after the route's mentions (`<!subteam^S1>`): `12 changes (2 failed) by …`. */
const DIGEST_COUNT = /^(?:<[^<>\s]*>\s+)*(\d+) (?:changes?|failed calls?)(?: \(\d+ failed\))? by /;

/** Whether the payload is about one event: it has an Event ID field (single messages, Insights, odd records). */
function hasEventIdField(payload: unknown): boolean {
  const attachments = objectOf(payload).attachments;
  const first = Array.isArray(attachments) ? objectOf(attachments[0]) : {};
  return Array.isArray(first.fields) && first.fields.some((field) => objectOf(field).title === 'Event ID');
}

/** The number of events in a digest, or undefined for a message about one event. */
export function digestSize(payload: unknown): number | undefined {
  if (hasEventIdField(payload)) return undefined;
  const text = objectOf(payload).text;
  const match = typeof text === 'string' ? DIGEST_COUNT.exec(text) : null;
  return match === null ? undefined : Number(match[1]);
}

/**
 * Checks accepted payloads against the IDs that should be posted (`expected`) and those that must not be
 * (`forbidden`). Event IDs are looked for in each payload's JSON text (a CloudTrail event ID is a GUID; a deep
 * link carries it as it is).
 */
export function checkDeliveries(payloads: readonly unknown[], expected: ReadonlySet<string>, forbidden: ReadonlySet<string>): DeliveryCheck {
  const namedBy = new Map<string, number>();
  const unexpected = new Set<string>();
  let events = 0;
  let digests = 0;
  for (const payload of payloads) {
    const raw = JSON.stringify(payload);
    const size = digestSize(payload);
    if (size !== undefined) digests += 1;
    events += size ?? 1;
    for (const id of expected) if (raw.includes(id)) namedBy.set(id, (namedBy.get(id) ?? 0) + 1);
    for (const id of forbidden) if (raw.includes(id)) unexpected.add(id);
  }
  const repeated = [...namedBy].filter(([, count]) => count > 1).map(([id]) => id);
  return {
    events,
    messages: payloads.length,
    digests,
    repeated,
    unexpected: [...unexpected],
    complete: events === expected.size && repeated.length === 0 && unexpected.size === 0,
  };
}
