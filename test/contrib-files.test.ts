import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../src/config/load';

// Issue 10 item 6: contrib/Dockerfile, .dockerignore and contrib/k8s/statefulset.yaml. Docker and Kubernetes are
// not installed here: the files are read as their tools would read them and held to what the README promises.

const ROOT = join(__dirname, '..');
const STATE_DIR = '/var/lib/cloudtrail-slack';
const SECRET_VARIABLES = /^(SLACK_WEBHOOK_URL|SMTP_URL|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|AWS_ACCESS_KEY_ID|CLOUDTRAIL_SLACK_HEARTBEAT_URL)$/;

interface Instruction {
  keyword: string;
  args: string;
  /** Index of the build stage (FROM) it belongs to. */
  stage: number;
}

/** Dockerfile instructions: comments dropped, `\` continuations joined, keywords upper-cased. */
function parseDockerfile(text: string): Instruction[] {
  const joined = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  let stage = -1;
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      if (keyword.toUpperCase() === 'FROM') stage += 1;
      return { keyword: keyword.toUpperCase(), args: rest.join(' '), stage };
    });
}

/** Whether .dockerignore leaves `path` (relative to the root) out of the build context (patterns with `*`, `!`). */
function isIgnored(path: string, patterns: readonly string[]): boolean {
  const toRegex = (pattern: string) =>
    new RegExp(`^${pattern.replace(/\/$/, '').split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}(/.*)?$`);
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = negate ? raw.slice(1) : raw;
    if (toRegex(pattern).test(path)) ignored = !negate;
  }
  return ignored;
}

describe('contrib/Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'contrib', 'Dockerfile'), 'utf8');
  const steps = parseDockerfile(text);
  const last = Math.max(...steps.map((step) => step.stage));
  const final = steps.filter((step) => step.stage === last);
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  test('Node 20 slim in both stages; the build stage compiles, the runtime installs production dependencies only', () => {
    const froms = steps.filter((step) => step.keyword === 'FROM').map((step) => step.args.split(/\s+/)[0]);
    assert.deepEqual(froms, ['node:20-bookworm-slim', 'node:20-bookworm-slim']);
    const runs = (stage: number) => steps.filter((step) => step.stage === stage && step.keyword === 'RUN').map((step) => step.args);
    assert.ok(runs(0).some((run) => /npm ci && npm run build/.test(run)), runs(0).join(' | '));
    assert.ok(runs(last).some((run) => /npm ci --omit=dev/.test(run)), runs(last).join(' | '));
    assert.ok(final.some((step) => step.keyword === 'COPY' && /--from=build \/app\/dist/.test(step.args)), 'dist/ from the build stage');
  });

  test('runs as the image\'s unprivileged node user, state on a volume the entrypoint points -s at (exec form)', () => {
    const users = final.filter((step) => step.keyword === 'USER').map((step) => step.args);
    assert.deepEqual(users, ['node'], 'one USER, not root');
    assert.ok(final.some((step) => step.keyword === 'VOLUME' && step.args === STATE_DIR));
    const entry = final.filter((step) => step.keyword === 'ENTRYPOINT');
    assert.equal(entry.length, 1);
    const argv = JSON.parse(entry[0]!.args) as string[]; // exec form: a JSON array (signals reach node as PID 1)
    assert.equal(argv[0], 'node');
    assert.equal(argv[argv.indexOf('-s') + 1], STATE_DIR);
    // The user is last: everything after it (the entrypoint's process) runs unprivileged.
    assert.equal(steps.at(-1)?.keyword, 'ENTRYPOINT');
    assert.ok(final.findIndex((step) => step.keyword === 'USER') > final.findIndex((step) => step.keyword === 'RUN' && step.args.includes('chown node')));
  });

  test('every COPY source exists in the repository and is not left out by .dockerignore', () => {
    const copies = steps.filter((step) => step.keyword === 'COPY' && !step.args.startsWith('--from'));
    assert.ok(copies.length >= 5);
    for (const copy of copies) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        const path = source.replace(/^\.\//, '').replace(/\/$/, '');
        assert.ok(existsSync(join(ROOT, path)), `${source} exists`);
        assert.ok(!isIgnored(path, ignore), `${source} is not in .dockerignore`);
      }
    }
    for (const left of ['node_modules', 'dist', 'state', '.git', '.env']) assert.ok(isIgnored(left, ignore), `${left} stays out of the context`);
    assert.ok(isIgnored('state/.eu-west-1.cloudtrail.state', ignore));
  });

  test('no secret baked in: no ENV or ARG names one, no credentials file is copied', () => {
    for (const step of steps.filter((s) => s.keyword === 'ENV' || s.keyword === 'ARG')) {
      const name = step.args.split(/[=\s]/)[0]!;
      assert.doesNotMatch(name, SECRET_VARIABLES, step.args);
      assert.doesNotMatch(step.args, /hooks\.slack\.com|smtp:\/\/|AKIA/);
    }
    assert.doesNotMatch(steps.filter((s) => s.keyword === 'COPY').map((s) => s.args).join(' '), /\.aws|credentials|\.env/);
  });
});

describe('contrib/k8s/statefulset.yaml', () => {
  const documents = parseAllDocuments(readFileSync(join(ROOT, 'contrib', 'k8s', 'statefulset.yaml'), 'utf8')).map((doc) => {
    assert.deepEqual(doc.errors, []);
    return doc.toJS() as Record<string, any>;
  });
  const set = documents.find((doc) => doc.kind === 'StatefulSet')!;
  const pod = set?.spec?.template?.spec;
  const container = pod?.containers?.[0];
  const envOf = (name: string) => (container.env as Array<Record<string, any>>).find((entry) => entry.name === name);

  test('a StatefulSet of 3, each pod\'s shard index from its pod-index label (downward API), the count equal to replicas', () => {
    assert.equal(set.apiVersion, 'apps/v1');
    assert.equal(set.spec.replicas, 3);
    assert.equal(envOf('CLOUDTRAIL_SLACK_SHARD_INDEX')?.valueFrom?.fieldRef?.fieldPath, "metadata.labels['apps.kubernetes.io/pod-index']");
    assert.equal(envOf('CLOUDTRAIL_SLACK_SHARD_COUNT')?.value, String(set.spec.replicas));
    assert.deepEqual(set.spec.selector.matchLabels, set.spec.template.metadata.labels);
    assert.ok(documents.some((doc) => doc.kind === 'Service' && doc.metadata.name === set.spec.serviceName && doc.spec.clusterIP === 'None'));
  });

  test('a volume per pod (volumeClaimTemplate) mounted at the image\'s state folder', () => {
    const claim = set.spec.volumeClaimTemplates?.[0];
    assert.ok(claim, 'a volumeClaimTemplate');
    const mount = (container.volumeMounts as Array<Record<string, any>>).find((entry) => entry.name === claim.metadata.name);
    assert.equal(mount?.mountPath, STATE_DIR);
    assert.deepEqual(claim.spec.accessModes, ['ReadWriteOnce']);
  });

  test('non-root; secrets only from a Secret, never inline', () => {
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.notEqual(pod.securityContext.runAsUser, 0);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.ok((container.envFrom as Array<Record<string, any>>).some((entry) => entry.secretRef?.name));
    for (const entry of container.env as Array<Record<string, any>>) assert.doesNotMatch(entry.name, SECRET_VARIABLES, 'a secret inline');
    const text = JSON.stringify(documents);
    assert.doesNotMatch(text, /hooks\.slack\.com\/services\/T|smtp:\/\/[^"]*@|AKIA[0-9A-Z]{12}/);
  });

  test('liveness on /healthz and readiness on /readyz, on the port --http listens on', () => {
    const args = container.args as string[];
    const listen = args[args.indexOf('--http') + 1];
    assert.match(String(listen), /^0\.0\.0\.0:\d+$/, 'all interfaces: the kubelet probes the pod IP');
    const port = Number(String(listen).split(':')[1]);
    const named = (container.ports as Array<Record<string, any>>).find((entry) => entry.containerPort === port);
    assert.ok(named, 'the port is declared');
    for (const [probe, path] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
      assert.equal(container[probe].httpGet.path, path);
      assert.ok(container[probe].httpGet.port === named.name || container[probe].httpGet.port === port, probe);
    }
  });

  test('a startupProbe holds liveness off while the daemon checks its accounts (start-up grows with accounts: STS paced at 5/s)', () => {
    const startup = container.startupProbe;
    assert.ok(startup, 'without it, liveness (30 s × 3) restarts a daemon still checking hundreds of accounts before /healthz answers');
    assert.equal(startup.httpGet.path, '/healthz');
    assert.equal(startup.httpGet.port, container.livenessProbe.httpGet.port);
    const budget = (probe: Record<string, any>) => (probe.initialDelaySeconds ?? 0) + (probe.periodSeconds ?? 10) * (probe.failureThreshold ?? 3);
    // 1,000 accounts at 5 AssumeRole calls a second is 200 s before the last one is checked; ten minutes is generous.
    assert.ok(budget(startup) >= 600, `start-up budget ${budget(startup)} s`);
    assert.ok(budget(startup) > budget(container.livenessProbe), 'longer than liveness alone');
  });

  test('what a pod hands the daemon loads: its config, flags and shard (pod 2 of 3)', () => {
    const configMap = documents.find((doc) => doc.kind === 'ConfigMap')!;
    const args = container.args as string[];
    const env = { CLOUDTRAIL_SLACK_SHARD_INDEX: '2', CLOUDTRAIL_SLACK_SHARD_COUNT: envOf('CLOUDTRAIL_SLACK_SHARD_COUNT')!.value, SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x' };
    const config = loadConfig({
      flags: { configFile: args[args.indexOf('--config') + 1], http: args[args.indexOf('--http') + 1], stateDir: STATE_DIR },
      env,
      readFile: () => configMap.data['config.json'],
    });
    assert.deepEqual(config.shard, { index: 2, count: 3 });
    assert.equal(config.organization?.roleName, 'CloudTrailSlackRead');
  });
});
