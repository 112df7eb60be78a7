// fd preservation and substitution with real CRIU: a stdio: 'pipe' child restored on new streams.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  closeSync,
  createWriteStream,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { checkpoint, isCriuError, restore, spawn, verifyImages } from '../../src/index.js';
import { loadNative } from '../../src/native.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { alive, fixture, killAll, readCount, scratchDir, waitForCount, waitGone } from '../helpers/victims.js';

const skip = skipUnlessCriu;
const cleanup: number[] = [];
after(() => killAll(cleanup));

/** Resolves with the first line of `stream` matching `re` (with its capture groups). */
function nextMatch(stream: Readable, re: RegExp, timeoutMs = 5000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(
      () => done(new Error(`no line matching ${re} in ${timeoutMs} ms; got ${buffer.slice(-200)}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const line of buffer.split('\n')) {
        const m = re.exec(line);
        if (m) return done(undefined, m);
      }
    };
    const done = (error?: Error, m?: RegExpExecArray) => {
      clearTimeout(timer);
      stream.off('data', onData);
      if (error) reject(error);
      else resolve(m as RegExpExecArray);
    };
    stream.on('data', onData);
  });
}

test("a stdio: 'pipe' child is checkpointed and restored wired to new streams", { skip }, async () => {
  const child = spawn(fixture('echo-counter'), [], { stdio: 'pipe' });
  const pid = child.pid as number;
  cleanup.push(pid);
  await nextMatch(child.stdout as Readable, /^tick (\d+)$/);

  const cp = await checkpoint(pid, { imagesDir: join(scratchDir(), 'images') });
  // Node's stdio pipes are socketpairs whose other ends we hold: detected and left out.
  const stdio = cp.fds.filter((e) => e.pid === pid && e.fd <= 2);
  assert.deepEqual(
    stdio.map((e) => [e.fd, e.type, e.leftOut, e.peer?.inTree]),
    [
      [0, 'unix', true, false],
      [1, 'unix', true, false],
      [2, 'unix', true, false],
    ],
  );
  await waitGone(pid);

  const restored = await restore(cp.imagesDir, { fds: { 0: 'pipe', 1: 'pipe', 2: 'null' } });
  assert.ok(restored.stdin && restored.stdout);
  assert.equal(restored.stderr, undefined);
  const [, tick] = await nextMatch(restored.stdout, /^tick (\d+)$/);
  assert.ok(Number(tick) > 1, 'ticks continue from the checkpointed count');
  restored.stdin.write('hello\n');
  const [, at] = await nextMatch(restored.stdout, /^echo hello at (\d+)$/);
  assert.ok(Number(at) >= Number(tick));
  restored.kill('SIGKILL');
  assert.equal((await restored.exited).signal, 'SIGKILL');
  restored.stdin.destroy();
  restored.stdout.destroy();
});

test('real pipes to a parent outside the tree are left out and substituted by new pipes', { skip }, async () => {
  const native = loadNative();
  const [inRead, inWrite] = native.pipePair();
  const [outRead, outWrite] = native.pipePair();
  const child = spawn(fixture('echo-counter'), [], { stdio: [inRead, outWrite, 'ignore'] });
  const pid = child.pid as number;
  cleanup.push(pid);
  closeSync(inRead);
  closeSync(outWrite);
  const cp = await checkpoint(pid, { imagesDir: join(scratchDir(), 'images') });
  const [stdin, stdout] = [0, 1].map((fd) => cp.fds.find((e) => e.pid === pid && e.fd === fd));
  assert.equal(stdin?.type, 'pipe');
  assert.equal(stdin?.access, 'r');
  assert.equal(stdout?.access, 'w');
  assert.ok(stdin?.leftOut && stdout?.leftOut);
  closeSync(inWrite);
  closeSync(outRead);
  await waitGone(pid);

  const restored = await restore(cp.imagesDir, { fds: { 0: 'pipe', 1: 'pipe' } });
  assert.ok(restored.stdin && restored.stdout);
  restored.stdin.write('over a pipe\n');
  await nextMatch(restored.stdout, /^echo over a pipe at \d+$/);
  restored.kill('SIGKILL');
  await restored.exited;
  restored.stdin.destroy();
  restored.stdout.destroy();
});

test('substitution mistakes fail before anything is restored, and the images stay valid', { skip }, async () => {
  const child = spawn(fixture('echo-counter'), [], { stdio: 'pipe' });
  const pid = child.pid as number;
  cleanup.push(pid);
  await nextMatch(child.stdout as Readable, /^tick/);
  const dir = scratchDir();
  // fd 2 left out by advice: a restore must substitute it (the others get defaults if not named).
  const cp = await checkpoint(pid, { imagesDir: join(dir, 'images'), leaveOut: [2] });
  await waitGone(pid);
  const manifestBefore = readFileSync(join(cp.imagesDir, 'node-criu.json'), 'utf8');

  const refused = async (fds: Parameters<typeof restore>[1], why: RegExp) => {
    await assert.rejects(restore(cp.imagesDir, fds), (e) => {
      assert.ok(isCriuError(e, 'INVALID_SUBSTITUTION'), String(e));
      assert.match(e.message, why);
      return true;
    });
    assert.equal(alive(pid), false, 'nothing was restored');
  };
  // An advised left-out fd without a substitute.
  await refused({ fds: { 0: 'pipe', 1: 'pipe' } }, /left out .* by its leaveOut advice .* fd 2 of pid/);
  // An fd the process did not have.
  await refused({ fds: { 0: 'pipe', 1: 'pipe', 2: 'null', 7: 'null' } }, /had no fd 7 at checkpoint/);
  // A substitute that cannot serve: the process reads fd 0... its socket is 'rw', so give a write-only fd.
  const writeOnly = openSync(join(dir, 'w-only'), 'w');
  await refused({ fds: { 0: writeOnly, 1: 'pipe', 2: 'null' } }, /opened 'rw' but its substitute .* is 'w'/);
  closeSync(writeOnly);
  // A pid that is not part of the checkpoint.
  await refused({ fds: { 0: 'pipe', 1: 'pipe', 2: 'null', 1234567: { 1: 'null' } } as never }, /neither a substitute/);

  assert.equal(readFileSync(join(cp.imagesDir, 'node-criu.json'), 'utf8'), manifestBefore);
  await verifyImages(cp.imagesDir);
});

test('the fd table of a tree of 3 processes matches /proc exactly', { skip }, async () => {
  // bash, with `sleep` and `cat` joined by a pipe: the pipe's ends are both inside the tree.
  const child = spawn('bash', ['-c', 'sleep 1000 | cat; exit 0'], { stdio: 'ignore' });
  const pid = child.pid as number;
  let pids: number[] = [];
  for (let i = 0; i < 200 && pids.length < 3; i++) {
    await new Promise((r) => setTimeout(r, 10));
    pids = [pid, ...readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number)];
  }
  cleanup.push(...pids);
  const cp = await checkpoint(pid, { imagesDir: join(scratchDir(), 'images'), leaveRunning: true });
  assert.deepEqual([...cp.pids].sort(), [...pids].sort());
  for (const p of pids) {
    const fromProc = readdirSync(`/proc/${p}/fd`)
      .map(Number)
      .sort((a, b) => a - b)
      .map((fd) => [fd, readlinkSync(`/proc/${p}/fd/${fd}`)]);
    const fromTable = cp.fds.filter((e) => e.pid === p).map((e) => [e.fd, e.target]);
    assert.deepEqual(fromTable, fromProc, `fds of pid ${p}`);
  }
  const pipe = cp.fds.filter((e) => e.type === 'pipe');
  assert.equal(pipe.length, 2, 'one pipe, two ends');
  assert.ok(
    pipe.every((e) => e.peer?.inTree && !e.leftOut),
    'a pipe inside the tree is dumped, not left out',
  );
  assert.deepEqual(pipe.map((e) => e.access).sort(), ['r', 'w']);
  for (const e of cp.fds.filter((f) => f.fd <= 2 && f.type !== 'pipe')) {
    assert.equal(e.path, '/dev/null');
    assert.match(e.key, /^dev\/null$/);
  }
  killAll(pids);
});

test('a terminal whose master was outside is restored on a new pty, its master exposed as a stream', {
  skip,
}, async () => {
  const pty = loadNative().openPty();
  const child = spawn(fixture('echo-counter'), [], { stdio: [pty.slave, pty.slave, pty.slave] });
  const pid = child.pid as number;
  cleanup.push(pid);
  closeSync(pty.slave);
  const cp = await checkpoint(pid, { imagesDir: join(scratchDir(), 'images') });
  const stdio = cp.fds.filter((e) => e.pid === pid && e.fd <= 2);
  assert.deepEqual(
    stdio.map((e) => [e.type, e.path, e.leftOut]),
    [0, 1, 2].map(() => ['tty', pty.path, true]),
  );
  assert.match(stdio[0]?.key ?? '', /^tty\[[0-9a-f]+:[0-9a-f]+\]$/);
  closeSync(pty.master);
  await waitGone(pid);

  const restored = await restore(cp.imagesDir, { fds: { 0: 'pipe', 1: 'pipe', 2: 'pipe' } });
  const terminal = restored.stdout;
  assert.ok(terminal && restored.stdin === terminal, 'one pty serves the three fds');
  const ttyPath = readlinkSync(`/proc/${restored.pid}/fd/0`);
  assert.match(ttyPath, /^\/dev\/pts\/\d+$/, 'the restored process has a terminal again');
  terminal.write('typed\n');
  await nextMatch(terminal, /^echo typed at \d+\r?$/);
  restored.kill('SIGKILL');
  await restored.exited;
  terminal.destroy();
});

/** Waits until `file` holds a "tick N" line, and returns the largest N. */
async function ticksIn(file: string, timeoutMs = 5000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const ticks = [...text.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
    if (ticks.length > 0) return Math.max(...ticks);
    if (Date.now() > deadline) assert.fail(`no tick in ${file}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function startKinds(...objects: string[]): Promise<{ pid: number }> {
  const child = spawn(fixture('fd-kinds'), objects, { stdio: 'ignore' });
  const pid = child.pid as number;
  cleanup.push(pid);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(alive(pid), 'fd-kinds started');
  return { pid };
}

test('a regular file is substituted by another path; the process writes there', { skip }, async () => {
  const dir = scratchDir();
  const { pid } = await startKinds(`file:${join(dir, 'log')}`);
  const cp = await checkpoint(pid, { imagesDir: join(dir, 'images') });
  const entry = cp.fds.find((e) => e.pid === pid && e.fd === 3);
  assert.deepEqual([entry?.type, entry?.access, entry?.append, entry?.leftOut], ['file', 'w', true, false]);
  assert.equal(entry?.key, join(dir, 'log').slice(1));
  await waitGone(pid);
  const restored = await restore(cp.imagesDir, { fds: { 3: { path: join(dir, 'other') } } });
  assert.ok((await ticksIn(join(dir, 'other'))) > 1, 'ticks continue into the substitute');
  restored.kill('SIGKILL');
  await restored.exited;
});

test('a left-out (external) file is substituted, its permission bits relaxed with skipFileRwxCheck', {
  skip,
}, async () => {
  const dir = scratchDir();
  const { pid } = await startKinds(`file:${join(dir, 'log')}`);
  const cp = await checkpoint(pid, { imagesDir: join(dir, 'images'), leaveOut: [3] });
  const entry = cp.fds.find((e) => e.pid === pid && e.fd === 3);
  assert.equal(entry?.leftOut, true);
  assert.match(entry?.key ?? '', /^file\[[0-9a-f]+:[0-9a-f]+\]$/);
  await waitGone(pid);
  // The substitute is created 0600; the original was 0644.
  const restored = await restore(cp.imagesDir, { fds: { 3: { path: join(dir, 'new-log') } }, skipFileRwxCheck: true });
  assert.ok((await ticksIn(join(dir, 'new-log'))) > 1);
  restored.kill('SIGKILL');
  await restored.exited;
});

test('a left-out FIFO is substituted by a new pipe whose reading end is a stream', { skip }, async () => {
  const dir = scratchDir();
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const { pid } = await startKinds(`fifo:${fifo}`);
  const cp = await checkpoint(pid, { imagesDir: join(dir, 'images'), leaveOut: [3] });
  const entry = cp.fds.find((e) => e.pid === pid && e.fd === 3);
  assert.deepEqual([entry?.type, entry?.leftOut], ['fifo', true]);
  await waitGone(pid);
  const restored = await restore(cp.imagesDir, { fds: { 3: 'pipe' } });
  const stream = restored.stdio[3];
  assert.ok(stream);
  await nextMatch(stream, /^tick \d+$/);
  restored.kill('SIGKILL');
  await restored.exited;
  stream.destroy();
});

test('a memfd is substituted by a file', { skip }, async () => {
  const dir = scratchDir();
  const { pid } = await startKinds('memfd:state');
  const cp = await checkpoint(pid, { imagesDir: join(dir, 'images') });
  const entry = cp.fds.find((e) => e.pid === pid && e.fd === 3);
  assert.deepEqual([entry?.type, entry?.key], ['memfd', '/memfd:state']);
  await waitGone(pid);
  const restored = await restore(cp.imagesDir, { fds: { 3: { path: join(dir, 'state') } } });
  assert.ok((await ticksIn(join(dir, 'state'))) > 1);
  restored.kill('SIGKILL');
  await restored.exited;
});

for (const kind of ['shm', 'map'] as const) {
  test(`a left-out ${kind === 'shm' ? 'POSIX shm' : 'mapped file'} mapping is substituted by a file of the same size`, {
    skip,
  }, async () => {
    const dir = scratchDir();
    const name = `node-criu-test-${process.pid}-${kind}`;
    const original = kind === 'shm' ? `/dev/shm/${name}` : join(dir, 'mapped');
    if (kind === 'map') writeFileSync(original, Buffer.alloc(4096));
    const { pid } = await startKinds(kind === 'shm' ? `shm:/${name}` : `map:${original}`);
    try {
      await ticksIn(original);
      const cp = await checkpoint(pid, { imagesDir: join(dir, 'images'), leaveOutMappings: [original] });
      const mapping = cp.mappings.find((m) => m.path === original);
      assert.deepEqual([mapping?.leftOut, mapping?.access, mapping?.size], [true, 'rw', 4096]);
      assert.match(mapping?.key ?? '', /^file\[[0-9a-f]+:[0-9a-f]+\]$/);
      await waitGone(pid);

      const wrongSize = join(dir, 'small');
      writeFileSync(wrongSize, Buffer.alloc(100));
      await assert.rejects(
        restore(cp.imagesDir, { mappings: { [original]: wrongSize } }),
        (e) => isCriuError(e, 'INVALID_SUBSTITUTION') && /has 100 bytes; it must have the dumped 4096/.test(e.message),
      );
      await assert.rejects(
        restore(cp.imagesDir),
        (e) => isCriuError(e, 'INVALID_SUBSTITUTION') && e.message.includes(original),
      );

      const substitute = join(dir, 'substitute');
      writeFileSync(substitute, Buffer.alloc(4096));
      chmodSync(substitute, 0o604);
      await assert.rejects(
        restore(cp.imagesDir, { mappings: { [original]: substitute } }),
        (e) => isCriuError(e, 'INVALID_SUBSTITUTION') && /has mode 604, the original/.test(e.message),
      );
      chmodSync(substitute, (mapping?.mode ?? 0) & 0o777);
      const restored = await restore(cp.imagesDir, { mappings: { [original]: substitute } });
      assert.ok((await ticksIn(substitute)) > 1, 'the restored process writes into the substitute');
      restored.kill('SIGKILL');
      await restored.exited;
    } finally {
      rmSync(original, { force: true });
    }
  });
}

test('data unread in a pipe at checkpoint is replayed into the new pipe (and not with replayPipeData: false)', {
  skip,
}, async () => {
  const dir = scratchDir();
  const go = join(dir, 'go');
  const [inRead, inWrite] = loadNative().pipePair();
  const child = spawn(fixture('echo-counter'), [go], { stdio: [inRead, 'ignore', 'ignore'] });
  const pid = child.pid as number;
  cleanup.push(pid);
  closeSync(inRead);
  writeSync(inWrite, 'buffered\n'); // the process does not read it before `go` exists
  const cp = await checkpoint(pid, { imagesDir: join(dir, 'images') });
  closeSync(inWrite);
  await waitGone(pid);
  writeFileSync(go, '');

  for (const replay of [true, false]) {
    const restored = await restore(cp.imagesDir, { fds: { 0: 'pipe', 1: 'pipe' }, replayPipeData: replay });
    assert.ok(restored.stdin && restored.stdout);
    restored.stdin.write('typed later\n');
    const [line] = await nextMatch(restored.stdout, /^echo .* at \d+$/);
    assert.match(line, replay ? /^echo buffered at/ : /^echo typed later at/, `replayPipeData: ${replay}`);
    restored.kill('SIGKILL');
    await restored.exited;
    restored.stdin.destroy();
    restored.stdout.destroy();
    await waitGone(pid);
  }
});

test('an fd number and a Node stream with an fd are accepted as substitutes', { skip }, async () => {
  const dir = scratchDir();
  const { pid } = await startKinds(`file:${join(dir, 'a')}`, `file:${join(dir, 'b')}`);
  const cp = await checkpoint(pid, { imagesDir: join(dir, 'images') });
  await waitGone(pid);
  const byNumber = openSync(join(dir, 'by-number'), 'a');
  const stream = createWriteStream(join(dir, 'by-stream'), { flags: 'a' });
  await once(stream, 'open');
  const restored = await restore(cp.imagesDir, { fds: { 3: byNumber, 4: stream } });
  assert.ok((await ticksIn(join(dir, 'by-number'))) > 1);
  assert.ok((await ticksIn(join(dir, 'by-stream'))) > 1);
  restored.kill('SIGKILL');
  await restored.exited;
  closeSync(byNumber);
  stream.destroy();
});

test('a process holding an io_uring fd is refused before anything is dumped, naming the fd', { skip }, async () => {
  // Started without the launcher's io_uring block, which would stop it from making its ring.
  const child = spawn(fixture('uring-holder'), [], { stdio: 'ignore', blockIoUring: false });
  const pid = child.pid as number;
  cleanup.push(pid);
  let uringFd: number | undefined;
  for (let i = 0; i < 100 && uringFd === undefined; i++) {
    await new Promise((r) => setTimeout(r, 10));
    uringFd = readdirSync(`/proc/${pid}/fd`)
      .map(Number)
      .find((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:[io_uring]');
  }
  assert.ok(uringFd !== undefined, 'the fixture holds an io_uring fd');
  const dir = join(scratchDir(), 'images');
  await assert.rejects(checkpoint(pid, { imagesDir: dir, leaveRunning: true }), (e) => {
    assert.ok(isCriuError(e, 'UNSUPPORTED'));
    assert.match(e.message, new RegExp(`io_uring instance at fd ${uringFd}`));
    return true;
  });
  assert.ok(alive(pid), 'the process runs on');
  // Refused at CRIU's first question, with the tree frozen: CRIU rolled back, no image was kept,
  // and the dir is marked as the incomplete checkpoint it is.
  assert.deepEqual(readdirSync(dir).sort(), ['dump.log', 'node-criu.incomplete']);
});

test('no fds option: stdio the root shares with its child (inherited) becomes one new pipe each, for both', {
  skip,
}, async () => {
  const dir = scratchDir();
  const stateFile = join(dir, 'count');
  const child = spawn(fixture('counter'), [stateFile, '1'], { stdio: 'pipe' });
  const pid = child.pid as number;
  cleanup.push(pid);
  await waitForCount(`${stateFile}.0`, 1);
  const cp = await checkpoint(pid, { imagesDir: join(dir, 'images') });
  assert.equal(cp.pids.length, 2);
  const [, helper] = cp.pids;
  cleanup.push(helper as number);
  await waitGone(pid);
  const restored = await restore(cp.imagesDir);
  cleanup.push(...restored.pids);
  const became = restored.defaultedFds.map((d) => `${d.root ? 'root' : 'child'} ${d.fd} ${d.became}`).sort();
  assert.deepEqual(became, [
    'child 0 pipe',
    'child 1 pipe',
    'child 2 pipe',
    'root 0 pipe',
    'root 1 pipe',
    'root 2 pipe',
  ]);
  await waitForCount(`${stateFile}.0`, readCount(`${stateFile}.0`) + 10);
  restored.kill('SIGKILL');
  await restored.exited;
});
