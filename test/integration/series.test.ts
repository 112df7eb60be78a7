// Incremental checkpoints without kernel dirty tracking: each checkpoint of a series is made on the
// previous one (CheckpointOptions.parent) and keeps only the pages that changed; CRIU restores the
// newest from the whole chain; the chain is verified as a whole and a missing or replaced parent
// is detected.
import assert from 'node:assert/strict';
import { cpSync, existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkpoint, isCriuError, restore, spawn, verifyImages } from '../../src/index.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { fixture, killAll, scratchDir } from '../helpers/victims.js';

const skip = skipUnlessCriu;
const cleanup: number[] = [];
after(() => killAll(cleanup));

const MIB = 64;
const CHANGED_MIB = 1;

/** Bytes of the regular files in `dir` (the parent link not followed). */
const stored = (dir: string) =>
  readdirSync(dir).reduce((sum, name) => {
    const info = statSync(join(dir, name), { throwIfNoEntry: false });
    return sum + (info?.isFile() ? info.size : 0);
  }, 0);

/** A series of three: full, then two made on the previous after CHANGED_MIB changed each time. */
async function series(): Promise<{ dirs: string[]; pid: number }> {
  const root = scratchDir();
  const ready = join(root, 'ready');
  const child = spawn(fixture('series-victim'), [String(MIB), ready, String(CHANGED_MIB)], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const pid = child.pid as number;
  cleanup.push(pid);
  const lines = createInterface({ input: child.stdout as Readable })[Symbol.asyncIterator]();
  while (!existsSync(ready)) await sleep(10);
  const dirs = ['1', '2', '3'].map((n) => join(root, n));
  await checkpoint(pid, { imagesDir: dirs[0], leaveRunning: true });
  for (const [i, dir] of dirs.slice(1).entries()) {
    child.kill('SIGUSR1');
    assert.equal((await lines.next()).value, `changed ${CHANGED_MIB}`);
    const last = i === 1;
    const cp = await checkpoint(pid, { imagesDir: dir, parent: dirs[i], leaveRunning: !last });
    assert.ok(cp.parent, 'the result says what the parent saved');
    const share = cp.parent.pagesInParent / cp.parent.pagesDumped;
    assert.ok(
      share > 0.95,
      `most pages are references to the parent (${cp.parent.pagesInParent}/${cp.parent.pagesDumped})`,
    );
  }
  child.stdout?.destroy();
  return { dirs, pid };
}

test('a series stores only what changed, and the newest restores the whole memory', { skip }, async () => {
  const { dirs } = await series();
  const [full = '', second = '', newest = ''] = dirs;
  for (const dir of [second, newest]) {
    assert.ok(
      stored(dir) <= 0.05 * stored(full),
      `${dir}: ${stored(dir)} bytes against ${stored(full)} for the full one`,
    );
  }
  // Each checkpoint of the chain still verifies: none was modified by the next one.
  for (const dir of dirs) await verifyImages(dir);
  const proc = await restore(newest);
  cleanup.push(proc.pid);
  const lines = createInterface({ input: proc.stdout as Readable })[Symbol.asyncIterator]();
  proc.kill('SIGUSR2');
  assert.equal((await lines.next()).value, `ok ${MIB}`, 'every byte, changed twice or never, is as it was');
  proc.kill('SIGKILL');
  await proc.exited;
});

test('a parent that is gone, replaced or altered is detected before anything is restored', { skip }, async () => {
  const { dirs } = await series();
  const [full = '', second = '', newest = ''] = dirs;
  const refused = async (why: RegExp) =>
    assert.rejects(restore(newest), (e) => isCriuError(e, 'IMAGE_INTEGRITY') && why.test(e.message));

  renameSync(second, `${second}.moved`);
  await refused(/parent .* is missing/);
  renameSync(`${second}.moved`, second);

  // Another checkpoint in the parent's place: its manifest is not the one recorded.
  const aside = `${second}.original`;
  renameSync(second, aside);
  cpSync(full, second, { recursive: true });
  await refused(/is not the checkpoint it was made on/);
  renameSync(second, `${second}.other`);
  renameSync(aside, second);

  // A byte of the full checkpoint's page data: the chain is verified as a whole.
  const pages = readdirSync(full).find((n) => /^pages-\d+\.img$/.test(n)) as string;
  const data = readFileSync(join(full, pages));
  data.writeUInt8(data.readUInt8(data.length >> 1) ^ 0xff, data.length >> 1);
  writeFileSync(join(full, pages), data);
  await refused(new RegExp(`${pages} does not match`));
});
