// Run in a consumer project by scripts/ci-consumer.sh, as root with CRIU_BIN: a real
// checkpoint/restore of a small process through the installed package and its prebuilt addon.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { check, checkpoint, restore, spawn } from 'node-criu';

/** The last number a stream has delivered so far, as it counts. */
function counter(stream) {
  let last = 0;
  stream.setEncoding('utf8').on('data', (chunk) => {
    for (const line of chunk.split('\n')) if (/^\d+$/.test(line)) last = Number(line);
  });
  return () => last;
}

const status = await check({ backend: 'criu' });
assert.ok(status.usable, `CRIU is not usable: ${JSON.stringify(status.problems)}`);

// A shell counting on its stdout (no compiler here): launched by node-criu's spawn, hence through
// the launcher of the prebuild.
const child = spawn('sh', ['-c', 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.02; done'], {
  stdio: ['ignore', 'pipe', 'ignore'],
});
const before = counter(child.stdout);
while (before() < 5) await sleep(20);
const cp = await checkpoint(child.pid, { backend: 'criu' });
const atDump = before();

// Our end of its stdout was left out of the checkpoint: it comes back as a new pipe.
const job = await restore(cp.imagesDir, { backend: 'criu' });
const after = counter(job.stdout);
const deadline = Date.now() + 10_000;
while (after() <= atDump && Date.now() < deadline) await sleep(20);
assert.ok(after() > atDump, `the restored process did not count on from ${atDump} (saw ${after()})`);
process.kill(-job.pid, 'SIGKILL'); // the restored session: the shell and its sleep
await job.exited;
await cp.remove(); // the checkpoint went into a dir node-criu made: it is ours to remove
console.log(
  `consumer: real round trip with CRIU ${status.version}: counted to ${atDump}, restored as pid ${job.pid}, on to ${after()}`,
);
