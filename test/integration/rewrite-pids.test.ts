// Pid changes in a rewritten copy: a checkpoint restored under new pids while the original pids are taken.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { checkpoint, isCriuError, restore } from '../../src/index.js';
import { renumberPids } from '../../src/rewrite/pid-edits.js';
import { rewriteImages } from '../../src/rewrite/rewrite.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { killAll, readCount, scratchDir, startCounter, waitForCount } from '../helpers/victims.js';

const skip = skipUnlessCriu;
const cleanup: number[] = [];
after(() => killAll(cleanup));

/** A pid no process holds, in the upper half of the range (away from where the kernel allocates now). */
function freePid(avoid: readonly number[]): number {
  const max = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  for (;;) {
    const pid = Math.floor(max / 2 + (Math.random() * max) / 2 - 1);
    if (!existsSync(`/proc/${pid}`) && !avoid.includes(pid)) return pid;
  }
}

function status(pid: number, field: string): string | undefined {
  return new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
}

function sessionAndGroup(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(fields[3]), Number(fields[2])]; // session, pgrp
}

test('a copy with renumbered pids restores while the original tree still holds its pids', { skip }, async () => {
  const dir = scratchDir();
  const victim = await startCounter(join(dir, 'count'), 1);
  const childPid = Number(readFileSync(`/proc/${victim.pid}/task/${victim.pid}/children`, 'utf8').trim());
  cleanup.push(victim.pid, childPid);
  const cp = await checkpoint(victim.pid, { imagesDir: join(dir, 'images'), leaveRunning: true });
  // The originals keep their pids but stop counting, so every count seen next is the copy's.
  process.kill(victim.pid, 'SIGSTOP');
  process.kill(childPid, 'SIGSTOP');
  await assert.rejects(restore(cp.imagesDir), (e) => isCriuError(e, 'PID_IN_USE'));

  const root = freePid([]);
  const child = freePid([root]);
  const copy = await rewriteImages(cp.imagesDir, (images) =>
    renumberPids(
      images,
      new Map([
        [victim.pid, root],
        [childPid, child],
      ]),
    ),
  );
  assert.ok(
    copy.written.every((n) => !n.startsWith('pages-')),
    'no page data rewritten',
  );
  const restored = await restore(copy.dir);
  cleanup.push(restored.pid, child);
  assert.equal(restored.pid, root);
  assert.equal(status(child, 'PPid'), String(root), 'the child is the renumbered root’s child');
  assert.deepEqual(sessionAndGroup(root), [root, root], 'the root leads its session and group under its new pid');
  assert.deepEqual(sessionAndGroup(child), [root, root]);
  // Both continue from the checkpoint's counts: the state survived the pid change.
  await waitForCount(victim.stateFile, readCount(victim.stateFile) + 10);
  await waitForCount(`${victim.stateFile}.0`, readCount(`${victim.stateFile}.0`) + 10);
  restored.kill('SIGKILL');
  await restored.exited;
});
