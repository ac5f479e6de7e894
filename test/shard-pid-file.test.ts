import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shardPidFile } from '../src/targets/shard-files';

// pm2's instances (and a Kubernetes StatefulSet's pods from one template) share their flags: one `-p` for all.
// Each shard must hold a pid file of its own, or every instance but the first refuses to start ("already running").

test('the pid file gets the shard in its name when there are several shards, before its extension', () => {
  const three = (index: number) => ({ index, count: 3 });
  assert.equal(shardPidFile('/run/cts/cloudtrail-slack.pid', three(1)), '/run/cts/cloudtrail-slack.shard-1.pid');
  assert.equal(shardPidFile('/run/cts/daemon', three(2)), '/run/cts/daemon.shard-2');
  assert.equal(shardPidFile('/run/cts.d/.hidden', three(0)), '/run/cts.d/.hidden.shard-0', 'a dot file has no extension');
  assert.equal(shardPidFile('/run/a.b.pid', three(0)), '/run/a.b.shard-0.pid');
  const names = [0, 1, 2].map((k) => shardPidFile('/run/x.pid', three(k)));
  assert.equal(new Set(names).size, 3, 'one file per shard');
});

test('one shard, or no pid file: unchanged', () => {
  assert.equal(shardPidFile('/run/x.pid', { index: 0, count: 1 }), '/run/x.pid');
  assert.equal(shardPidFile(undefined, { index: 1, count: 3 }), undefined);
});
