// Run in a consumer project by scripts/ci-consumer.sh: a simulator round trip through the
// installed package (no native code), and the same module loaded with require() (require(esm)).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkpoint, restore, sim } from 'node-criu';

/** The text a stream has delivered so far. */
function collect(stream) {
  let text = '';
  stream.setEncoding('utf8').on('data', (chunk) => {
    text += chunk;
  });
  return () => text;
}
const lastTick = (text) => Number([...text.matchAll(/tick (\d+)/g)].at(-1)?.[1] ?? 0);

const child = sim.spawn('echo-counter', [], { stdio: 'pipe' });
const before = collect(child.stdout);
await sleep(200);
const cp = await checkpoint(child.pid, { backend: 'sim' });
const atDump = lastTick(before());
assert.ok(atDump > 0, `no tick before the checkpoint: ${JSON.stringify(before())}`);

const job = await restore(cp.imagesDir, { backend: 'sim', fds: { 0: 'pipe', 1: 'pipe', 2: 'pipe' } });
const after = collect(job.stdout);
job.stdin.write('hello\n');
while (!/echo hello at \d+/.test(after())) await sleep(20);
const answered = Number(/echo hello at (\d+)/.exec(after())?.[1]);
assert.ok(answered >= atDump, `the count restarted: ${answered} after ${atDump}`);
job.stdin.write('exit 7\n');
const exited = await job.exited;
assert.equal(exited.code, 7);
await cp.remove();

// require(esm): Node >= 20.19 and 22.12 load the ESM-only package from CommonJS (no top-level await).
const required = createRequire(import.meta.url)('node-criu');
assert.equal(typeof required.checkpoint, 'function');
console.log(
  `consumer: simulator round trip on Node ${process.version}: checkpoint at tick ${atDump}, answered at ${answered}`,
);
