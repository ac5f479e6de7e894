import type { TrailEvent } from './types';

/**
 * A readable "who" for an event, for every userIdentity type CloudTrail documents (API-FACTS B.5). The record's
 * shape is never trusted: userIdentity may be missing, null, an array or a number, and any field may have the
 * wrong type, so everything is read through `objectOf` / `textOf` and this never throws.
 */
export interface IdentityDescription {
  /** userIdentity.type as recorded, or 'Unknown' when absent. */
  type: string;
  /** The most readable name available; never empty. */
  name: string;
  /** Extra context worth showing next to the name (session, identity store, account, provider). */
  detail?: string;
}

/** What CloudTrail writes instead of a user name it will not reveal (e.g. a failed sign-in of an unknown user). */
export const HIDDEN_USER_NAME = 'HIDDEN_DUE_TO_SECURITY_REASONS';

type Obj = Record<string, unknown>;
type Describer = (identity: Obj, event: TrailEvent) => { name?: string; detail?: string };

function objectOf(value: unknown): Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : {};
}

/** A non-blank string that is not the hidden placeholder, else undefined. */
function textOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' && value !== HIDDEN_USER_NAME ? value : undefined;
}

function firstText(...values: unknown[]): string | undefined {
  for (const value of values) {
    const text = textOf(value);
    if (text !== undefined) return text;
  }
  return undefined;
}

/** `arn:aws:sts::123:assumed-role/Admin/alice` → ['assumed-role', 'Admin', 'alice']. */
function arnPath(arn: unknown): string[] {
  const text = textOf(arn);
  if (text === undefined || !text.startsWith('arn:')) return [];
  return text.split(':').slice(5).join(':').split('/');
}

function lastOf(parts: string[]): string | undefined {
  return parts.length > 1 ? textOf(parts[parts.length - 1]) : undefined;
}

function issuerOf(identity: Obj): Obj {
  return objectOf(objectOf(identity.sessionContext).sessionIssuer);
}

const DESCRIBERS: Readonly<Record<string, Describer>> = {
  IAMUser: (id, event) => ({ name: firstText(id.userName, lastOf(arnPath(id.arn)), event.username) }),
  AssumedRole: (id, event) => {
    // The ARN is assumed-role/<role>/<session>; the issuer's userName is the role name.
    const path = arnPath(id.arn);
    const role = firstText(issuerOf(id).userName, path[0] === 'assumed-role' ? path[1] : undefined);
    const session = path[0] === 'assumed-role' && path.length > 2 ? textOf(path[path.length - 1]) : undefined;
    const name = role !== undefined && session !== undefined ? `${role}/${session}` : firstText(role, session);
    const source = textOf(objectOf(id.sessionContext).sourceIdentity);
    return { name: name ?? firstText(event.username), detail: source && `source identity ${source}` };
  },
  Root: (id) => {
    // userName is present only when the account has an alias, and then it is the alias.
    const account = textOf(id.accountId);
    const alias = textOf(id.userName);
    const where = account === undefined ? undefined : `account ${account}`;
    return alias === undefined ? { name: 'root', detail: where } : { name: alias, detail: `root, ${where ?? 'account unknown'}` };
  },
  AWSService: (id) => ({ name: firstText(id.invokedBy, id.principalId) }),
  IdentityCenterUser: (id, event) => {
    const onBehalfOf = objectOf(id.onBehalfOf);
    const store = lastOf(arnPath(onBehalfOf.identityStoreArn));
    return { name: firstText(onBehalfOf.userId, event.username), detail: store && `identity store ${store}` };
  },
  FederatedUser: (id, event) => {
    const path = arnPath(id.arn); // federated-user/<name>
    const issuer = firstText(issuerOf(id).userName, lastOf(arnPath(issuerOf(id).arn)));
    return { name: firstText(lastOf(path), event.username), detail: issuer && `federated by ${issuer}` };
  },
  SAMLUser: describeFederation,
  WebIdentityUser: describeFederation,
  AWSAccount: (id) => {
    const account = textOf(id.accountId);
    const principal = textOf(id.principalId);
    return { name: firstText(account, principal), detail: account && principal && `principal ${principal}` };
  },
};

function describeFederation(identity: Obj, event: TrailEvent): { name?: string; detail?: string } {
  const provider = firstText(identity.identityProvider, objectOf(objectOf(identity.sessionContext).webIdFederationData).federatedProvider);
  return { name: firstText(identity.userName, event.username, identity.principalId), detail: provider && `via ${provider}` };
}

/** Describes who made the call. Never throws, whatever the record holds. */
export function describeIdentity(event: TrailEvent): IdentityDescription {
  const record = objectOf(event.record);
  const identity = objectOf(record.userIdentity);
  const type = textOf(identity.type) ?? 'Unknown';
  const describe = Object.hasOwn(DESCRIBERS, type) ? DESCRIBERS[type] : undefined;
  const specific = describe?.(identity, event) ?? {};
  // Any type, known or not: fall back through the fields that usually name someone.
  const name =
    specific.name ??
    firstText(event.username, identity.userName, identity.invokedBy, identity.principalId, lastOf(arnPath(identity.arn)));
  const hidden = identity.userName === HIDDEN_USER_NAME || event.username === HIDDEN_USER_NAME;
  let detail = specific.detail;
  if (name === undefined && hidden) return { type, name: 'hidden user', detail: 'user name hidden by AWS (HIDDEN_DUE_TO_SECURITY_REASONS)' };
  if (detail === undefined) detail = crossAccountDetail(identity, record);
  return detail === undefined ? { type, name: name ?? 'unknown' } : { type, name: name ?? 'unknown', detail };
}

/** A caller from another account is worth saying so: the event's account is recipientAccountId. */
function crossAccountDetail(identity: Obj, record: Obj): string | undefined {
  const caller = textOf(identity.accountId);
  const recipient = textOf(record.recipientAccountId);
  return caller !== undefined && recipient !== undefined && caller !== recipient ? `account ${caller}` : undefined;
}
