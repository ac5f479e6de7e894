import { describeIdentity, HIDDEN_USER_NAME } from '../events/identity';
import type { TrailEvent } from '../events/types';
import { isLevel, type RuleHit } from '../rules/decision';
import { codeBlock, codeSpan, safeText, valueText } from './escape';
import { accessKeyIdOf, callerArnOf, failureOf, mfaOf, requestSummaryOf, shortResource, textOf, type Target } from './event-facts';
import { isoTimeOf, slackDateOf } from './format-parts';
import { responseIdsOf } from './response-ids';
import { levelTitle } from './severity';
import type { SlackAttachment } from './types';

/**
 * The body of a single-event message below its headline: one context line and only the fields that carry
 * information the headline does not. Every event value is escaped and cut (escape.ts); the budgets keep the worst
 * event's whole payload under 16 KB of JSON even when every character is an astral emoji (test/format.test.ts).
 */

type Field = NonNullable<SlackAttachment['fields']>[number];

/** Budgets in code points of escaped text; Block Kit caps a field at 2,000 characters (API-FACTS C.2). */
const MAX_NAME = 128;
const MAX_SHORT = 64;
const MAX_FIELD = 300;
const MAX_ID = 100;
/** A rule title from a rule file (the pack's longest is 66). */
const MAX_TITLE = 100;
/** The headline's resource budget (format.ts). */
export const MAX_TARGET = 100;
/** Real resource ARNs are under 200 characters. */
const MAX_RESOURCE = 160;
/** The rules listed by title; the rest are counted. */
export const MAX_RULES_SHOWN = 5;
/** Resources listed one line each; the rest are counted. */
export const MAX_RESOURCES_SHOWN = 5;

/**
 * Our words in describeIdentity's `detail` (src/events/identity.ts), each followed by an event value, which is
 * set apart in a code span. A detail that starts with none of them is shown whole in a code span: the safe side.
 */
const DETAIL_LABELS = ['source identity ', 'identity store ', 'federated by ', 'via ', 'principal ', 'root, account ', 'account '];
const DETAIL_OUR_WORDS = new Set(['root, account unknown', `user name hidden by AWS (${HIDDEN_USER_NAME})`]);
function detailText(detail: string): string {
  if (DETAIL_OUR_WORDS.has(detail)) return safeText(detail, MAX_FIELD);
  const label = DETAIL_LABELS.find((l) => detail.startsWith(l) && detail.length > l.length);
  return label === undefined ? codeSpan(detail, MAX_FIELD) : `${label}${valueText(detail.slice(label.length), MAX_FIELD)}`;
}

/**
 * `<date token> · from 203.0.113.9 · MFA no · cloudtrail.amazonaws.com`: when, from where, whether with MFA (only
 * when the record says), which service; and the event type when it is not an ordinary API call.
 */
export function contextLine(event: TrailEvent): string {
  const record = event.record;
  const parts = [isoTimeOf(event.time) === undefined ? 'unknown time' : slackDateOf(event.time)];
  const ip = textOf(record?.sourceIPAddress);
  if (ip !== undefined) parts.push(`from ${valueText(ip, MAX_NAME)}`);
  const mfa = mfaOf(event);
  if (mfa !== undefined) parts.push(`MFA ${mfa ? 'yes' : 'no'}`);
  if (event.source !== '' && event.source !== 'unknown') parts.push(valueText(event.source, MAX_NAME));
  const type = textOf(record?.eventType);
  if (type !== undefined && type !== 'AwsApiCall') parts.push(valueText(type, MAX_SHORT));
  return parts.join(' · ');
}

/** `*High* · AWS root user activity`, one line per rule, highest first (Decision.matched's order); none: no field. */
export function rulesField(matched: readonly RuleHit[]): Field[] {
  if (matched.length === 0) return [];
  const lines = matched
    .slice(0, MAX_RULES_SHOWN)
    .map((hit) => `*${levelTitle(isLevel(hit.level) ? hit.level : 'informational')}* · ${safeText(String(hit.title), MAX_TITLE)}`);
  if (matched.length > MAX_RULES_SHOWN) lines.push(`and ${matched.length - MAX_RULES_SHOWN} more`);
  return [{ title: matched.length === 1 ? 'Rule' : 'Rules', value: lines.join('\n'), short: false }];
}

/** The IDs the call created, unless the only one is already the headline's resource. */
function createdField(event: TrailEvent, target: Target | undefined): Field[] {
  const { ids, omitted } = responseIdsOf(event);
  if (ids.length === 0 || (ids.length === 1 && omitted === 0 && target?.from === 'response')) return [];
  const lines = ids.map((id) => `${safeText(id.label, MAX_SHORT)} ${codeSpan(id.value, MAX_NAME)}`);
  if (omitted > 0) lines.push(`and ${omitted} more`);
  return [{ title: 'Created', value: lines.join('\n'), short: false }];
}

/** The error message with its code; nothing when there is no message (the headline already has the code). */
function errorField(event: TrailEvent): Field[] {
  const failure = failureOf(event);
  const message = textOf(event.record?.errorMessage);
  if (failure === undefined || message === undefined || message === failure.code) return [];
  return [{ title: 'Error', value: `${safeText(failure.code, MAX_SHORT)}: ${safeText(message, MAX_FIELD)}`, short: false }];
}

/** The caller's ARN (or name) with describeIdentity's detail; nothing when it would only repeat the headline. */
function callerField(event: TrailEvent): Field[] {
  const who = describeIdentity(event);
  const arn = callerArnOf(event);
  if (arn === undefined && who.detail === undefined) return [];
  const name = codeSpan(arn ?? who.name, arn === undefined ? MAX_NAME : MAX_FIELD);
  return [{ title: 'Caller', value: who.detail === undefined ? name : `${name} (${detailText(who.detail)})`, short: false }];
}

/** One line per resource (type: name), then "and N more"; nothing when the headline already names the only one. */
function resourcesField(event: TrailEvent, target: Target | undefined): Field[] {
  const resources = Array.isArray(event.resources) ? event.resources : [];
  // One resource without a type that the headline shows whole (not an ARN it shortened, not cut) adds nothing.
  const only = resources.length === 1 && textOf(resources[0]?.type) === undefined ? textOf(resources[0]?.name) : undefined;
  const shownWhole = only !== undefined && target?.name === only && shortResource(only) === only && [...only].length < MAX_TARGET;
  if (resources.length === 0 || shownWhole) return [];
  const lines = resources.slice(0, MAX_RESOURCES_SHOWN).map((resource) => {
    const type = textOf(resource?.type);
    const name = textOf(resource?.name);
    return `${type === undefined ? 'unknown type' : valueText(type, MAX_SHORT)}: ${name === undefined ? '(no name)' : codeSpan(name, MAX_RESOURCE)}`;
  });
  if (resources.length > MAX_RESOURCES_SHOWN) lines.push(`and ${resources.length - MAX_RESOURCES_SHOWN} more`);
  return [{ title: resources.length === 1 ? 'Resource' : `Resources (${resources.length})`, value: lines.join('\n'), short: false }];
}

/** Only the fields that say something the headline and the context line do not, most telling first. */
export function eventFields(event: TrailEvent, matched: readonly RuleHit[], target: Target | undefined): Field[] {
  const record = event.record;
  const fields: Field[] = [...rulesField(matched), ...errorField(event), ...createdField(event, target), ...callerField(event)];
  const key = accessKeyIdOf(event);
  if (key !== undefined) fields.push({ title: 'Access Key', value: codeSpan(key, MAX_SHORT), short: true });
  fields.push({ title: 'Event ID', value: safeText(event.id || '(none)', MAX_ID), short: true });
  const agent = textOf(record?.userAgent);
  if (agent !== undefined) fields.push({ title: 'User Agent', value: codeSpan(agent, MAX_FIELD), short: false });
  fields.push(...resourcesField(event, target));
  const parameters = requestSummaryOf(event, target);
  if (parameters !== undefined) fields.push({ title: 'Request Parameters', value: codeBlock(parameters, MAX_FIELD), short: false });
  if (event.recordError !== undefined) fields.push({ title: 'Note', value: safeText(event.recordError, MAX_NAME), short: false });
  return fields;
}
