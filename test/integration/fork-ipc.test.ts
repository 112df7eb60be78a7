// Real CRIU: a Node child started with fork() keeps its IPC channel across checkpoint/restore.
// The channel is found at checkpoint and recorded; restore gives the process a new one that the
// handle speaks (send(), 'message', disconnect()), in both serializations, for Node 20 and 24.
import assert from 'node:assert/strict';
import { type ChildProcess, fork as plainFork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkpoint, fork, isCriuError, restore } from '../../src/index.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { nodeMajor, nodeOfMajor } from '../helpers/node-lines.js';
import { killAll, scratchDir, waitGone } from '../helpers/victims.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const worker = join(root, 'test/fixtures/ipc-worker.mjs');

const skip =
  skipUnlessCriu ||
  (process.arch === 'x64' ? false : `the provisioned Node lines are linux-x64 only (this is ${process.arch})`);
const cleanup: number[] = [];
after(() => killAll(cleanup));

type Serialization = 'json' | 'advanced';

interface State {
  count: number;
  received: number;
  token: string;
  pid: number;
  tag: string;
}

/** Anything that holds the worker's channel: the forked ChildProcess or the restored handle. */
interface Holder {
  send(message: Record<string, unknown>, callback: (error: Error | null) => void): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

/** The worker's answer tagged `tag` to `message` (other answers are let pass). */
function ask<T extends { tag: string }>(holder: Holder, message: Record<string, unknown>, tag: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer tagged ${tag} within 10 s`)), 10_000);
    const onMessage = (answer: unknown) => {
      if ((answer as { tag?: unknown })?.tag !== tag) return;
      clearTimeout(timer);
      holder.off('message', onMessage);
      resolve(answer as T);
    };
    holder.on('message', onMessage);
    holder.send({ ...message, tag }, (error: Error | null) => {
      if (error) reject(error);
    });
  });
}

/** The worker, started by node-criu's fork() (io_uring blocked) or child_process.fork(). */
function startWorker(node: string, serialization: Serialization, starter: 'fork' | 'child_process.fork') {
  const options = {
    execPath: node,
    execArgv: [],
    serialization,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'] as ('ignore' | 'ipc')[],
  };
  // A plain child needs what node-criu's fork() gives: a session of its own.
  const child = starter === 'fork' ? fork(worker, [], options) : plainFork(worker, [], { ...options, detached: true });
  assert.ok(child.pid, 'the worker started');
  cleanup.push(child.pid);
  return child;
}

/** Checkpoints the worker (after it answered once), and restores it with default options. */
async function checkpointAndRestore(child: ChildProcess, hooks?: Parameters<typeof checkpoint>[1]) {
  const pid = child.pid as number;
  const before = await ask<State>(child, { cmd: 'state' }, 'before');
  assert.equal(before.pid, pid);
  const exited = once(child, 'exit');
  const cp = await checkpoint(pid, { imagesDir: join(scratchDir(), 'images'), ...hooks });
  await exited;
  await waitGone(pid);
  const restored = await restore(cp.imagesDir);
  cleanup.push(...restored.pids);
  return { before, restored, imagesDir: cp.imagesDir };
}

/** What each serialization must carry: JSON's values, and for 'advanced' what JSON cannot. */
function sample(serialization: Serialization): unknown {
  const plain = { text: 'héllo\nworld', list: [1, 'two', { three: 3 }], nothing: null };
  if (serialization === 'json') return plain;
  return {
    ...plain,
    big: 2n ** 70n,
    map: new Map([[1, 'one']]),
    set: new Set(['a']),
    bytes: new Uint8Array([1, 2, 3]),
  };
}

const lines = [
  { name: 'Node 20', node: () => nodeOfMajor(20), major: 20 },
  { name: 'Node 24', node: () => nodeOfMajor(24), major: 24 },
];

describe('fork() IPC across checkpoint/restore', { skip }, () => {
  for (const line of lines) {
    for (const serialization of ['json', 'advanced'] as const) {
      test(`a ${line.name} worker forked with '${serialization}' answers on a new channel after restore, its state intact`, async () => {
        const node = line.node();
        assert.equal(nodeMajor(node), line.major);
        const child = startWorker(node, serialization, 'fork');
        const { before, restored, imagesDir } = await checkpointAndRestore(child);
        const manifest = JSON.parse(readFileSync(join(imagesDir, 'node-criu.json'), 'utf8'));
        assert.deepEqual(manifest.ipc, { fd: 3, serialization }, 'the channel is recorded in the manifest');

        assert.equal(restored.connected, true);
        assert.equal(restored.stdio[3], undefined, 'the channel is no stdio stream, as in ChildProcess');
        assert.ok(restored.defaultedFds.some((d) => d.fd === 3 && d.became === 'pipe'));
        const after = await ask<State>(restored, { cmd: 'state' }, 'after');
        assert.equal(after.pid, before.pid);
        assert.equal(after.token, before.token, 'the memory of the forked run');
        assert.ok(after.count > before.count, `the count went on from ${before.count} (${after.count})`);
        assert.equal(after.received, before.received + 1, 'every message was received once');

        const value = sample(serialization);
        const { echo } = await ask<{ echo: unknown; tag: string }>(restored, { cmd: 'echo', value }, 'echo');
        assert.deepEqual(echo, value, `the '${serialization}' channel carries the value both ways`);

        // Disconnecting ends the worker's channel: it exits (code 3), then 'close' follows.
        const events: string[] = [];
        restored.on('disconnect', () => events.push('disconnect'));
        restored.on('exit', (code) => events.push(`exit ${code}`));
        const closed = once(restored, 'close');
        restored.disconnect();
        assert.equal(restored.connected, false);
        await closed;
        assert.deepEqual(events.sort(), ['disconnect', 'exit 3']);
        assert.deepEqual(await restored.exited, { code: 3, signal: null });
        const error = await new Promise<Error | null>((resolve) => restored.send({ cmd: 'state' }, resolve));
        assert.ok(isCriuError(error, 'CHANNEL_CLOSED'), `CHANNEL_CLOSED after disconnect, got ${String(error)}`);
        await waitGone(restored.pid, 2000);
      });
    }
  }

  test('a worker of child_process.fork() (Node 20, which CRIU can checkpoint as is) gets its channel back too', async () => {
    const child = startWorker(nodeOfMajor(20), 'json', 'child_process.fork');
    const { before, restored } = await checkpointAndRestore(child);
    const after = await ask<State>(restored, { cmd: 'state' }, 'after');
    assert.equal(after.token, before.token);
    assert.ok(after.count > before.count);
    // A handle cannot be passed on the new channel: refused, nothing sent.
    assert.throws(
      () => restored.send({ cmd: 'state' }, {} as unknown as undefined),
      (e) => isCriuError(e, 'UNSUPPORTED') && /handle/.test(e.message),
    );
    const exit = once(restored, 'exit');
    restored.send({ cmd: 'exit', code: 5 });
    assert.deepEqual(await exit, [5, null]);
    await waitGone(restored.pid, 2000);
  });

  test('a message in flight at checkpoint (sent while the tree was frozen) is lost; the channel works on', async () => {
    const child = startWorker(nodeOfMajor(24), 'json', 'fork');
    let sentWhileFrozen = false;
    const { before, restored } = await checkpointAndRestore(child, {
      hooks: {
        // The tree is frozen here: the message waits unread in the worker's end of the channel.
        queryExtFiles: () => {
          sentWhileFrozen = child.send({ cmd: 'state', tag: 'in flight' });
          return undefined;
        },
      },
    });
    assert.equal(sentWhileFrozen, true);
    const stray: unknown[] = [];
    restored.on('message', (m) => stray.push(m));
    const after = await ask<State>(restored, { cmd: 'state' }, 'after');
    assert.equal(after.token, before.token);
    assert.equal(after.received, before.received + 1, 'the message sent while frozen never reached the worker');
    assert.deepEqual(
      stray.filter((m) => (m as State).tag === 'in flight'),
      [],
    );
    restored.kill('SIGKILL');
    await once(restored, 'close');
  });
});
