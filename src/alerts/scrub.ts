/** What replaces a secret. */
export const MASK = '***';

// Slack incoming webhooks (and GovSlack's): the path is the secret, so everything after the host goes. With or
// without the scheme, and with the '/' also URL-encoded (%2F) or JSON-escaped (\/); '&' ends it (a query string).
const SLACK_WEBHOOK = /\b((?:https?(?::|%3A)(?:\/\/|\\\/\\\/|%2F%2F))?hooks\.slack(?:-gov)?\.com)(?:\/|\\\/|%2F)(?:[^\s"'<>`\\&]|\\\/)*/gi;
// scheme://user:pass@host: `[^\s/?#]*` is greedy and may contain '@', so the match ends at the last '@' of the
// authority, as WHATWG URL parsing does for an unencoded '@' in a password.
const URL_USER_PASS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/?#@"'<>]*):[^\s/?#"'<>]*@/gi;
// scheme://token@host: a lone userinfo is usually a token (https://ghp_…@github.com).
const URL_USER_ONLY = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s:/?#@"'<>]+@/gi;
// IAM access key ids (long-term AKIA, temporary ASIA). The last 4 stay so a human can tell which key it was,
// the way the IAM console shows them.
const ACCESS_KEY_ID = /\b(AKIA|ASIA)[A-Z0-9]{12}([A-Z0-9]{4})\b/g;
// `name = value`, `name: value`, `"name": "value"` for the names secrets go by (aws_secret_access_key,
// SecretAccessKey, AWS_SESSION_TOKEN, password, …). The whole value goes: a quoted one to its closing quote
// (escaped quotes included), a bare one to the next space, quote or '\' (a secret may hold any other character:
// better to mask a little more than to leave its end).
const SECRET_NAMES =
  '(?:aws_?)?secret_?access_?key|(?:aws_?)?session_?token|(?:x-amz-)?security_?token|smtp_?pass(?:word)?|' +
  'password|passwd|pass|pwd|client_?secret|secret|api_?key|access_?token|auth_?token|refresh_?token';
const SECRET_VALUE = new RegExp(
  `\\b(${SECRET_NAMES})(["']?\\s*[:=]\\s*)(?:"((?:[^"\\\\]|\\\\.)*)"|'([^']*)'|([^\\s"'\\\\]+))`,
  'gi',
);
// Slack tokens: bot, user, app-level, legacy workspace and refresh tokens.
const SLACK_TOKEN = /\b(xox[abposre]|xapp)-[A-Za-z0-9-]+/g;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g;
const BASIC = /\b(Basic\s+)[A-Za-z0-9+/=]{8,}/g;

/** Shorter values would mask ordinary words. */
const MIN_SECRET_CHARS = 4;

/**
 * Masks the secrets this daemon handles wherever they appear in free text (an error message, an email, a log
 * field): first `knownSecrets` by value (secretVariants: also URL-encoded, JSON-escaped and the parts of a URL
 * that are secret), then by pattern: Slack webhook URLs and tokens, URL passwords, AWS access key ids, values
 * named like secrets (`password: …`, `aws_secret_access_key = …`), bearer and basic credentials.
 */
export function scrubSecrets(text: string, knownSecrets: readonly (string | undefined)[] = []): string {
  return createScrubber(knownSecrets)(text);
}

/** scrubSecrets with its variants worked out once, for callers that scrub often (the logger). */
export function createScrubber(knownSecrets: readonly (string | undefined)[]): (text: string) => string {
  const variants = [...new Set(knownSecrets.flatMap((s) => (s === undefined ? [] : secretVariants(s))))]
    // Longest first, so a part never masks only a piece of the whole it belongs to.
    .sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    // Values first: a password may contain characters that stop the patterns below short of its end.
    for (const secret of variants) if (out.includes(secret)) out = out.split(secret).join(MASK);
    return out
      .replace(SLACK_WEBHOOK, `$1/${MASK}`)
      .replace(URL_USER_PASS, `$1$2:${MASK}@`)
      .replace(URL_USER_ONLY, `$1${MASK}@`)
      .replace(ACCESS_KEY_ID, (_match, prefix: string, last4: string) => `${prefix}${'*'.repeat(12)}${last4}`)
      .replace(SECRET_VALUE, (_m, name: string, sep: string, dq?: string, sq?: string) =>
        `${name}${sep}${dq !== undefined ? `"${MASK}"` : sq !== undefined ? `'${MASK}'` : MASK}`)
      .replace(SLACK_TOKEN, `$1-${MASK}`)
      .replace(BEARER, `$1${MASK}`)
      .replace(BASIC, `$1${MASK}`);
  };
}

/**
 * Every form in which `secret` could be printed: as is, percent-decoded, and for a URL its secret parts (a
 * webhook's path and its segments, a URL's userinfo and password, and the base64 an SMTP or HTTP login sends);
 * each also URL-encoded (either case of hex), form-encoded and JSON-escaped. Forms under 4 characters are left out.
 */
export function secretVariants(secret: string): string[] {
  const parts = urlSecretParts(secret);
  // A URL with a login (SMTP) is secret only in its userinfo: its host and port stay readable.
  const bases = new Set(parts.userinfo ? parts.secret : [secret, decode(secret), ...parts.secret]);
  const forms = new Set<string>();
  for (const base of bases) {
    const encoded = encodeURIComponent(base);
    const json = JSON.stringify(base).slice(1, -1);
    for (const form of [base, encoded, encoded.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()), encoded.replace(/%20/g, '+'), json, json.replace(/\//g, '\\/')]) {
      if (form.length >= MIN_SECRET_CHARS) forms.add(form);
    }
  }
  return [...forms];
}

/** The secret parts of a URL: any scheme → its userinfo; http(s) without one (a webhook) → its path and segments. */
/** A URL path segment that is a key or an ID rather than a word: 8+ characters with a digit, or 20+ characters. */
function looksLikeKey(segment: string): boolean {
  return (segment.length >= 8 && /\d/.test(segment)) || segment.length >= 20;
}

function urlSecretParts(secret: string): { userinfo: boolean; secret: string[] } {
  let url: URL;
  try {
    url = new URL(secret);
  } catch {
    return { userinfo: false, secret: [] };
  }
  const parts: string[] = [];
  const userinfo = url.username !== '' || url.password !== '';
  if (userinfo) {
    const user = decode(url.username);
    const password = decode(url.password);
    parts.push(url.password, password, `${url.username}:${url.password}`, `${user}:${password}`);
    // What an SMTP AUTH PLAIN or an HTTP Basic login puts on the wire, should a library log it.
    parts.push(base64(`\0${user}\0${password}`), base64(`${user}:${password}`));
  }
  // The path of a webhook or ping URL is its key, whole; of its segments only those that look like keys or IDs
  // (Slack's T…/B…/token, a healthchecks UUID) are masked alone: a word such as "ping" must stay readable.
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    parts.push(`${url.host}${url.pathname}${url.search}`, url.pathname);
    parts.push(...url.pathname.split('/').map(decode).filter(looksLikeKey));
  }
  return { userinfo, secret: parts.filter((p) => p.length >= MIN_SECRET_CHARS) };
}

/** The values the process knows are secret, from the validated configuration (the loader reads the environment). */
export function knownSecretsOf(config: {
  slack: { webhookUrl?: string | undefined; webhooks?: Readonly<Record<string, string>> | undefined };
  email: { smtpUrl?: string | undefined };
  awsSecrets?: readonly string[] | undefined;
  heartbeat?: { url?: string | undefined } | undefined;
}): string[] {
  // Every webhook's URL (config slack.webhooks); webhookUrl is one of them when set, listed again for older callers.
  const webhooks = Object.values(config.slack.webhooks ?? {});
  // The heartbeat's ping URL (a dead man's switch): its path is the check's key, like a webhook's.
  const all = [config.slack.webhookUrl, ...webhooks, config.email.smtpUrl, config.heartbeat?.url, ...(config.awsSecrets ?? [])];
  return [...new Set(all.filter((s): s is string => s !== undefined))];
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a stray '%': keep the raw form
  }
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
