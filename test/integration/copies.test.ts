// Many copies of one checkpoint: a tree in a pid namespace of its own (spawn's namespaces:
// ['pid']) restored several times at once, each copy running on its own with its own streams; a
// tree that is not is refused while its pids are taken, with advice.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { checkpoint, isCriuError, restore, spawn } from '../../src/index.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { fixture, killAll, scratchDir } from '../helpers/victims.js';

const skip = skipUnlessCriu;
const cleanup: number[] = [];
after(() => killAll(cleanup));

async function nextLine(stream: Readable, pattern: RegExp): Promise<string> {
  for await (const line of createInterface({ input: stream })) if (pattern.test(line)) return line;
  throw new Error(`the stream ended before a line matching ${pattern}`);
}

/** The pid in each pid namespace, outermost first (NSpid of /proc/PID/status). */
const nsPids = (pid: number) =>
  (readFileSync(`/proc/${pid}/status`, 'utf8').match(/^NSpid:\s*(.*)$/m)?.[1] ?? '').split(/\s+/).map(Number);

test("four concurrent restores of a namespaces: ['pid'] checkpoint are four independent copies", {
  skip,
}, async () => {
  const child = spawn(fixture('echo-counter'), [], { stdio: 'pipe', namespaces: ['pid'] });
  cleanup.push(child.pid as number);
  await nextLine(child.stdout as Readable, /^tick/);
  const cp = await checkpoint(child.pid as number, { imagesDir: join(scratchDir(), 'images') });
  const copies = await Promise.all(
    [0, 1, 2, 3].map(() => restore(cp.imagesDir, { fds: { 0: 'pipe', 1: 'pipe', 2: 'null' } })),
  );
  cleanup.push(...copies.map((c) => c.pid));
  assert.equal(new Set(copies.map((c) => c.pid)).size, 4, 'four distinct host pids');
  for (const copy of copies) assert.equal(nsPids(copy.pid).at(-1), 1, 'each copy is pid 1 of its own namespace');
  // Each copy answers on its own streams, counting on from the checkpoint.
  for (const [i, copy] of copies.entries()) {
    copy.stdin?.write(`copy ${i}\n`);
    assert.match(await nextLine(copy.stdout as Readable, /^echo copy/), new RegExp(`^echo copy ${i} at \\d+$`));
  }
  // Ending one leaves the others running.
  copies[0]?.kill('SIGKILL');
  await copies[0]?.exited;
  copies[1]?.stdin?.write('still here\n');
  assert.match(await nextLine(copies[1]?.stdout as Readable, /^echo still/), /^echo still here at \d+$/);
  for (const copy of copies.slice(1)) copy.kill('SIGKILL');
  await Promise.all(copies.map((c) => c.exited));
});

test('a checkpoint whose pids are taken is refused with PID_IN_USE, saying how to make it copyable', {
  skip,
}, async () => {
  const child = spawn(fixture('echo-counter'), [], { stdio: 'pipe' });
  cleanup.push(child.pid as number);
  await nextLine(child.stdout as Readable, /^tick/);
  const cp = await checkpoint(child.pid as number, { imagesDir: join(scratchDir(), 'images'), leaveRunning: true });
  await assert.rejects(restore(cp.imagesDir, { pidWaitTimeout: 200 }), (e) => {
    assert.ok(isCriuError(e, 'PID_IN_USE'), String(e));
    assert.match(e.message, /namespaces: \['pid'\]/);
    return true;
  });
});
