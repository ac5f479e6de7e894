'use strict';
// pm2 7 process file for cloudtrail-slack: `pm2 start ecosystem.config.js`.
// Configure it with environment variables (below), not by editing this file. pm2 reads them when you run
// `pm2 start`; after changing one, `pm2 restart cloudtrail-slack --update-env` (then `pm2 save`).
//
//   CLOUDTRAIL_SLACK_CONFIG   config file (JSON), absolute or relative to this folder
//   SLACK_WEBHOOK_URL         the Slack incoming webhook
//   SMTP_URL, ALERT_EMAIL_TO, ALERT_EMAIL_FROM   alert email
//   AWS_PROFILE (or the SDK's other variables)  credentials
//   CLOUDTRAIL_SLACK_ARGS     extra flags, e.g. "-r us-east-1,eu-west-1 --log-level debug"
//   CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT  seconds a graceful stop may take (default 10); kill_timeout follows it
//
// CommonJS on purpose: pm2 on Node 20 require()s this file, so package.json must not say "type": "module".
const path = require('node:path');

/** Variables handed to the daemon when set; an empty one is left out (the daemon treats '' as unset anyway). */
const PASSED_ENV = [
  'CLOUDTRAIL_SLACK_CONFIG',
  'SLACK_WEBHOOK_URL',
  'SMTP_URL',
  'ALERT_EMAIL_TO',
  'ALERT_EMAIL_FROM',
  'AWS_PROFILE',
  'AWS_REGION',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
  // The daemon reads it too (and exits 78 naming it when it is out of range); here it only sets kill_timeout.
  'CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT',
];

const shutdownTimeoutSeconds = readShutdownTimeout('CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT', 10);

/** The daemon as one pm2 app (the multi-instance variant below builds on it). */
const app = {
  name: 'cloudtrail-slack',
  // The compiled daemon (npm ci / npm run build create dist/): pm2 cannot run .ts on Node 20.
  script: path.join(__dirname, 'bin', 'cloudtrail-slack'),
  interpreter: 'node',
  // A --shutdown-timeout in CLOUDTRAIL_SLACK_ARGS wins over CLOUDTRAIL_SLACK_SHUTDOWN_TIMEOUT (flags beat the
  // environment), but kill_timeout follows the variable only: set the variable instead.
  args: splitArgs(process.env.CLOUDTRAIL_SLACK_ARGS),
  // Relative paths (the default ./state folder, a relative config file) are relative to this folder.
  cwd: __dirname,
  exec_mode: 'fork',
  instances: 1,
  autorestart: true,
  // pm2 stops with SIGINT and sends SIGKILL after kill_timeout (default 1600 ms, too short to save state):
  // leave the daemon its own shutdown timeout plus a margin.
  kill_timeout: (shutdownTimeoutSeconds + 5) * 1000,
  // 77: a human must act (credentials, AccessDenied, webhook revoked); 78: bad flags or configuration.
  // Restarting cannot fix either. Not 0: pm2 reports deaths by signal (even OOM's SIGKILL) as exit code 0.
  stop_exit_codes: [77, 78],
  // Crash loops wait 1 s, 1.5 s, 2.25 s, … up to 15 s between starts (reset after 30 s of uptime).
  exp_backoff_restart_delay: 1000,
  // "online" once the daemon runs (pid file written, signals handled): it sends 'ready'.
  wait_ready: true,
  listen_timeout: 10_000,
  // Logs: pino JSON lines on stdout → ~/.pm2/logs/cloudtrail-slack-out.log (`pm2 logs cloudtrail-slack`);
  // startup errors (one line) on stderr → …-error.log. pino stamps each line, so pm2 need not.
  time: false,
  merge_logs: true,
  watch: false,
  vizion: false,
  pmx: false,
  automation: false,
  env: {
    NODE_ENV: 'production',
    ...pickDefined(process.env, PASSED_ENV),
  },
};

module.exports = { apps: [app] };

// ---- Several instances: shards (README "Shards") ---------------------------------------------------------------
// One instance is enough up to a few thousand targets (account × region). To split them over 3 processes, uncomment
// the block below (it replaces the single app above; keep the name, so `pm2 stop cloudtrail-slack` stops them all).
// pm2 gives each process NODE_APP_INSTANCE 0, 1, 2; the daemon takes it as its shard index, and the count from
// CLOUDTRAIL_SLACK_SHARD_COUNT, which must equal `instances` (pm2 does not tell a process the count after
// `pm2 scale`: change both here, then `pm2 delete cloudtrail-slack && pm2 start ecosystem.config.js`).
// With --http (CLOUDTRAIL_SLACK_HTTP), each instance needs its own port: increment_var gives 9464, 9465, 9466;
// without --http, drop the CLOUDTRAIL_SLACK_HTTP and increment_var lines. The state folder may be shared: no
// state file is written by two shards.
//
// BEGIN multi-instance variant
// module.exports = {
//   apps: [
//     {
//       ...app,
//       exec_mode: 'fork',
//       instances: 3,
//       env: { ...app.env, CLOUDTRAIL_SLACK_SHARD_COUNT: 3, CLOUDTRAIL_SLACK_HTTP: 9464 },
//       increment_var: 'CLOUDTRAIL_SLACK_HTTP',
//     },
//   ],
// };
// END multi-instance variant

/**
 * The variable's seconds for kill_timeout. A value the daemon refuses (outside 0.1–600 s, src/config/bounds.ts
 * BOUNDS) is not an error here: the daemon then exits 78 with one line naming it, and pm2 does not restart it.
 */
function readShutdownTimeout(name, fallback) {
  const text = (process.env[name] || '').trim();
  const value = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  return value >= 0.1 && value <= 600 ? value : fallback;
}

/** `-r us-east-1 --config "/etc/my app/x.json"` → ['-r', 'us-east-1', '--config', '/etc/my app/x.json']. */
function splitArgs(text) {
  const args = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let match = pattern.exec(text || ''); match !== null; match = pattern.exec(text || '')) {
    args.push(match[1] ?? match[2] ?? match[3]);
  }
  return args;
}

function pickDefined(env, names) {
  return Object.fromEntries(names.filter((name) => (env[name] || '').trim() !== '').map((name) => [name, env[name]]));
}
