/** A context with `after`, as node:test's TestContext has. */
interface AfterContext {
  after(fn: () => void | Promise<void>): void;
}

/**
 * Sets `env` in process.env for this test only, restoring each variable (or its absence) afterwards. For what
 * reads process.env itself: the AWS SDK's AWS_ENDPOINT_URL_<SERVICE> variables.
 */
export function setEnvForTest(t: AfterContext, env: Record<string, string>): void {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  t.after(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
}
