// Tests the native addon through src/native.ts: SEQPACKET sockets, pidfd waits, fd flags, read
// buffers a fork leaves alone, small files read whole, errors.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setImmediate as nextImmediate, setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { pathStamp } from '../../src/integrity/file-stamp.js';
import { loadNative, type SeqpacketMessage, type SeqpacketSocket } from '../../src/native.js';
import { faultsOf, forkOnce } from '../helpers/page-faults.js';

const native = loadNative();
/** Linux's O_CLOEXEC as /proc/<pid>/fdinfo shows it (Node exports no constant for it). */
const O_CLOEXEC = 0o2000000;
/** The compiled loader, for child processes and Workers (this file runs as dist/test/unit/). */
const nativeUrl = new URL('../../src/native.js', import.meta.url).href;

/** Both ends of a fresh pair, each wrapped. */
function socketPair(): [SeqpacketSocket, SeqpacketSocket] {
  const [ours, rawFd] = native.seqpacketPair();
  return [ours, native.openSeqpacket(rawFd)];
}

function text(message: SeqpacketMessage | null): string {
  assert.ok(message, 'expected a packet, got end of stream');
  return message.data.toString('utf8');
}

/** Tracks whether a promise has settled, without swallowing its outcome. */
function track<T>(promise: Promise<T>): { settled: () => boolean } {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  return { settled: () => settled };
}

/** Runs an ES module snippet in a fresh Node process; kills it after timeoutMs. */
async function runNode(
  script: string,
  timeoutMs = 5000,
): Promise<{ code: number | null; signal: string | null; stdout: string }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
  clearTimeout(timer);
  return { code, signal, stdout };
}

/** The parent pid of a live process, from /proc/<pid>/stat (the field after the state). */
function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[1]);
}

/**
 * Starts `job` in the background of a shell that prints its pid and exits at once. The orphaned
 * job is re-parented to this process (a child subreaper), so it is our child but not one libuv
 * spawned: only a ProcessWatcher can reap it, and nothing races us for its status.
 */
async function spawnOrphan(job: string): Promise<number> {
  const shell = spawn('sh', ['-c', `${job} </dev/null >/dev/null 2>&1 & echo $!`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  shell.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  await once(shell, 'close');
  const pid = Number.parseInt(out, 10);
  assert.ok(pid > 0, `no pid printed: ${JSON.stringify(out)}`);
  assert.equal(parentOf(pid), process.pid, 'the orphan was not re-parented to us');
  return pid;
}

test('seqpacketPair gives our end wrapped and the other as a raw fd, both close-on-exec', () => {
  const [socket, rawFd] = native.seqpacketPair();
  try {
    assert.ok(socket.fd >= 0 && rawFd >= 0 && socket.fd !== rawFd);
    assert.equal(native.getCloexec(socket.fd), true);
    assert.equal(native.getCloexec(rawFd), true);
  } finally {
    socket.close();
    closeSync(rawFd);
  }
});

/**
 * A 1 MiB packet needs a send buffer above 1 MiB: seqpacketPair gets one with CAP_NET_ADMIN
 * (root) or when net.core.wmem_max allows it (the kernel doubles the request).
 */
function bigPacketsFit(): boolean {
  if (process.getuid?.() === 0) return true;
  const wmemMax = Number(readFileSync('/proc/sys/net/core/wmem_max', 'utf8'));
  return 2 * wmemMax > 1024 * 1024 + 1024;
}

test('packets round-trip whole and in order: small, empty, 1 MiB', {
  skip: !bigPacketsFit() && 'send buffer capped below 1 MiB (not root, low net.core.wmem_max)',
}, async () => {
  const [a, b] = socketPair();
  try {
    const big = randomBytes(1024 * 1024);
    const pending = b.receive(); // waits before anything is sent
    await a.send(Buffer.from('hello'));
    await a.send(new Uint8Array(0));
    await a.send(big);
    assert.equal(text(await pending), 'hello');
    // An empty packet while the peer is connected is a packet, not the end of stream.
    const empty = await b.receive();
    assert.ok(empty);
    assert.equal(empty.data.length, 0);
    assert.deepEqual(empty.fds, []);
    const large = await b.receive();
    assert.ok(large);
    assert.equal(large.data.length, big.length);
    assert.ok(large.data.equals(big), 'the 1 MiB packet arrived altered');
    // And the other way round.
    await b.send(Buffer.from('pong'));
    assert.equal(text(await a.receive()), 'pong');
  } finally {
    a.close();
    b.close();
  }
});

test('concurrent receives get consecutive packets in call order', async () => {
  const [a, b] = socketPair();
  try {
    const first = b.receive();
    const second = b.receive();
    await a.send(Buffer.from('one'));
    await a.send(Buffer.from('two'));
    assert.deepEqual([text(await first), text(await second)], ['one', 'two']);
  } finally {
    a.close();
    b.close();
  }
});

test('fds sent with a packet arrive close-on-exec and refer to the same open file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'node-criu-native-'));
  const [a, b] = socketPair();
  try {
    const path = join(dir, 'payload.txt');
    writeFileSync(path, 'carried through SCM_RIGHTS');
    const fd = openSync(path, 'r');
    const sent = a.send(Buffer.from('file'), [fd]);
    closeSync(fd); // the packet holds its own reference from here on
    await sent;
    const message = await b.receive();
    assert.equal(text(message), 'file');
    assert.ok(message);
    assert.equal(message.fds.length, 1);
    const [received] = message.fds;
    assert.ok(received !== undefined);
    assert.equal(native.getCloexec(received), true);
    const buffer = Buffer.alloc(64);
    const n = readSync(received, buffer, 0, buffer.length, 0);
    assert.equal(buffer.subarray(0, n).toString(), 'carried through SCM_RIGHTS');
    closeSync(received);
  } finally {
    a.close();
    b.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('64 fds in one packet all arrive', async () => {
  const [a, b] = socketPair();
  const fd = openSync('/dev/null', 'r');
  try {
    await a.send(
      Buffer.from('many'),
      Array.from({ length: 64 }, () => fd),
    );
    const message = await b.receive();
    assert.ok(message);
    assert.equal(message.fds.length, 64);
    assert.equal(new Set(message.fds).size, 64, 'each fd should be a distinct descriptor');
    for (const received of message.fds) closeSync(received);
  } finally {
    closeSync(fd);
    a.close();
    b.close();
  }
});

test('receive resolves null once the peer closed, after the packets it sent', async () => {
  const [a, b] = socketPair();
  try {
    await b.send(Buffer.from('last words'));
    await b.send(Buffer.from('really last'));
    b.close();
    assert.equal(text(await a.receive()), 'last words');
    assert.equal(text(await a.receive()), 'really last');
    assert.equal(await a.receive(), null);
    assert.equal(await a.receive(), null, 'end of stream is sticky');
  } finally {
    a.close();
  }
});

test('a pending receive resolves null when the peer closes', async () => {
  const [a, b] = socketPair();
  try {
    const pending = a.receive();
    await sleep(10);
    b.close();
    assert.equal(await pending, null);
  } finally {
    a.close();
  }
});

test('a peer closing with our packets unread (POLLERR, ECONNRESET) is still a clean end of stream', async () => {
  const [a, b] = socketPair();
  try {
    await a.send(Buffer.from('never read'));
    const pending = a.receive();
    await sleep(10);
    // b's queue is not empty, so the kernel flags a with ECONNRESET: epoll reports POLLERR, which
    // libuv turns into a UV_EBADF status. The socket error must be cleared, not spun on.
    b.close();
    assert.equal(await pending, null);
    await assert.rejects(a.send(Buffer.from('x')), { code: 'EPIPE' });
  } finally {
    a.close();
  }
});

test('a peer that answers and closes with our packet unread: its answer is read first, then the end', async () => {
  const [a, b] = socketPair();
  try {
    // As CRIU does when a dump fails with one of our answers sent ahead and never read: its
    // failure response, then its exit. The kernel reports ECONNRESET before the queued answer.
    await a.send(Buffer.from('sent ahead, never read'));
    await b.send(Buffer.from('the answer'));
    b.close();
    assert.equal(text(await a.receive()), 'the answer');
    assert.equal(await a.receive(), null);
  } finally {
    a.close();
  }
});

test('close() rejects a pending receive with ECANCELED, and is idempotent', async () => {
  const [a, b] = socketPair();
  try {
    const pending = a.receive();
    a.close();
    await assert.rejects(pending, {
      code: 'ECANCELED',
      syscall: 'recvmsg',
      errno: -constants.errno.ECANCELED,
    });
    assert.doesNotThrow(() => a.close());
    assert.equal(a.fd, -1);
    await assert.rejects(a.receive(), { code: 'ECANCELED' });
    await assert.rejects(a.send(Buffer.from('x')), { code: 'ECANCELED', syscall: 'sendmsg' });
  } finally {
    b.close();
  }
});

test('the event loop keeps turning while a receive waits', async () => {
  const [a, b] = socketPair();
  try {
    const pending = b.receive();
    const state = track(pending);
    let immediates = 0;
    for (let i = 0; i < 3; i++) {
      await nextImmediate();
      immediates++;
    }
    await sleep(20);
    assert.equal(immediates, 3);
    assert.equal(state.settled(), false);
    await a.send(Buffer.from('finally'));
    assert.equal(text(await pending), 'finally');
  } finally {
    a.close();
    b.close();
  }
});

test('a receive settled by a poll wakeup resumes its awaiter in that same loop iteration', async () => {
  const [a, b] = socketPair();
  try {
    let resumed = false;
    const pending = b.receive().then(() => {
      resumed = true;
    });
    // In one loop iteration: this timer queues the packet and an immediate; the poll phase then
    // sees the socket readable and settles the receive (its callback scope runs the microtasks);
    // the check phase runs the immediate, by which time the continuation must have run.
    const resumedBeforeImmediate = await new Promise<boolean>((resolve) => {
      setTimeout(() => {
        void a.send(Buffer.from('wake'));
        setImmediate(() => resolve(resumed));
      }, 5);
    });
    assert.equal(resumedBeforeImmediate, true);
    await pending;
  } finally {
    a.close();
    b.close();
  }
});

test('sends wait for room when the send buffer is full; close() cancels the waiting ones', async () => {
  const [a, b] = socketPair();
  try {
    const packet = (i: number) => Buffer.alloc(256 * 1024, i);
    const count = 64; // 16 MiB: more than any send buffer we get
    const sends = Array.from({ length: count }, (_, i) => a.send(packet(i)));
    const states = sends.map(track);
    await nextImmediate();
    const waiting = states.filter((s) => !s.settled()).length;
    assert.ok(waiting > 0, 'expected some sends to wait for buffer space');
    for (let i = 0; i < count; i++) {
      const message = await b.receive();
      assert.ok(message);
      assert.equal(message.data.length, 256 * 1024);
      assert.equal(message.data[0], i % 256, 'packets must keep their order');
    }
    await Promise.all(sends);

    const more = Array.from({ length: count }, (_, i) => a.send(packet(i)));
    const outcomes = Promise.allSettled(more);
    await nextImmediate();
    a.close();
    const results = await outcomes;
    const canceled = results.filter((r) => r.status === 'rejected');
    assert.ok(canceled.length > 0);
    for (const r of canceled) assert.equal((r.reason as NodeJS.ErrnoException).code, 'ECANCELED');
  } finally {
    a.close();
    b.close();
  }
});

test('send failures reject with Node-style system errors', async () => {
  const [a, b] = socketPair();
  try {
    await assert.rejects(a.send(Buffer.from('x'), [999_999]), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'EBADF');
      assert.equal(error.errno, -constants.errno.EBADF);
      assert.equal(error.syscall, 'sendmsg');
      assert.match(error.message, /^sendmsg EBADF \(Bad file descriptor\)/);
      return true;
    });
    b.close();
    await assert.rejects(a.send(Buffer.from('anyone?')), {
      code: 'EPIPE',
      errno: -constants.errno.EPIPE,
      syscall: 'sendmsg',
      message: 'sendmsg EPIPE (Broken pipe)',
    });
    await assert.rejects(a.send('not bytes' as unknown as Uint8Array), { name: 'TypeError' });
  } finally {
    a.close();
    b.close();
  }
});

test('the raw end works in a child that got it through the stdio array', async () => {
  const [ours, rawFd] = native.seqpacketPair();
  try {
    const script = `
      import { loadNative } from ${JSON.stringify(nativeUrl)};
      const socket = loadNative().openSeqpacket(3);
      const message = await socket.receive();
      await socket.send(Buffer.from(message.data.toString().toUpperCase()));
      socket.close();
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'inherit', 'inherit', rawFd],
    });
    closeSync(rawFd); // the child has its copy; ours would hide the child's exit from receive()
    await ours.send(Buffer.from('ping'));
    assert.equal(text(await ours.receive()), 'PING');
    assert.equal(await ours.receive(), null, 'the child exited, closing its end');
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 0);
  } finally {
    ours.close();
  }
});

test('spawn clears close-on-exec on the raw end it maps into the child', async () => {
  // What CRIU relies on: `criu swrk 3` must find the socket open at fd 3 after exec.
  // (A Node child would not do here: Node marks inherited fds above 2 close-on-exec at startup.)
  const [ours, rawFd] = native.seqpacketPair();
  try {
    const shell = spawn('sh', ['-c', 'grep ^flags /proc/$$/fdinfo/3'], {
      stdio: ['ignore', 'pipe', 'inherit', rawFd],
    });
    const stdout = shell.stdout;
    assert.ok(stdout);
    let out = '';
    stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    await once(shell, 'close');
    const flags = Number.parseInt(out.replace(/^flags:\s*/, ''), 8);
    assert.ok(Number.isInteger(flags), `unexpected fdinfo: ${JSON.stringify(out)}`);
    assert.equal(flags & O_CLOEXEC, 0, `fd 3 in the child still has O_CLOEXEC: ${out}`);
  } finally {
    ours.close();
    closeSync(rawFd);
  }
});

test('an idle socket does not keep the process alive; a pending receive does', async () => {
  const idle = await runNode(`
    import { loadNative } from ${JSON.stringify(nativeUrl)};
    const [socket, fd] = loadNative().seqpacketPair();
    console.log('opened', socket.fd >= 0 && fd >= 0);
  `);
  assert.deepEqual([idle.code, idle.stdout.trim()], [0, 'opened true']);

  // Only the pending receive can keep this process alive until the unref'd timer fires.
  const waiting = await runNode(`
    import { closeSync } from 'node:fs';
    import { loadNative } from ${JSON.stringify(nativeUrl)};
    const [socket, fd] = loadNative().seqpacketPair();
    socket.receive().then((message) => console.log(message === null ? 'end of stream' : 'data'));
    setTimeout(() => closeSync(fd), 100).unref();
  `);
  assert.deepEqual([waiting.code, waiting.stdout.trim()], [0, 'end of stream']);
});

test('a Worker exiting with open sockets and watchers tears down cleanly', async () => {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.url).then(({ loadNative }) => {
      const native = loadNative();
      const [busy, busyFd] = native.seqpacketPair();
      busy.receive().catch(() => {});
      const [idle, idleFd] = native.seqpacketPair();
      native.watchProcess(workerData.pid);
      parentPort.postMessage([busyFd, idleFd]);
    });
  `;
  const worker = new Worker(code, { eval: true, workerData: { url: nativeUrl, pid: process.pid } });
  const [fds] = (await once(worker, 'message')) as [number[]];
  // Had a uv handle outlived the Worker's environment, closing its loop would abort the process.
  assert.equal(await worker.terminate(), 1);
  for (const fd of fds) closeSync(fd);
  // This thread's addon instance is unaffected.
  const [a, b] = socketPair();
  await a.send(Buffer.from('still here'));
  assert.equal(text(await b.receive()), 'still here');
  a.close();
  b.close();
});

test('watchProcess on a missing pid throws an ESRCH system error from pidfd_open', () => {
  // Above PID_MAX_LIMIT (2^22): no process can have it.
  assert.throws(
    () => native.watchProcess(2 ** 22 + 1),
    (error: NodeJS.ErrnoException) => {
      assert.ok(error instanceof Error);
      assert.equal(error.code, 'ESRCH');
      assert.equal(error.errno, -constants.errno.ESRCH);
      assert.equal(error.syscall, 'pidfd_open');
      assert.equal(error.message, 'pidfd_open ESRCH (No such process)');
      return true;
    },
  );
  assert.throws(() => native.watchProcess(0), { name: 'RangeError' });
});

test('an adopted orphan is reaped with its exit code, leaving no zombie', async (t) => {
  native.setChildSubreaper(true);
  t.after(() => native.setChildSubreaper(false));
  const pid = await spawnOrphan(`sh -c 'sleep 0.3; exit 3'`);
  const watcher = native.watchProcess(pid);
  assert.equal(watcher.pid, pid);
  assert.deepEqual(await watcher.exited, { code: 3, signal: null, reaped: true });
  assert.equal(existsSync(`/proc/${pid}`), false, 'the process was left as a zombie');
  watcher.close();
});

test('kill() signals through the pidfd; the exit reports the signal name', async (t) => {
  native.setChildSubreaper(true);
  t.after(() => native.setChildSubreaper(false));
  const pid = await spawnOrphan('sleep 60');
  const watcher = native.watchProcess(pid);
  try {
    assert.equal(watcher.kill(0), true, 'signal 0 probes a live process');
    assert.equal(watcher.kill(constants.signals.SIGTERM), true);
    assert.deepEqual(await watcher.exited, { code: null, signal: 'SIGTERM', reaped: true });
    assert.equal(existsSync(`/proc/${pid}`), false, 'the process was left as a zombie');
    assert.equal(watcher.kill(constants.signals.SIGTERM), false, 'gone: ESRCH is false, not an error');
  } finally {
    watcher.close();
  }
  assert.throws(() => watcher.kill(0), { code: 'EBADF', syscall: 'pidfd_send_signal' });
});

test('a process that is not our child is observed but not reaped', async () => {
  // sh stays its parent (and reaps it), so waitid on our pidfd answers ECHILD.
  const shell = spawn('sh', ['-c', 'sleep 0.5 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(shell.stdout, 'data')) as [Buffer];
  const pid = Number.parseInt(line.toString(), 10);
  assert.notEqual(parentOf(pid), process.pid);
  const watcher = native.watchProcess(pid);
  assert.deepEqual(await watcher.exited, { code: null, signal: null, reaped: false });
  watcher.close();
  await once(shell, 'close');
});

test('close() rejects a pending exited with ECANCELED', async () => {
  const watcher = native.watchProcess(process.pid);
  watcher.close();
  await assert.rejects(watcher.exited, { code: 'ECANCELED', syscall: 'waitid' });
  assert.doesNotThrow(() => watcher.close());
});

test('a ref’d watcher keeps the process alive, an unref’d one does not', async () => {
  const script = (unref: boolean) => `
    import { loadNative } from ${JSON.stringify(nativeUrl)};
    const watcher = loadNative().watchProcess(process.ppid);
    ${unref ? 'watcher.unref();' : ''}
    setTimeout(() => { console.log('still alive'); watcher.close(); }, 100).unref();
  `;
  const refd = await runNode(script(false));
  assert.deepEqual([refd.code, refd.stdout.trim()], [0, 'still alive']);
  const unrefd = await runNode(script(true));
  assert.deepEqual([unrefd.code, unrefd.stdout.trim()], [0, '']);
});

test('setCloexec and getCloexec round-trip; a bad fd is an EBADF system error', () => {
  const fd = openSync('/dev/null', 'r');
  try {
    assert.equal(native.getCloexec(fd), true, 'Node opens files close-on-exec');
    native.setCloexec(fd, false);
    assert.equal(native.getCloexec(fd), false);
    native.setCloexec(fd, false);
    assert.equal(native.getCloexec(fd), false);
    native.setCloexec(fd, true);
    assert.equal(native.getCloexec(fd), true);
  } finally {
    closeSync(fd);
  }
  assert.throws(() => native.getCloexec(999_999), {
    code: 'EBADF',
    errno: -constants.errno.EBADF,
    syscall: 'fcntl',
    message: 'fcntl EBADF (Bad file descriptor)',
  });
  assert.throws(() => native.setCloexec(-1, true), { name: 'RangeError' });
});

test('dontForkBuffer is memory a fork neither copies nor write-protects; a bad size is a RangeError', async () => {
  // 256 pages each; other threads of this process may fault meanwhile (the counts are the process's).
  const plain = Buffer.allocUnsafeSlow(1 << 20).fill(1);
  const kept = native.dontForkBuffer(1 << 20).fill(1);
  assert.equal(kept.length, 1 << 20);
  // child_process forks this process: its memory is write-protected until each page is written again.
  await forkOnce();
  const plainFaults = faultsOf(() => plain.fill(2));
  const keptFaults = faultsOf(() => kept.fill(2));
  assert.ok(plainFaults >= 200, `ordinary memory faults again after a fork (${plainFaults} faults)`);
  assert.ok(keptFaults < 50, `ours does not (${keptFaults} faults)`);
  assert.throws(() => native.dontForkBuffer(0), { code: 'ERR_OUT_OF_RANGE' });
  assert.throws(() => native.dontForkBuffer(2 ** 31), { code: 'ERR_OUT_OF_RANGE' });
});

test("readWholeFiles reads files whole into one buffer until one does not fit, with the stamps Node's lstat gives", () => {
  const dir = mkdtempSync(join(tmpdir(), 'node-criu-whole-'));
  try {
    const contents = [randomBytes(5000), Buffer.alloc(0), randomBytes(70_000), randomBytes(30_000)];
    const names = contents.map((_, i) => `f${i}.img`);
    for (const [i, name] of names.entries()) writeFileSync(join(dir, name), contents[i] as Buffer);
    const buffer = Buffer.alloc(80_000);
    // The fourth does not fit in what the first three leave: the call stops before it.
    const read = native.readWholeFiles(dir, names, buffer);
    assert.deepEqual(
      read.map((file) => file.size),
      [5000, 0, 70_000],
    );
    assert.deepEqual(buffer.subarray(0, 75_000), Buffer.concat(contents.slice(0, 3)));
    for (const [i, file] of read.entries()) {
      const { size, ...stamp } = file;
      assert.deepEqual(stamp, pathStamp(join(dir, names[i] as string)), `${names[i]}: stamp as Node's lstat gives it`);
    }
    // Alone, the fourth fits; a file larger than the whole buffer reads nothing.
    assert.deepEqual(
      native.readWholeFiles(dir, names.slice(3), buffer).map((file) => file.size),
      [30_000],
    );
    assert.deepEqual(buffer.subarray(0, 30_000), contents[3]);
    assert.deepEqual(native.readWholeFiles(dir, ['f2.img'], Buffer.alloc(69_999)), []);
    // A link is not followed, a missing file or a dir is an error naming it.
    symlinkSync(join(dir, 'f0.img'), join(dir, 'link.img'));
    mkdirSync(join(dir, 'sub'));
    assert.throws(() => native.readWholeFiles(dir, ['f0.img', 'link.img'], buffer), {
      code: 'ELOOP',
      message: /link\.img/,
    });
    assert.throws(() => native.readWholeFiles(dir, ['gone.img'], buffer), { code: 'ENOENT', message: /gone\.img/ });
    assert.throws(() => native.readWholeFiles(dir, ['sub'], buffer), {
      code: 'EINVAL',
      message: /sub is not a regular file/,
    });
    assert.throws(() => native.readWholeFiles(dir, ['../f0.img'], buffer), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => native.readWholeFiles(join(dir, 'none'), names, buffer), { code: 'ENOENT' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('spawnWithFds maps our fds to chosen numbers (even swapped ones), /dev/null elsewhere, and is reaped by watchProcess', async () => {
  const [outRead, outWrite] = native.pipePair();
  const [otherRead, otherWrite] = native.pipePair();
  // fd 5 of the child is our otherWrite and fd 4 our outWrite: sources and targets overlap freely.
  const script = 'echo out >&4; echo other >&5; read -r line || echo "stdin at eof" >&4; ls /proc/self/fd >&4; exit 7';
  const spawned = native.spawnWithFds('/bin/sh', ['sh', '-c', script], [-1, -1, -1, -1, outWrite, otherWrite]);
  // The spawn copied them when it was called: ours may go before the child has even started.
  closeSync(outWrite);
  closeSync(otherWrite);
  const exit = await native.watchProcess(await spawned).exited;
  assert.deepEqual(exit, { code: 7, signal: null, reaped: true });
  const read = (fd: number) => {
    const buffer = Buffer.alloc(4096);
    const n = readSync(fd, buffer);
    closeSync(fd);
    return buffer.subarray(0, n).toString();
  };
  const [first, second, third, ...fds] = read(outRead).trim().split('\n');
  assert.deepEqual([first, second], ['out', 'stdin at eof']);
  assert.equal(third, '0');
  // Nothing but 0-5 (and ls's own directory fd) is open in the child: no fd of ours leaked.
  assert.deepEqual(
    fds.map(Number).filter((n) => n !== 6),
    [1, 2, 3, 4, 5],
  );
  assert.equal(read(otherRead), 'other\n');
});

test('spawnWithFds of a missing program rejects with ENOENT naming it; a bad fd throws at once', async () => {
  await assert.rejects(
    native.spawnWithFds('/nonexistent/criu', ['criu'], [-1, -1, -1]),
    (e: NodeJS.ErrnoException) =>
      e.code === 'ENOENT' && e.syscall === 'posix_spawn' && /\/nonexistent\/criu/.test(e.message),
  );
  const closed = openSync('/dev/null', 'r');
  closeSync(closed);
  assert.throws(
    () => native.spawnWithFds('/bin/true', ['true'], [-1, -1, -1, closed]),
    (e: NodeJS.ErrnoException) => e.code === 'EBADF' && e.syscall === 'fcntl',
  );
});
