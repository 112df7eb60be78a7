// inspect() and the images' own fd table against real checkpoints made with checkpoint(): what
// they read from the images must agree with /proc of the process tree just before the dump and
// with the fd table the manifest recorded; decode/encode must give every file back byte for byte;
// and the show/decode/encode commands must work end to end.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { FdEntry } from '../../src/fds/fd-entry.js';
import { fdTableFromImages } from '../../src/fds/images-fd-table.js';
import { readImage } from '../../src/images/codec.js';
import { checkpoint, readFdTable } from '../../src/index.js';
import { encodeImageJson, imageToJson } from '../../src/inspect/image-json.js';
import { inspect } from '../../src/inspect/inspect.js';
import type { CheckpointView, TaskView, VmaView } from '../../src/inspect/types.js';
import { readManifest } from '../../src/integrity/manifest.js';
import { skipUnlessCriu } from '../helpers/criu-available.js';
import { killGroup, type ProcTask, procMapKind, procTree, startReady } from '../helpers/inspect-victims.js';
import { fixture, scratchDir, waitForCount } from '../helpers/victims.js';

const skip = skipUnlessCriu;
const run = promisify(execFile);
const cli = fileURLToPath(new URL('../helpers/inspect-cli.js', import.meta.url));
const victims: number[] = [];

after(() => {
  for (const pid of victims) killGroup(pid);
});

interface Case {
  /** /proc of the tree just before the dump. */
  proc: ProcTask[];
  imagesDir: string;
  view: CheckpointView;
  /** The manifest's fd table (read from /proc while CRIU had the tree frozen). */
  manifestFds: FdEntry[];
}

/** Starts a victim, reads /proc, checkpoints it (left running) and inspects the images. */
async function dumpVictim(
  start: (dir: string) => Promise<number>,
  options: Parameters<typeof checkpoint>[1] = {},
): Promise<Case> {
  const dir = scratchDir('node-criu-inspect-');
  const pid = await start(dir);
  victims.push(pid);
  const proc = await procTree(pid);
  const imagesDir = join(dir, 'images');
  await checkpoint(pid, { imagesDir, leaveRunning: true, ...options });
  const manifest = await readManifest(imagesDir);
  assert.ok(manifest, 'checkpoint() writes a manifest');
  return { proc, imagesDir, view: await inspect(imagesDir), manifestFds: manifest.fds };
}

const cases: Record<string, Case> = {};

before(async () => {
  if (skip) return;
  const inspectVictim = fixture('inspect-victim');
  cases.victim = await dumpVictim((dir) => startReady(inspectVictim, [dir], join(dir, 'ready')));
  // The counter with 2 children, Node's stdio socketpairs (left out automatically) and its state
  // file left out by choice: left-out fds of three kinds.
  const counter = fixture('counter');
  cases.counter = await dumpVictim(
    async (dir) => {
      const count = join(dir, 'count');
      const pid = await startReady(counter, [count, '2'], `${count}.1`, ['ignore', 'pipe', 'pipe']);
      try {
        // Every process has its state file open (fd 3) once it has counted.
        for (const file of [count, `${count}.0`, `${count}.1`]) await waitForCount(file, 1);
      } catch (error) {
        killGroup(pid);
        throw error;
      }
      return pid;
    },
    { leaveOut: [3] },
  );
  const kinds = fixture('images-victim');
  cases.kinds = await dumpVictim((dir) => startReady(kinds, ['kinds', dir], join(dir, 'ready')), { fileLocks: true });
  const sysv = fixture('images-sysv');
  cases.sysv = await dumpVictim((dir) => startReady(sysv, [dir], join(dir, 'ready')));
});

function must(name: string): Case {
  const found = cases[name];
  assert.ok(found, `checkpoint ${name} was made`);
  return found;
}

function task(view: CheckpointView, pid: number): TaskView {
  const found = view.tasks.find((t) => t.pid === pid);
  assert.ok(found, `inspect lists pid ${pid}`);
  return found;
}

/** The process tree: pids, parents, groups, threads, commands and states as /proc had them. */
function assertTreeMatches({ proc, view }: Case): void {
  const root = proc[0] as ProcTask;
  assert.equal(view.root, root.pid);
  assert.deepEqual(view.tasks.map((t) => t.pid).sort(), proc.map((p) => p.pid).sort(), 'same pids');
  for (const p of proc) {
    const t = task(view, p.pid);
    assert.equal(t.ppid, p.pid === root.pid ? 0 : p.ppid, `ppid of ${p.pid} (the root's is 0 in the images)`);
    assert.equal(t.pgid, p.pgid, `pgid of ${p.pid}`);
    assert.equal(t.sid, p.sid, `sid of ${p.pid}`);
    assert.equal(t.command, p.comm, `comm of ${p.pid}`);
    assert.equal(t.threadCount, p.tids.length, `thread count of ${p.pid}`);
    assert.deepEqual([...t.tids].sort(), p.tids, `tids of ${p.pid}`);
    assert.equal(t.state, p.state === 'Z' ? 'zombie' : 'running', `state of ${p.pid}`);
  }
  for (const t of view.tasks) {
    assert.deepEqual(
      t.children,
      view.tasks.filter((c) => c.ppid === t.pid).map((c) => c.pid),
      `children of ${t.pid}`,
    );
  }
}

const addr = (hex: string) => BigInt(hex);

/**
 * Every area of /proc/PID/maps is an area of the images with the same range, kind and protection
 * (CRIU records [vvar] and [vvar_vclock] as one vvar area, which must contain both), and the
 * images have no area /proc did not show.
 */
function assertMapsMatch({ proc, view }: Case): void {
  for (const p of proc) {
    const memory = task(view, p.pid).memory;
    if (p.state === 'Z') {
      assert.equal(memory, null, `zombie ${p.pid} has no memory image`);
      continue;
    }
    assert.ok(memory, `memory of ${p.pid}`);
    for (const map of p.maps) {
      const kind = procMapKind(map);
      const where = `${p.pid} ${map.start.toString(16)}-${map.end.toString(16)} ${map.perms} ${map.path}`;
      const vma: VmaView | undefined = memory.vmas.find((v) => addr(v.start) <= map.start && map.end <= addr(v.end));
      assert.ok(vma, `${where} is in the images`);
      assert.equal(vma.kind, kind, `kind of ${where}`);
      if (kind !== 'vvar') {
        assert.equal(vma.start, `0x${map.start.toString(16)}`, `start of ${where}`);
        assert.equal(vma.end, `0x${map.end.toString(16)}`, `end of ${where}`);
        assert.equal(vma.prot, map.perms, `protection of ${where}`);
      }
    }
    for (const vma of memory.vmas) {
      assert.ok(
        p.maps.some((m) => m.start === addr(vma.start)),
        `${p.pid}: area ${vma.start}-${vma.end} of the images starts an area of /proc`,
      );
    }
    const sum = memory.vmas.reduce((n, v) => n + v.presentPages, 0);
    assert.ok(sum <= memory.totals.presentPages && memory.totals.presentPages > 0, `pages of ${p.pid}`);
  }
}

const fdKey = (e: FdEntry) => `${e.pid}:${e.fd}`;
const compared = (e: FdEntry) => ({ pid: e.pid, fd: e.fd, type: e.type, access: e.access, key: e.key });

/** The images' fd table equals the manifest's on pid, fd, type, access and key, and /proc's fd numbers. */
async function assertFdsMatch({ proc, imagesDir, view, manifestFds }: Case): Promise<FdEntry[]> {
  const fromImages = await fdTableFromImages(imagesDir);
  assert.deepEqual(view.fds, fromImages, 'inspect() reports the same table');
  const byKey = new Map(fromImages.map((e) => [fdKey(e), e]));
  assert.deepEqual([...byKey.keys()].sort(), manifestFds.map(fdKey).sort(), 'the same (pid, fd) rows');
  for (const row of manifestFds) {
    const mine = byKey.get(fdKey(row));
    assert.ok(mine);
    assert.deepEqual(compared(mine), compared(row), `fd ${row.fd} of ${row.pid}`);
    assert.equal(mine.leftOut, row.leftOut, `leftOut of fd ${row.fd} of ${row.pid}`);
    assert.equal(mine.cloexec, row.cloexec, `cloexec of fd ${row.fd} of ${row.pid}`);
    assert.equal(mine.flags, row.flags, `flags of fd ${row.fd} of ${row.pid}`);
  }
  for (const p of proc) {
    assert.deepEqual(
      fromImages.filter((e) => e.pid === p.pid).map((e) => e.fd),
      p.fds,
      `the fds of ${p.pid} are those of /proc/${p.pid}/fd`,
    );
    assert.equal(task(view, p.pid).fdCount, p.fds.length);
  }
  return fromImages;
}

test('inspect: tree, memory map and fds of a victim with threads, a child, a zombie and shared memory', {
  skip,
}, async () => {
  const c = must('victim');
  assertTreeMatches(c);
  assertMapsMatch(c);
  const root = task(c.view, c.view.root);
  assert.equal(root.threadCount, 2);
  const zombie = c.view.tasks.find((t) => t.state === 'zombie');
  assert.ok(zombie, 'the unreaped child is a zombie');
  assert.deepEqual(zombie.exit, { status: 7 << 8, code: 7, signal: null });
  assert.equal(c.view.tasks.filter((t) => t.state === 'running').length, 2);

  const vmas = root.memory?.vmas ?? [];
  const one = (pred: (v: VmaView) => boolean, what: string) => {
    const found = vmas.filter(pred);
    assert.equal(found.length, 1, `one ${what} area`);
    return found[0] as VmaView;
  };
  const anonShared = one((v) => v.kind === 'anon-shared', 'anonymous shared');
  assert.equal(anonShared.size, 4 * 4096);
  assert.equal(anonShared.sharedPages, 2, 'two of its four pages were written');
  const memfd = one((v) => v.kind === 'memfd', 'memfd');
  assert.equal(memfd.path, '/memfd:inspect-memfd');
  assert.equal(memfd.sharedPages, 1);
  const privateFile = one((v) => v.path?.endsWith('/mapped-private') ?? false, 'mapped-private');
  assert.equal(privateFile.kind, 'file-private');
  assert.equal(privateFile.prot, 'rw-p');
  assert.equal(privateFile.presentPages, 1, 'the one page written is a private copy in the dump');
  one((v) => v.kind === 'heap', 'heap');
  one((v) => v.kind === 'stack', 'main stack');
  assert.ok(root.memory?.exe?.endsWith('/inspect-victim'));

  const fds = await assertFdsMatch(c);
  const rootFds = fds.filter((e) => e.pid === root.pid);
  assert.deepEqual(
    rootFds.map((e) => e.type),
    ['file', 'file', 'file', 'memfd', 'pipe', 'pipe', 'unix', 'unix', 'eventfd', 'file', 'file', 'dir'],
  );
  assert.ok(rootFds.every((e) => !e.leftOut));
  const log = rootFds[9] as FdEntry;
  assert.equal(log.access, 'w');
  assert.ok(log.append);
  assert.ok(rootFds[8]?.cloexec, 'the eventfd is close-on-exec');
  assert.deepEqual(rootFds[4]?.peer, { inode: rootFds[4]?.inode, inTree: true });

  assert.ok(c.view.stats.dump, 'stats-dump');
  assert.ok(Number(c.view.stats.dump.pagesWritten) > 0);
  assert.equal(c.view.manifest?.leftRunning, true);
  assert.deepEqual(c.view.sysv, []);
  assert.ok(
    c.view.namespaces.list.every((n) => !n.own),
    'the victim shares every namespace with CRIU',
  );
  assert.doesNotThrow(() => JSON.stringify(c.view), 'no bigint anywhere');
});

test('fdTableFromImages: left-out stdio socketpairs and a left-out file keep their keys', { skip }, async () => {
  const c = must('counter');
  assertTreeMatches(c);
  assertMapsMatch(c);
  const fds = await assertFdsMatch(c);
  const root = c.view.root;
  const stdio = fds.filter((e) => e.pid === root && (e.fd === 1 || e.fd === 2));
  assert.equal(stdio.length, 2);
  for (const e of stdio) {
    assert.equal(e.type, 'unix');
    assert.equal(e.leftOut, true, 'the peer is outside the tree');
    assert.equal(e.key, `socket:[${e.inode}]`);
    assert.equal(e.peer?.inTree, false);
  }
  const state = fds.find((e) => e.pid === root && e.fd === 3);
  assert.ok(state?.leftOut, 'left out by choice: an external file');
  assert.match(state.key, /^file\[[0-9a-f]+:[0-9a-f]+\]$/);
  assert.equal(state.externalKey, state.key);
  const manifestRow = c.manifestFds.find((e) => e.pid === root && e.fd === 3);
  assert.equal(state.inode, manifestRow?.inode, 'the inode comes from the key');
  assert.equal(state.mountId, manifestRow?.mountId, 'the mount id comes from the key');
});

test('fdTableFromImages: eventfd, epoll, signalfd, timerfd, inotify, memfd, a pty pair and inet sockets', {
  skip,
}, async () => {
  const c = must('kinds');
  assertTreeMatches(c);
  assertMapsMatch(c);
  const fds = await assertFdsMatch(c);
  const types = new Set(fds.map((e) => e.type));
  for (const type of ['eventfd', 'epoll', 'signalfd', 'timerfd', 'inotify', 'memfd', 'tty', 'inet'] as const) {
    assert.ok(types.has(type), `a ${type} fd`);
  }
  const slave = fds.find((e) => e.type === 'tty');
  assert.match(slave?.externalKey ?? '', /^tty\[[0-9a-f]+:[0-9a-f]+\]$/);
  assert.deepEqual(slave?.peer, { inode: undefined, inTree: true });
  const vmas = task(c.view, c.view.root).memory?.vmas ?? [];
  assert.ok(vmas.some((v) => v.kind === 'file-shared' && v.path?.endsWith('/mapped-file')));
});

test('inspect: SysV objects and the IPC namespace of a victim in its own IPC namespace', { skip }, async () => {
  const c = must('sysv');
  assertTreeMatches(c);
  assertMapsMatch(c);
  await assertFdsMatch(c);
  const pid = c.view.root;
  assert.equal(c.view.sysv.length, 1);
  const sysv = c.view.sysv[0];
  assert.ok(sysv);
  assert.equal(task(c.view, pid).namespaces?.ipc, sysv.nsId);
  const ipc = c.view.namespaces.list.find((n) => n.kind === 'ipc');
  assert.ok(ipc);
  assert.deepEqual({ own: ipc.own, pids: ipc.pids }, { own: true, pids: [pid] });
  assert.deepEqual(
    ipc.images,
    ['msg', 'sem', 'shm', 'var'].map((k) => `ipcns-${k}-${sysv.nsId}.img`),
  );
  assert.ok(c.view.namespaces.list.filter((n) => n.kind !== 'ipc').every((n) => !n.own));

  assert.deepEqual(
    sysv.shm.map((s) => [s.key, s.size, s.mode & 0o777, s.attachedBy]),
    [
      [0, 70000, 0o600, [pid]],
      [0x1234, 4096, 0o644, []],
    ],
  );
  assert.equal(sysv.shm[0]?.presentPages, 2, '5000 bytes written: two pages');
  assert.deepEqual(
    sysv.sem.map((s) => [s.key, s.nsems, s.values]),
    [
      [0, 3, [1, 2, 3]],
      [0x5678, 5, [50, 40, 30, 20, 10]],
    ],
  );
  assert.deepEqual(
    sysv.msg.map((q) => [q.key, q.messageCount, q.messageBytes, q.messages.map((m) => m.type)]),
    [
      [0, 3, 26, [1, 2, 7]],
      [0x9abc, 0, 0, []],
    ],
  );
  assert.equal(typeof sysv.limits?.shmCtlmax, 'string', 'a u64 beyond 2^53 is a string');
  const segment = task(c.view, pid).memory?.vmas.find((v) => v.kind === 'sysv');
  assert.equal(segment?.shmid, sysv.shm[0]?.id);
  assert.equal(segment?.sharedPages, 2);
});

test('decode/encode: every file of every checkpoint comes back byte for byte through JSON', { skip }, async () => {
  let files = 0;
  for (const c of Object.values(cases)) {
    for (const name of readdirSync(c.imagesDir)) {
      const path = join(c.imagesDir, name);
      const json = JSON.parse(JSON.stringify(imageToJson(await readImage(path), name)));
      const again = encodeImageJson(json, name);
      assert.ok(Buffer.from(again).equals(readFileSync(path)), `${name} of ${c.imagesDir} survives decode/encode`);
      files++;
    }
  }
  assert.ok(files > 80, `${files} files round-tripped`);
});

async function nodeCriu(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { maxBuffer: 256 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('node-criu decode/encode: files of each kind through the commands', { skip }, async () => {
  const c = must('victim');
  const out = scratchDir('node-criu-inspect-json-');
  // One file of each layout: plain entries, a head then entries, payloads, raw, service, not CRIU's.
  const root = c.view.root;
  const names = [
    `core-${root}.img`,
    `pagemap-${root}.img`,
    'pipes-data.img',
    'pages-1.img',
    'stats-dump',
    'node-criu.json',
  ];
  await Promise.all(
    names.map(async (name) => {
      const json = join(out, `${name}.json`);
      const decoded = await nodeCriu('decode', join(c.imagesDir, name), '--out', json);
      assert.equal(decoded.code, 0, decoded.stderr);
      const image = join(out, name);
      const encoded = await nodeCriu('encode', json, '--out', image, '--json');
      assert.equal(encoded.code, 0, encoded.stderr);
      assert.equal(JSON.parse(encoded.stdout).bytes, readFileSync(join(c.imagesDir, name)).byteLength);
      assert.ok(readFileSync(image).equals(readFileSync(join(c.imagesDir, name))), `${name} through the CLI`);
    }),
  );
  const core = await nodeCriu('decode', join(c.imagesDir, `core-${c.view.root}.img`));
  assert.equal(core.code, 0, core.stderr);
  const parsed = JSON.parse(core.stdout);
  assert.equal(parsed.type, 'core');
  assert.equal(parsed.entries[0].message.tc.comm, 'inspect-victim');
  const json = join(out, `core-${root}.img.json`);
  const again = await nodeCriu('encode', json, '--out', join(out, `core-${root}.img`));
  assert.equal(again.code, 1, 'an existing output is not replaced without --force');
  assert.match(again.stderr, /--force/);
  const usage = await nodeCriu('encode', json);
  assert.equal(usage.code, 2, 'encode needs --out');
});

test('node-criu show: the tree and a VMA table; --json is the inspect() view', { skip }, async () => {
  const c = must('victim');
  const human = await nodeCriu('show', '-D', c.imagesDir);
  assert.equal(human.code, 0, human.stderr);
  for (const t of c.view.tasks) assert.match(human.stdout, new RegExp(`\\b${t.pid} inspect-victim \\[`));
  assert.match(human.stdout, /^ {2}0x[0-9a-f]+\s+0x[0-9a-f]+\s+16 KiB\s+rw-s\s+anon-shared\s+0 B\s+8 KiB\s/m);
  assert.match(human.stdout, /zombie, exited 7/);
  assert.match(human.stdout, /^File descriptors:/m);
  assert.match(human.stdout, /^Dump statistics: frozen/m);
  const json = await nodeCriu('show', '-D', c.imagesDir, '--json');
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), JSON.parse(JSON.stringify(c.view)));
  const usage = await nodeCriu('show');
  assert.equal(usage.code, 2);
  const notImages = await nodeCriu('show', '-D', scratchDir());
  assert.equal(notImages.code, 1);
  assert.match(notImages.stderr, /INVALID_IMAGES.*pstree\.img/);
});

test('readFdTable falls back to the images when there is no manifest', { skip }, async () => {
  const c = must('counter');
  const plain = join(scratchDir('node-criu-inspect-plain-'), 'images');
  mkdirSync(plain);
  cpSync(c.imagesDir, plain, { recursive: true });
  rmSync(join(plain, 'node-criu.json'));
  assert.deepEqual(await readFdTable(plain), await fdTableFromImages(c.imagesDir));
  const view = await inspect(plain);
  assert.equal(view.manifest, null);
  assert.deepEqual(view.fds, c.view.fds);
});
