// Real CRIU, Node 22/24/26 children: node-criu's spawn() and fork() make them checkpointable
// (io_uring blocked), and a plain child_process child of Node 24 is refused with advice that says so.
import assert from 'node:assert/strict';
import { spawn as plainSpawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { checkpoint, fork, isCriuError, type RestoredProcess, restore, spawn } from '../../src/index.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { NODE_LINES, nodeMajor, nodePath, thisMajor } from '../helpers/node-lines.js';
import { alive, killAll, scratchDir, waitGone } from '../helpers/victims.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const counterScript = join(root, 'test/fixtures/node-counter.mjs');

const skip =
  skipUnlessCriu ||
  (process.arch === 'x64' ? false : `the provisioned Node lines are linux-x64 only (this is ${process.arch})`);
const node24Path = () => nodePath(24);
const cleanup: number[] = [];
after(() => killAll(cleanup));

interface State {
  count: number;
  token: string;
}

/** The counter's published record (`<count, 20 digits> <token>`), or undefined before the first. */
function readState(file: string): State | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^(\d{20}) ([0-9a-f]{8})\n$/.exec(text);
  return m?.[1] && m[2] ? { count: Number(m[1]), token: m[2] } : undefined;
}

async function waitForState(file: string, atLeast: number, timeoutMs = 15_000): Promise<State> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = readState(file);
    if (state && state.count >= atLeast) return state;
    if (Date.now() > deadline) assert.fail(`${file} stayed at ${JSON.stringify(state)}, expected count >= ${atLeast}`);
    await sleep(10);
  }
}

function ioUringFds(pid: number): number[] {
  return readdirSync(`/proc/${pid}/fd`)
    .map(Number)
    .filter((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:[io_uring]';
      } catch {
        return false;
      }
    });
}

async function restoreAndTrack(dir: string): Promise<RestoredProcess> {
  const restored = await restore(dir);
  cleanup.push(...restored.pids);
  return restored;
}

/**
 * After a restore: the same token (the memory of the checkpointed run, not a fresh start) and a
 * count that goes on from where the checkpoint left it.
 */
async function assertCarriesOn(file: string, atDump: State): Promise<void> {
  const first = await waitForState(file, 0);
  assert.equal(first.token, atDump.token, 'the restored process has the memory of the checkpointed one');
  assert.ok(first.count >= atDump.count, `the count went on from ${atDump.count}, not from zero (${first.count})`);
  const later = await waitForState(file, atDump.count + 20);
  assert.equal(later.token, atDump.token);
}

/** Checkpoints the Node child `pid` counting into `file`, restores it and checks it carries on. */
async function checkpointRestoreCounter(pid: number, file: string): Promise<RestoredProcess> {
  await waitForState(file, 5);
  assert.deepEqual(ioUringFds(pid), [], 'no io_uring in the child: the launcher blocked it');
  const cp = await checkpoint(pid, { imagesDir: join(scratchDir(), 'images') });
  assert.deepEqual(cp.pids, [pid]);
  await waitGone(pid);
  const atDump = readState(file);
  assert.ok(atDump, 'the counter published its state before the checkpoint');

  const restored = await restoreAndTrack(cp.imagesDir);
  assert.equal(restored.pid, pid, 'CRIU restores the original pid');
  await assertCarriesOn(file, atDump);
  return restored;
}

// The Node lines a child is started with: the provisioned Node 22, 24 and 26, and the Node running
// the tests (Node 20 under `npm test`, Node 24 in CI's second run: `spawn(process.execPath, ...)`).
const lines: { name: string; node: () => string }[] = [
  ...NODE_LINES.map((major) => ({ name: `Node ${major} (provisioned)`, node: () => nodePath(major) })),
  { name: `Node ${thisMajor} (process.execPath)`, node: () => process.execPath },
];

for (const line of lines) {
  test(`a ${line.name} child started with spawn() is checkpointed and restored, counting on`, { skip }, async () => {
    const node = line.node();
    const file = join(scratchDir(), 'count');
    const child = spawn(node, [counterScript, file], { stdio: 'ignore' });
    child.unref();
    const pid = child.pid as number;
    assert.ok(pid, 'the child started');
    cleanup.push(pid);
    const restored = await checkpointRestoreCounter(pid, file);
    assert.equal(restored.kill('SIGTERM'), true);
    assert.deepEqual(await restored.exited, { code: null, signal: 'SIGTERM' });
    await waitGone(restored.pid, 2000);
  });
}

test('a Node 24 child started with fork() is checkpointed and restored, answering on its IPC channel', {
  skip,
}, async () => {
  const node = node24Path();
  assert.equal(nodeMajor(node), 24);
  const file = join(scratchDir(), 'count');
  const child = fork(counterScript, [file], {
    execPath: node,
    execArgv: [],
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  });
  const pid = child.pid as number;
  assert.ok(pid, 'the child started');
  cleanup.push(pid);
  const exited = once(child, 'exit');
  const reply = once(child, 'message');
  child.send({ cmd: 'count' });
  const [before] = (await reply) as [{ count: number; token: string; pid: number }];
  assert.equal(before.pid, pid, 'fork() hands back the Node process itself');

  // The IPC socketpair's other end is ours (outside the tree): left out at checkpoint, and by
  // default a new socketpair at restore, spoken by the handle (fork-ipc.test.ts tests it in depth).
  const restored = await checkpointRestoreCounter(pid, file);
  await exited;
  assert.equal(child.connected, false);
  assert.ok(
    restored.defaultedFds.some((d) => d.fd === 3 && d.became === 'pipe'),
    `the IPC fd 3 got a new channel by default (${JSON.stringify(restored.defaultedFds)})`,
  );
  assert.equal(restored.connected, true, 'the restored handle holds the new channel');

  const answer = once(restored, 'message');
  restored.send({ cmd: 'count' });
  const [after] = (await answer) as [{ count: number; token: string; pid: number }];
  assert.equal(after.pid, pid);
  assert.equal(after.token, before.token, 'the restored child has the memory of the forked one');
  assert.ok(after.count > before.count, `the count went on from ${before.count} (${after.count})`);

  restored.send({ cmd: 'exit', code: 5 });
  assert.deepEqual(await restored.exited, { code: 5, signal: null });
  await waitGone(restored.pid, 2000);
});

test('a plain child_process child of Node 24 is refused as UNSUPPORTED with advice, and runs on', {
  skip,
}, async () => {
  const node = node24Path();
  const file = join(scratchDir(), 'count');
  const child = plainSpawn(node, [counterScript, file], { detached: true, stdio: 'ignore' });
  child.unref();
  const pid = child.pid as number;
  assert.ok(pid, 'the child started');
  cleanup.push(pid);
  await waitForState(file, 5);
  const rings = ioUringFds(pid);
  assert.ok(rings.length > 0, 'Node 24 holds io_uring fds when started by child_process');

  const dir = join(scratchDir(), 'images');
  await assert.rejects(checkpoint(pid, { imagesDir: dir }), (e) => {
    assert.ok(isCriuError(e, 'UNSUPPORTED'), `UNSUPPORTED expected, got ${String(e)}`);
    assert.equal(e.pid, pid);
    assert.match(e.message, /io_uring/);
    assert.match(e.message, /node-criu's spawn\(\) or fork\(\)/);
    assert.match(e.message, /kernel\.io_uring_disabled/);
    // UV_USE_IO_URING=0 does not remove the rings (libuv >= 1.50): never offered.
    assert.doesNotMatch(e.message, /UV_USE_IO_URING/);
    return true;
  });
  assert.ok(alive(pid), 'the child runs on');
  const now = readState(file)?.count ?? 0;
  await waitForState(file, now + 10);
  child.kill('SIGKILL');
  await waitGone(pid);
});
