// The image codec against real checkpoints: CRIU dumps process trees built to make it write many
// kinds of image (threads, a tree, pipes, unix sockets, SysV IPC, ghost files, many fd kinds); every
// file of every checkpoint must decode and re-encode byte for byte, every entry must survive
// toBinary(fromBinary), and the payloads must hold what the victims put there.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, test } from 'node:test';
import {
  FdType,
  FileEntrySchema,
  GhostChunkEntrySchema,
  GhostFileEntrySchema,
  PipeDataEntrySchema,
} from '../../src/gen/criu_images_files_pb.js';
import {
  IpcMsgEntrySchema,
  IpcMsgSchema,
  IpcSemEntrySchema,
  IpcShmEntrySchema,
} from '../../src/gen/criu_images_ipc_pb.js';
import { PstreeEntrySchema } from '../../src/gen/criu_images_pb.js';
import { SkPacketEntrySchema } from '../../src/gen/criu_images_sockets_pb.js';
import { CoreEntrySchema } from '../../src/gen/criu_images_task_pb.js';
import { TtyDataEntrySchema } from '../../src/gen/criu_images_tty_pb.js';
import { type DecodedImage, resolveImageName } from '../../src/images/codec.js';
import { checkpointSkipReason, dumpTree, killVictim, startVictim } from '../helpers/images-checkpoints.js';
import { attempt, framesOf, mutators, prng } from '../helpers/images-mutate.js';
import { addStats, checkImagesDir, emptyStats, type RoundTripStats } from '../helpers/images-roundtrip.js';
import { fixture } from '../helpers/victims.js';

const skip = checkpointSkipReason();
const victims: number[] = [];
const scratch: string[] = [];
const total = emptyStats();
/** The images dir of every checkpoint made, for the mutation test. */
const checkpoints: string[] = [];

after(() => {
  for (const pid of victims) killVictim(pid);
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

type Images = Map<string, DecodedImage>;

function ofType(images: Images, type: string): DecodedImage[] {
  return [...images.values()].filter((image) => image.type === type);
}

function onlyOfType(images: Images, type: string): DecodedImage {
  const found = ofType(images, type);
  assert.equal(found.length, 1, `expected one ${type} image, found ${found.length}`);
  return found[0] as DecodedImage;
}

function text(bytes: Uint8Array | undefined): string {
  return Buffer.from(bytes ?? new Uint8Array(0)).toString('latin1');
}

interface Case {
  name: string;
  /** Starts the victim (its files in `dir`), returns its pid. */
  start(dir: string): Promise<number>;
  dumpArgs?: string[];
  /** What the images must say about the victim, beyond round-tripping. */
  verify(images: Images): void;
  /** How many entries hold a string that is not UTF-8 (see images-roundtrip.ts). */
  notUtf8?: number;
}

function victim(mode: string): (dir: string) => Promise<number> {
  return (dir) => startVictim(fixture('images-victim'), [mode, dir], join(dir, 'ready'));
}

const cases: Case[] = [
  {
    name: 'a single process with two threads, pending signals and a POSIX timer',
    start: victim('single'),
    verify(images) {
      const [task] = onlyOfType(images, 'pstree').entries.map((entry) => entry.as(PstreeEntrySchema));
      assert.equal(task?.threads.length, 2);
      const cores = ofType(images, 'core').map((image) => image.entries[0]?.as(CoreEntrySchema));
      assert.equal(cores.length, 2);
      const main = cores.find((core) => core?.tc !== undefined);
      assert.equal(main?.tc?.comm, 'images-victim');
      assert.equal(main?.tc?.taskState, 1, 'TASK_ALIVE');
      assert.equal(main?.tc?.signalsS?.signals.length, 1, 'the SIGUSR1 pending for the task');
      assert.equal(main?.tc?.timers?.posix.length, 1);
      const perThread = cores.map((core) => core?.threadCore?.signalsP?.signals.length ?? 0);
      assert.deepEqual(perThread.sort(), [0, 1], 'the SIGUSR2 pending for the second thread');
      assert.equal(main?.threadCore?.creds?.uid, 0);
      // The file whose name is not UTF-8: its entry is kept byte for byte, its message shows U+FFFD.
      const names = onlyOfType(images, 'files').entries.map((entry) => entry.as(FileEntrySchema).reg?.name ?? '');
      assert.ok(names.some((name) => name.endsWith('/not-utf8-\ufffd\ufffd.txt')));
    },
    notUtf8: 1,
  },
  {
    name: 'a process tree (a child with a child of its own)',
    start: victim('tree'),
    verify(images) {
      const tasks = onlyOfType(images, 'pstree').entries.map((entry) => entry.as(PstreeEntrySchema));
      assert.equal(tasks.length, 4);
      const root = tasks[0];
      assert.equal(tasks.filter((task) => task.ppid === root?.pid).length, 2);
      assert.equal(ofType(images, 'core').length, 4);
    },
  },
  {
    name: 'pipes between two members of the tree, with unread data, and a FIFO',
    start: victim('pipes'),
    verify(images) {
      const data = onlyOfType(images, 'pipes-data').entries;
      assert.deepEqual(data.map((entry) => text(entry.payload)).sort(), [
        '',
        'data in a pipe of one process\n',
        'data the parent never reads\n',
      ]);
      for (const entry of data) assert.equal(entry.as(PipeDataEntrySchema).bytes, entry.payload?.byteLength);
      const fifo = onlyOfType(images, 'fifo-data').entries;
      assert.deepEqual(
        fifo.map((entry) => text(entry.payload)),
        ['data waiting in the fifo\n'],
      );
    },
  },
  {
    name: 'unix socketpairs inside the tree with queued messages (one carrying an fd)',
    start: victim('unix'),
    verify(images) {
      const packets = onlyOfType(images, 'sk-queues').entries;
      assert.deepEqual(packets.map((entry) => text(entry.payload)).sort(), [
        'a seqpacket record',
        'first datagram',
        'second, longer datagram for the queue',
        'stream bytes for the child',
        'stream bytes for the parent',
        'x',
      ]);
      const withFd = packets.find((entry) => entry.as(SkPacketEntrySchema).scm.length > 0);
      assert.equal(withFd?.as(SkPacketEntrySchema).scm[0]?.rights.length, 1);
      const kinds = onlyOfType(images, 'files').entries.map((entry) => entry.as(FileEntrySchema).type);
      assert.ok(kinds.filter((type) => type === FdType.UNIXSK).length >= 7, 'both ends of 3 pairs, and the listener');
    },
  },
  {
    name: 'SysV shared memory, semaphores and message queues in an IPC namespace',
    start: (dir) => startVictim(fixture('images-sysv'), [dir], join(dir, 'ready')),
    verify(images) {
      const sems = onlyOfType(images, 'ipcns-sem').entries;
      assert.deepEqual(
        sems.map((entry) => [entry.as(IpcSemEntrySchema).nsems, [...(entry.payload ?? [])]]),
        [
          [3, [1, 0, 2, 0, 3, 0, 0, 0]],
          [5, [50, 0, 40, 0, 30, 0, 20, 0, 10, 0, 0, 0, 0, 0, 0, 0]],
        ],
        'nsems u16 values, zero-padded to 8 bytes',
      );
      const msg = onlyOfType(images, 'ipcns-msg').entries;
      assert.deepEqual(
        msg.map((entry) =>
          entry.is(IpcMsgEntrySchema) ? `queue of ${entry.as(IpcMsgEntrySchema).qnum}` : text(entry.payload),
        ),
        ['queue of 3', 'hello\0\0\0', 'eight ch', 'thirteen char\0\0\0', 'queue of 0'],
        'each message text zero-padded to 8 bytes',
      );
      assert.deepEqual(
        msg.filter((entry) => entry.is(IpcMsgSchema)).map((entry) => entry.as(IpcMsgSchema).msize),
        [5, 8, 13],
      );
      const shm = onlyOfType(images, 'ipcns-shm').entries.map((entry) => entry.as(IpcShmEntrySchema));
      assert.deepEqual(
        shm.map((segment) => [segment.size, segment.inPagemaps]),
        [
          [70000n, true],
          [4096n, true],
        ],
      );
      assert.equal(ofType(images, 'pagemap-shmem').length, 2, 'segment contents are in shmem pagemaps');
      assert.equal(ofType(images, 'ipcns-var').length, 1);
    },
  },
  {
    name: 'ghost files (unlinked while open): small, large with a hole, and a directory',
    start: victim('ghost'),
    verify(images) {
      const ghosts = ofType(images, 'ghost-file');
      assert.equal(ghosts.length, 3);
      const heads = ghosts.map((image) => image.entries[0]?.as(GhostFileEntrySchema));
      const small = ghosts.find((image) => text(image.entries[0]?.payload).startsWith('contents of a small file'));
      assert.ok(small, 'the small ghost keeps its contents raw after its entry');
      const chunked = ghosts.find((_, i) => heads[i]?.chunks === true);
      assert.equal(heads.find((head) => head?.chunks)?.size, 65536n);
      assert.deepEqual(
        chunked?.entries.slice(1).map((entry) => {
          const { off, len } = entry.as(GhostChunkEntrySchema);
          return [off, len, entry.payload?.byteLength];
        }),
        [
          [0n, 16384n, 16384],
          [49152n, 16384n, 16384],
        ],
        'one chunk per data extent, the hole left out',
      );
      assert.equal(onlyOfType(images, 'remap-fpath').entries.length, 3);
    },
  },
  {
    name: 'many fd kinds: eventfd, epoll, signalfd, timerfd, inotify, memfd, pty, inet sockets, locks',
    start: victim('kinds'),
    dumpArgs: ['--file-locks'],
    verify(images) {
      const kinds = new Set(onlyOfType(images, 'files').entries.map((entry) => entry.as(FileEntrySchema).type));
      for (const kind of [
        FdType.REG,
        FdType.EVENTFD,
        FdType.EVENTPOLL,
        FdType.SIGNALFD,
        FdType.TIMERFD,
        FdType.INOTIFY,
        FdType.MEMFD,
        FdType.TTY,
        FdType.INETSK,
      ]) {
        assert.ok(kinds.has(kind), `files.img has a ${FdType[kind]} entry`);
      }
      const queued = onlyOfType(images, 'tty-data').entries.map((entry) => text(entry.as(TtyDataEntrySchema).data));
      assert.ok(queued.some((data) => data.startsWith('typed but not yet read')));
      assert.equal(onlyOfType(images, 'filelocks').entries.length, 1);
      assert.equal(onlyOfType(images, 'memfd').entries.length, 2, 'the memfd and the shared anonymous mapping');
      assert.equal(ofType(images, 'tty-info').length, 1);
    },
  },
];

for (const testCase of cases) {
  test(testCase.name, { skip }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'node-criu-images-'));
    scratch.push(dir);
    const pid = await testCase.start(dir);
    victims.push(pid);
    const imagesDir = join(dir, 'images');
    await dumpTree(pid, imagesDir, testCase.dumpArgs);
    const stats: RoundTripStats = emptyStats();
    const images = checkImagesDir(imagesDir, stats);
    testCase.verify(images);
    assert.equal(stats.notUtf8.length, testCase.notUtf8 ?? 0, stats.notUtf8.join('; '));
    for (const [name, image] of images) {
      if (image.type === undefined) assert.equal(name, 'dump.log', `${name} is not an image name the codec knows`);
    }
    addStats(total, stats);
    checkpoints.push(imagesDir);
    t.diagnostic(
      `${stats.files} files, ${stats.entries} entries (${stats.typedEntries} typed), ${stats.payloadBytes} payload bytes: the codec gives back every file exactly`,
    );
    for (const entry of stats.notUtf8) t.diagnostic(`toBinary(fromBinary) differs, as expected: ${entry}`);
  });
}

test('mutations of the real images decode or fail with IMAGE_CORRUPT', { skip }, (t) => {
  const random = prng(0xc0ffee);
  const names = Object.keys(mutators);
  let cases = 0;
  let corrupt = 0;
  const started = performance.now();
  for (const dir of checkpoints) {
    for (const name of readdirSync(dir)) {
      // Raw and unknown files are kept whole: any bytes are a valid one.
      if ((resolveImageName(name)?.type.header ?? 'none') === 'none') continue;
      const bytes = readFileSync(join(dir, name));
      const frames = framesOf(name, bytes);
      for (let i = 0; i < 40; i++) {
        const mutate = mutators[names[i % names.length] as string];
        if (attempt(name, mutate?.(bytes, random, frames) ?? bytes) === 'corrupt') corrupt++;
        cases++;
      }
    }
  }
  const elapsed = performance.now() - started;
  t.diagnostic(`${cases} mutants of real images in ${elapsed.toFixed(0)} ms, ${corrupt} corrupt`);
  assert.ok(cases > 1000);
  assert.ok(elapsed < 20_000);
});

test('round-trip totals', { skip }, (t) => {
  assert.ok(total.files > 0);
  const types = [...total.types].map(([type, n]) => `${type}:${n}`).join(' ');
  t.diagnostic(
    `${total.files} files, ${total.entries} entries (${total.typedEntries} checked with toBinary(fromBinary)), ` +
      `${total.payloadBytes} payload bytes, ${total.rawBytes} bytes of raw/unknown files. The codec: all ` +
      `byte-identical. toBinary(fromBinary): identical but for ${total.notUtf8.length} entry(ies) with a name ` +
      'that is not UTF-8. ' +
      `Types: ${types}`,
  );
});
