import { startCloudTrailSimulator, type CloudTrailSimulator } from '../../src/sim/cloudtrail-server';
import { startSlackSimulator, type SlackSimulator } from '../../src/sim/slack-server';
import { WEBHOOK_PATH } from './daemon-harness';
import type { TestContextLike } from './cli-process';

/** Both simulators on 127.0.0.1 with the real clock, for daemons running in another process; closed after the test. */
export async function startSims(t: TestContextLike): Promise<{ cloudtrail: CloudTrailSimulator; slack: SlackSimulator }> {
  const cloudtrail = await startCloudTrailSimulator();
  const slack = await startSlackSimulator({ path: WEBHOOK_PATH });
  t.after(async () => {
    await cloudtrail.close();
    await slack.close();
  });
  return { cloudtrail, slack };
}
