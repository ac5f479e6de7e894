import type { AdvancedEventSelector, AdvancedFieldSelector, EventSelector } from '@aws-sdk/client-cloudtrail';

/**
 * Does a trail record write management events (what this daemon posts), by its event selectors? Pure.
 * Shapes: GetEventSelectorsResponse in @aws-sdk/client-cloudtrail (models_0.d.ts). A trail has classic
 * `EventSelectors` or `AdvancedEventSelectors`, never both. Within an advanced selector the field selectors are
 * ANDed; a trail's selectors are ORed.
 */

export interface SelectorsVerdict {
  /** true when some selector records every write management event (leaving out some event sources still counts). */
  recordsWrites: boolean;
  /** When it does not: why, in plain words (no trail-controlled text). */
  why?: string;
}

export interface TrailSelectors {
  EventSelectors?: EventSelector[] | undefined;
  AdvancedEventSelectors?: AdvancedEventSelector[] | undefined;
}

/** A write management event as the selectors' fields see it (readOnly is the string 'false'). */
const WRITE_MANAGEMENT_EVENT: Readonly<Record<string, string>> = { eventCategory: 'Management', readOnly: 'false' };

/** Operators that keep only what they name (Not* operators only leave a few values out). */
const INCLUDING = ['Equals', 'StartsWith', 'EndsWith'] as const;

export function judgeSelectors(selectors: TrailSelectors): SelectorsVerdict {
  const advanced = selectors.AdvancedEventSelectors ?? [];
  if (advanced.length > 0) return judgeAdvanced(advanced);
  const classic = selectors.EventSelectors ?? [];
  if (classic.length === 0) return { recordsWrites: false, why: 'it has no event selector, so it records no management event' };
  // Defaults from the model: ReadWriteType All, IncludeManagementEvents true.
  const management = classic.filter((s) => s.IncludeManagementEvents !== false);
  if (management.length === 0) return { recordsWrites: false, why: 'its event selectors exclude management events (IncludeManagementEvents false)' };
  if (management.some((s) => (s.ReadWriteType ?? 'All') !== 'ReadOnly')) return { recordsWrites: true };
  return { recordsWrites: false, why: 'its event selectors record read-only management events only (ReadWriteType ReadOnly)' };
}

function judgeAdvanced(selectors: readonly AdvancedEventSelector[]): SelectorsVerdict {
  const management = selectors.filter((s) => fieldsNamed(s, 'eventCategory').some((f) => matches(f, 'Management')));
  if (management.length === 0) {
    return { recordsWrites: false, why: 'its advanced event selectors select no management events (eventCategory Management)' };
  }
  if (management.some(recordsEveryWrite)) return { recordsWrites: true };
  const readOnly = management.every((s) => fieldsNamed(s, 'readOnly').some((f) => !matches(f, 'false')));
  return {
    recordsWrites: false,
    why: readOnly
      ? 'its advanced event selectors record read-only management events only (readOnly true)'
      : 'its advanced event selectors record only some write management events (a field selector narrows them)',
  };
}

/** Every condition holds for a write management event, and no condition narrows it to a subset of them. */
function recordsEveryWrite(selector: AdvancedEventSelector): boolean {
  return (selector.FieldSelectors ?? []).every((field) => {
    const name = field.Field ?? '';
    const known = WRITE_MANAGEMENT_EVENT[name];
    if (known !== undefined) return matches(field, known);
    // Another field (eventSource, eventName, …): excluding a few values (KMS, RDS Data API) still records the
    // rest; an including operator keeps only what it names.
    return INCLUDING.every((op) => (field[op] ?? []).length === 0);
  });
}

function fieldsNamed(selector: AdvancedEventSelector, name: string): AdvancedFieldSelector[] {
  return (selector.FieldSelectors ?? []).filter((f) => f.Field === name);
}

/** Whether `value` passes every operator present on the field selector (values within one operator are ORed). */
export function matches(field: AdvancedFieldSelector, value: string): boolean {
  const some = (list: string[] | undefined, test: (v: string) => boolean) => list === undefined || list.length === 0 || list.some(test);
  const none = (list: string[] | undefined, test: (v: string) => boolean) => !(list ?? []).some(test);
  return (
    some(field.Equals, (v) => v === value) &&
    some(field.StartsWith, (v) => value.startsWith(v)) &&
    some(field.EndsWith, (v) => value.endsWith(v)) &&
    none(field.NotEquals, (v) => v === value) &&
    none(field.NotStartsWith, (v) => value.startsWith(v)) &&
    none(field.NotEndsWith, (v) => value.endsWith(v))
  );
}
