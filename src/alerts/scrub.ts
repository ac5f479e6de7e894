/** What replaces a secret. */
export const MASK = '***';

// Slack incoming webhooks (and Slack GovSlack's): the path is the secret, so everything after the host goes.
const SLACK_WEBHOOK = /\b(https?:\/\/hooks\.slack(?:-gov)?\.com)\/[^\s"'<>`]*/gi;
// scheme://user:pass@host: `[^\s/?#]*` is greedy and may contain '@', so the match ends at the last '@' of the
// authority, as WHATWG URL parsing does for an unencoded '@' in a password.
const URL_USER_PASS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/?#@"'<>]*):[^\s/?#"'<>]*@/gi;
// scheme://token@host: a lone userinfo is usually a token (https://ghp_…@github.com).
const URL_USER_ONLY = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s:/?#@"'<>]+@/gi;
// IAM access key ids (long-term AKIA, temporary ASIA). The last 4 stay so a human can tell which key it was,
// the way the IAM console shows them.
const ACCESS_KEY_ID = /\b(AKIA|ASIA)[A-Z0-9]{12}([A-Z0-9]{4})\b/g;
// aws_secret_access_key = …, "SecretAccessKey": "…", AWS_SESSION_TOKEN=…: the value after the name goes.
const AWS_SECRET_VALUE =
  /\b((?:aws_?)?(?:secret_?access_?key|session_?token)["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{8,}/gi;
// Slack tokens: bot, user, app-level, legacy workspace and refresh tokens.
const SLACK_TOKEN = /\b(xox[abposre]|xapp)-[A-Za-z0-9-]+/g;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g;

/**
 * Masks the secrets this daemon handles wherever they appear in free text (an error message, an email, a log
 * field): Slack webhook URLs and tokens, URL passwords, AWS access key ids and secret keys, bearer tokens, and
 * any `knownSecrets` given literally (the SMTP password, the webhook URL, …; values shorter than 4 characters
 * are ignored, they would mask ordinary words).
 */
export function scrubSecrets(text: string, knownSecrets: readonly (string | undefined)[] = []): string {
  let out = text;
  // Literal secrets first: a password may contain characters that stop the patterns below short of its end.
  for (const secret of knownSecrets) {
    if (secret !== undefined && secret.length >= 4) out = out.split(secret).join(MASK);
  }
  return out
    .replace(SLACK_WEBHOOK, `$1/${MASK}`)
    .replace(URL_USER_PASS, `$1$2:${MASK}@`)
    .replace(URL_USER_ONLY, `$1${MASK}@`)
    .replace(ACCESS_KEY_ID, (_match, prefix: string, last4: string) => `${prefix}${'*'.repeat(12)}${last4}`)
    .replace(AWS_SECRET_VALUE, `$1${MASK}`)
    .replace(SLACK_TOKEN, `$1-${MASK}`)
    .replace(BEARER, `$1${MASK}`);
}
