// spawn() through the launcher: what the child gets (and does not), with nothing changed in the parent.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { checkpoint, restore, spawn } from '../../src/index.js';
import { loadNative } from '../../src/native.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { alive, fixture, killAll, readCount, scratchDir, waitForCount, waitGone } from '../helpers/victims.js';

const skip = skipUnlessCriu;

/** Resolves with the next line of `stream` matching `pattern`. */
async function nextLine(stream: Readable, pattern: RegExp): Promise<string> {
  for await (const line of createInterface({ input: stream })) if (pattern.test(line)) return line;
  throw new Error(`the stream ended before a line matching ${pattern}`);
}
const cleanup: number[] = [];
after(() => killAll(cleanup));

const fdsOf = (pid: number) =>
  readdirSync(`/proc/${pid}/fd`)
    .map(Number)
    .sort((a, b) => a - b);
/** The pid in each pid namespace, outermost first (NSpid of /proc/PID/status). */
const nsPids = (pid: number) =>
  (readFileSync(`/proc/${pid}/status`, 'utf8').match(/^NSpid:\s*(.*)$/m)?.[1] ?? '').split(/\s+/).map(Number);

test('a stray fd of ours (no close-on-exec) stays out of the child, and keeps its flags here', async () => {
  const native = loadNative();
  const strayPath = join(scratchDir(), 'stray');
  writeFileSync(strayPath, '');
  const stray = openSync(strayPath, 'r');
  native.setCloexec(stray, false);
  try {
    const stateFile = join(scratchDir(), 'count');
    const child = spawn(fixture('counter'), [stateFile, '0'], { stdio: 'ignore' });
    cleanup.push(child.pid as number);
    await waitForCount(stateFile, 1);
    // Its own fds: stdio and the state file it opened itself.
    const targets = fdsOf(child.pid as number).map((fd) => readlinkSync(`/proc/${child.pid}/fd/${fd}`));
    assert.deepEqual(targets, ['/dev/null', '/dev/null', '/dev/null', stateFile]);
    assert.equal(native.getCloexec(stray), false, "the parent's fd was not touched");
    // A session leader: CRIU needs no shellJob for it.
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
    const [, , , sid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    assert.equal(Number(sid), child.pid);
    child.kill('SIGKILL');
    await once(child, 'exit');
  } finally {
    closeSync(stray);
  }
});

test('io_uring_setup fails with ENOSYS in the child by default, and works with blockIoUring: false', async () => {
  // uring-holder exits 3 when it cannot make its ring.
  const blocked = spawn(fixture('uring-holder'), [], { stdio: 'ignore' });
  const [code] = (await once(blocked, 'exit')) as [number | null];
  assert.equal(code, 3);
  const free = spawn(fixture('uring-holder'), [], { stdio: 'ignore', blockIoUring: false });
  cleanup.push(free.pid as number);
  const deadline = Date.now() + 5000;
  const hasRing = () =>
    readdirSync(`/proc/${free.pid}/fd`).some((fd) => {
      try {
        return readFileSync(`/proc/${free.pid}/fdinfo/${fd}`, 'utf8').includes('SqMask');
      } catch {
        return false;
      }
    });
  while (!hasRing()) {
    assert.ok(Date.now() < deadline, 'the unblocked child made its ring');
    await new Promise((r) => setTimeout(r, 10));
  }
  free.kill('SIGKILL');
});

test("a command that cannot be executed emits 'error' like child_process (ENOENT, syscall, path)", async () => {
  const child = spawn('/nonexistent/program', ['x'], { stdio: 'ignore' });
  const [error] = (await once(child, 'error')) as [NodeJS.ErrnoException];
  assert.equal(error.code, 'ENOENT');
  assert.equal(error.syscall, 'spawn /nonexistent/program');
  assert.equal(error.path, '/nonexistent/program');
  assert.deepEqual(child.spawnargs, ['/nonexistent/program', 'x']);
});

test('bad launch options are TypeError/RangeError before anything starts', () => {
  assert.throws(() => spawn('true', [], { namespaces: ['net' as never] }), /may hold 'ipc' and 'pid', got "net"/);
  assert.throws(() => spawn('true', [], { blockIoUring: 'yes' as never }), TypeError);
  assert.throws(() => spawn('true', [], { shell: true }), TypeError);
});

test("namespaces: ['pid']: the command is pid 1 inside; checkpoint(child.pid) takes it, and it restores", {
  skip,
}, async () => {
  const dir = scratchDir();
  const stateFile = join(dir, 'count');
  const child = spawn(fixture('counter'), [stateFile, '0'], { stdio: 'ignore', namespaces: ['pid'] });
  cleanup.push(child.pid as number);
  await waitForCount(stateFile, 1);
  const [command] = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ');
  cleanup.push(Number(command));
  assert.deepEqual(nsPids(Number(command)), [Number(command), 1], 'pid 1 in its namespace');
  const exited = once(child, 'exit');
  const cp = await checkpoint(child.pid as number, { imagesDir: join(dir, 'images') });
  // The images hold the tree as its namespace sees it.
  assert.deepEqual(cp.pids, [1]);
  // The launcher exits the way the command did (killed after the dump).
  const [, signal] = (await exited) as [number | null, string | null];
  assert.equal(signal, 'SIGKILL');
  await waitGone(Number(command));
  const atDump = readCount(stateFile);
  const restored = await restore(cp.imagesDir);
  cleanup.push(restored.pid);
  // In a new pid namespace: a host pid of its own, 1 inside, and no wait for host pid 1 to be free.
  assert.deepEqual(nsPids(restored.pid), [restored.pid, 1]);
  assert.deepEqual(restored.pids, [restored.pid]);
  await waitForCount(stateFile, atDump + 10);
  // The kernel drops a SIGTERM the init does not handle: kill() does what SIGTERM would do.
  assert.equal(restored.kill(), true);
  assert.deepEqual(await restored.exited, { code: null, signal: 'SIGTERM' });
  assert.equal(alive(restored.pid), false);
});

test("namespaces: ['pid'] with stdio 'pipe': a restore without fds gives the root's stdio new streams", {
  skip,
}, async () => {
  const child = spawn(fixture('echo-counter'), [], { stdio: 'pipe', namespaces: ['pid'] });
  cleanup.push(child.pid as number);
  await nextLine(child.stdout as Readable, /^tick/);
  const cp = await checkpoint(child.pid as number, { imagesDir: join(scratchDir(), 'images') });
  const restored = await restore(cp.imagesDir);
  cleanup.push(restored.pid);
  // The fd table names the root by the host pid it had; the defaults still find it.
  assert.deepEqual(
    restored.defaultedFds.map((d) => [d.fd, d.root, d.became]),
    [
      [0, true, 'pipe'],
      [1, true, 'pipe'],
      [2, true, 'pipe'],
    ],
  );
  restored.stdin?.write('in its namespace\n');
  await nextLine(restored.stdout as Readable, /^echo in its namespace at \d+$/);
  restored.kill('SIGKILL');
  await restored.exited;
});

test("namespaces: ['pid']: child.kill('SIGKILL') ends the command too; a signal it ignores stays ignored", async () => {
  const stateFile = join(scratchDir(), 'count');
  // SIGHUP ignored by the command (kept across exec), as under nohup.
  const child = spawn('sh', ['-c', 'trap "" HUP; exec "$0" "$@"', fixture('counter'), stateFile, '0'], {
    stdio: 'ignore',
    namespaces: ['pid'],
  });
  cleanup.push(child.pid as number);
  await waitForCount(stateFile, 1);
  const [command] = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ');
  cleanup.push(Number(command));
  child.kill('SIGHUP');
  await waitForCount(stateFile, readCount(stateFile) + 10);
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
  await waitGone(Number(command));
});

test('spawn() takes child_process.spawn argument shapes: (command, options) and (command, null, options)', async () => {
  for (const start of [() => spawn('true', { stdio: 'ignore' }), () => spawn('true', null, { stdio: 'ignore' })]) {
    const child = start();
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
    assert.deepEqual(child.spawnargs, ['true']);
  }
});

test("namespaces: ['pid']: a signal to the launcher reaches the command, and the exit is the command's", async () => {
  const stateFile = join(scratchDir(), 'count');
  const child = spawn(fixture('counter'), [stateFile, '0'], { stdio: 'ignore', namespaces: ['pid'] });
  cleanup.push(child.pid as number);
  await waitForCount(stateFile, 1);
  child.kill('SIGTERM');
  const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
  assert.deepEqual([code, signal], [null, 'SIGTERM']);
});
