import { compilePatterns } from '../lib/glob';
import { HIDDEN_USER_NAME } from './identity';
import type { TrailEvent } from './types';
import { objectOf, textOf } from './untrusted';

/**
 * Who made the call, as the names a user-name exclusion (config `exclude.userNames`, later rules and mutes) can
 * match. One meaning on every path: the daemon (LookupEvents) and replay (log files) read the same record, so the
 * same record gives the same names; LookupEvents' own `Username` (the role or the session name, AWS does not say
 * which) is one more candidate, never the only one. userIdentity is read defensively (API-FACTS B.5); every name
 * is attacker-influenced text, compared only, never shown.
 *
 * The candidates, by userIdentity.type (one example each; ARNs are matched whole, like every other name):
 * - IAMUser: the user name and the user ARN: `alice`, `arn:aws:iam::111122223333:user/alice`
 *   (a path in the ARN does not matter: `…:user/ops/alice` gives `alice` too).
 * - AssumedRole: the role name, the session name, `role/session`, the assumed-role ARN and the role's ARN from
 *   sessionContext.sessionIssuer: `deployer`, `i-0abc1234def567890`, `deployer/i-0abc1234def567890`,
 *   `arn:aws:sts::111122223333:assumed-role/deployer/i-0abc1234def567890`, `arn:aws:iam::111122223333:role/deployer`.
 *   An IAM Identity Center user in an account acts through such a role: `AWSReservedSSO_Admin_…/jane@example.com`.
 * - FederatedUser: the federated name and its ARN, and the IAM user who federated it (the session issuer):
 *   `bob`, `arn:aws:sts::111122223333:federated-user/bob`, `alice`.
 * - SAMLUser, WebIdentityUser: the user name: `SamlExample`, `dev@example.com`.
 * - IdentityCenterUser: its user ID (onBehalfOf.userId) and user name when recorded:
 *   `544894e8-80c1-707f-60e3-3ba6510dfac1`, `jane@example.com`.
 * - Root: `root`, the account alias (Root's userName when an alias is set) and the ARN: `root`, `example-prod`,
 *   `arn:aws:iam::111122223333:root`.
 * - AWSService, or a service event whose userIdentity has only `invokedBy`: the service, `ec2.amazonaws.com`.
 *   Not for a person's call that a service carried (an IAMUser with invokedBy `AWS Internal`): excluding a
 *   service must not hide what people do through it.
 * AWS's placeholder `HIDDEN_DUE_TO_SECURITY_REASONS` is not a name. Patterns: src/lib/glob.ts (whole value,
 * case-insensitive, `*` the only wildcard).
 */

/** A non-blank name that is not AWS's placeholder for a hidden one. */
function nameOf(value: unknown): string | undefined {
  const text = textOf(value);
  return text === HIDDEN_USER_NAME ? undefined : text;
}

/** `arn:aws:sts::1:assumed-role/Role/session` → ['assumed-role', 'Role', 'session']; [] when not an ARN. */
function arnPath(arn: string | undefined): string[] {
  if (arn === undefined || !arn.startsWith('arn:')) return [];
  const fields = arn.split(':');
  return fields.length < 6 ? [] : fields.slice(5).join(':').split('/');
}

/** The candidate names of an event's caller, without duplicates; [] when the record names no one. */
export function principalNames(event: TrailEvent): string[] {
  const names = new Set<string>();
  const add = (value: unknown): void => {
    const name = nameOf(value);
    if (name !== undefined) names.add(name);
  };
  const identity = objectOf(objectOf(event.record).userIdentity);
  const type = textOf(identity.type);
  const issuer = objectOf(objectOf(identity.sessionContext).sessionIssuer);

  add(event.username);
  add(identity.userName); // IAM user; Root's account alias; SAML, web identity, Identity Center users
  const arn = nameOf(identity.arn);
  add(arn);
  const path = arnPath(arn);
  if (path[0] === 'assumed-role' && path.length >= 3) {
    const role = nameOf(path[1]);
    const session = nameOf(path[path.length - 1]);
    add(role);
    add(session);
    if (role !== undefined && session !== undefined) add(`${role}/${session}`);
  } else if (path.length > 1) {
    add(path[path.length - 1]); // user/…/name, federated-user/name, role/…/name
  }
  if (type === 'Root' || (path.length === 1 && path[0] === 'root')) add('root');

  const issuerArn = nameOf(issuer.arn);
  add(issuer.userName);
  add(issuerArn);
  if (nameOf(issuer.userName) === undefined) add(arnPath(issuerArn).slice(1).pop());

  add(objectOf(identity.onBehalfOf).userId);
  // The service is the caller only when nothing else is: AWSService, or a bare {accountId, invokedBy}.
  if (type === undefined || type === 'AWSService') add(identity.invokedBy);
  return [...names];
}

/**
 * Builds a matcher for user-name patterns, compiled once. It returns the first pattern (as written) that matches
 * any of principalNames(event), or undefined. Blank patterns are ignored; with none, nothing matches.
 */
export function createPrincipalMatcher(patterns: readonly string[]): (event: TrailEvent) => string | undefined {
  const compiled = compilePatterns(patterns);
  if (compiled.length === 0) return () => undefined;
  return (event) => {
    const names = principalNames(event);
    return compiled.find((pattern) => names.some((name) => pattern.test(name)))?.text;
  };
}
