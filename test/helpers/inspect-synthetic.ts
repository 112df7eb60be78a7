// A small checkpoint built with the codec's encoder, for inspect tests that need no root: kinds
// of fd and task state that real victims rarely give (external tty and files, a pipe and a unix
// socket whose other ends are outside, a deleted file, a stopped task and a killed zombie), a
// SysV segment, semaphores and a queue, and memory with pages.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import {
  FdinfoEntrySchema,
  FdType,
  FileEntrySchema,
  RemapFilePathEntrySchema,
  RemapType,
} from '../../src/gen/criu_images_files_pb.js';
import {
  IpcMsgEntrySchema,
  IpcMsgSchema,
  IpcSemEntrySchema,
  IpcShmEntrySchema,
  IpcVarEntrySchema,
} from '../../src/gen/criu_images_ipc_pb.js';
import { MmEntrySchema, PagemapEntrySchema, PagemapHeadSchema } from '../../src/gen/criu_images_memory_pb.js';
import { InventoryEntrySchema, PstreeEntrySchema, StatsEntrySchema } from '../../src/gen/criu_images_pb.js';
import { Arch, CoreEntrySchema, TaskKobjIdsEntrySchema } from '../../src/gen/criu_images_task_pb.js';
import { TtyInfoEntrySchema, TtyType } from '../../src/gen/criu_images_tty_pb.js';
import { type DecodedImage, encodeImage, headerMagics, ImageEntry, resolveImageName } from '../../src/images/codec.js';

type Entry = ImageEntry;

function entry<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>, payload?: Uint8Array): Entry {
  return ImageEntry.of(schema, create(schema, init), payload);
}

/** Writes image `name` (its kind from the name) into `dir`. */
export function writeImageFile(dir: string, name: string, entries: Entry[]): void {
  const named = resolveImageName(name);
  if (!named) throw new Error(`${name} is not an image name`);
  const image: DecodedImage = {
    file: name,
    type: named.type.name,
    id: named.id,
    magics: headerMagics(named.type.header, named.type.magic),
    entries,
  };
  writeFileSync(join(dir, name), encodeImage(image));
}

const fown = { uid: 0, euid: 0, signum: 0, pidType: 0, pid: 0 };
const skOpts = { soSndbuf: 0, soRcvbuf: 0, soSndTmoSec: 0n, soSndTmoUsec: 0n, soRcvTmoSec: 0n, soRcvTmoUsec: 0n };
const desc = (id: number, key: number, mode: number) => ({ key, uid: 0, gid: 0, cuid: 0, cgid: 0, mode, id });
const ids = (filesId: number, ipc: number) => ({
  vmId: filesId,
  filesId,
  fsId: filesId,
  sighandId: filesId,
  pidNsId: 1,
  netNsId: 2,
  ipcNsId: ipc,
  utsNsId: 4,
  mntNsId: 6,
  userNsId: 7,
  cgroupNsId: 8,
  timeNsId: 5,
});

function core(state: number, comm: string, exitCode = 0): Entry {
  return entry(CoreEntrySchema, {
    mtype: Arch.X86_64,
    tc: { taskState: state, exitCode, personality: 0, flags: 0, blkSigset: 0n, comm },
  });
}

function reg(
  id: number,
  name: string,
  flags: number,
  mode: number,
  more: { ext?: boolean; size?: bigint } = {},
): Entry {
  return entry(FileEntrySchema, {
    type: FdType.REG,
    id,
    reg: { id, flags, pos: 0n, fown, name, mode, ...more },
  });
}

function fdinfo(fd: number, type: number, id: number, cloexec = false): Entry {
  return entry(FdinfoEntrySchema, { id, flags: cloexec ? 1 : 0, type, fd });
}

function u16s(values: number[], padTo: number): Uint8Array {
  const out = new Uint8Array(padTo);
  const view = new DataView(out.buffer);
  for (const [i, v] of values.entries()) view.setUint16(i * 2, v, true);
  return out;
}

/**
 * Pids: 100 (root, threads 100 and 101, running), 102 (its stopped child, sharing its fd table)
 * and 103 (a zombie killed by SIGKILL). The root is in IPC namespace 9 (CRIU's is 3).
 */
export function writeSyntheticCheckpoint(dir: string): void {
  writeImageFile(dir, 'inventory.img', [
    entry(InventoryEntrySchema, { imgVersion: 2, fdinfoPerId: true, nsPerId: true, rootIds: ids(1, 3) }),
  ]);
  writeImageFile(dir, 'pstree.img', [
    entry(PstreeEntrySchema, { pid: 100, ppid: 0, pgid: 100, sid: 100, threads: [100, 101] }),
    entry(PstreeEntrySchema, { pid: 102, ppid: 100, pgid: 100, sid: 100, threads: [102] }),
    entry(PstreeEntrySchema, { pid: 103, ppid: 100, pgid: 100, sid: 100, threads: [0] }),
  ]);
  writeImageFile(dir, 'core-100.img', [core(1, 'root')]);
  writeImageFile(dir, 'core-101.img', [entry(CoreEntrySchema, { mtype: Arch.X86_64 })]);
  writeImageFile(dir, 'core-102.img', [core(3, 'child')]);
  writeImageFile(dir, 'core-103.img', [core(2, 'gone', 9)]);
  writeImageFile(dir, 'ids-100.img', [entry(TaskKobjIdsEntrySchema, ids(2, 9))]);
  writeImageFile(dir, 'ids-102.img', [entry(TaskKobjIdsEntrySchema, ids(2, 9))]);

  const O_WRONLY = 1;
  const O_RDWR = 2;
  writeImageFile(dir, 'files.img', [
    reg(1, '/usr/bin/root', 0, 0o100755),
    // An external tty (no reg entry: EXT_TTY), an external file, an external FIFO.
    entry(FileEntrySchema, { type: FdType.TTY, id: 2, tty: { id: 2, ttyInfoId: 7, flags: O_RDWR, fown } }),
    reg(3, 'file[1b:20e263]', O_WRONLY, 0o100644, { ext: true, size: 21n }),
    reg(4, 'file[1b:5]', 0, 0o010644, { ext: true }),
    entry(FileEntrySchema, { type: FdType.FIFO, id: 5, fifo: { id: 5, pipeId: 5, regfId: 4 } }),
    // A pipe whose write end is outside; unix sockets: one with a peer outside, one listening.
    entry(FileEntrySchema, { type: FdType.PIPE, id: 6, pipe: { id: 6, pipeId: 77, flags: 0, fown } }),
    entry(FileEntrySchema, {
      type: FdType.UNIXSK,
      id: 7,
      usk: {
        id: 7,
        ino: 500,
        type: 1,
        state: 1,
        flags: O_RDWR,
        uflags: 0,
        backlog: 0,
        peer: 501,
        fown,
        opts: skOpts,
        name: new Uint8Array(),
      },
    }),
    entry(FileEntrySchema, {
      type: FdType.UNIXSK,
      id: 8,
      usk: {
        id: 8,
        ino: 600,
        type: 1,
        state: 10,
        flags: O_RDWR,
        uflags: 0,
        backlog: 4,
        peer: 0,
        fown,
        opts: skOpts,
        name: new Uint8Array(),
      },
    }),
    // A file unlinked while open, an ipc namespace file, a pidfd.
    reg(9, '/tmp/gone', O_RDWR, 0o100600, { size: 10n }),
    entry(FileEntrySchema, { type: FdType.NS, id: 10, nsf: { id: 10, nsId: 9, nsCflag: 0x08000000, flags: 0 } }),
    entry(FileEntrySchema, {
      type: FdType.PIDFD,
      id: 11,
      pidfd: { id: 11, ino: 1234, flags: O_RDWR, nspid: 102, fown },
    }),
    reg(12, '/tmp/data', 0, 0o100644, { size: 8192n }),
  ]);
  writeImageFile(dir, 'tty-info.img', [
    entry(TtyInfoEntrySchema, {
      id: 7,
      type: TtyType.EXT_TTY,
      locked: false,
      exclusive: false,
      packetMode: false,
      sid: 0,
      pgrp: 0,
      rdev: 0x8800,
      dev: 0x1a,
    }),
  ]);
  writeImageFile(dir, 'remap-fpath.img', [
    entry(RemapFilePathEntrySchema, { origId: 9, remapId: 0x80000001, remapType: RemapType.GHOST }),
  ]);
  writeImageFile(dir, 'fdinfo-2.img', [
    fdinfo(0, FdType.TTY, 2),
    fdinfo(1, FdType.REG, 3),
    fdinfo(3, FdType.FIFO, 5),
    fdinfo(4, FdType.PIPE, 6),
    fdinfo(5, FdType.UNIXSK, 7),
    fdinfo(6, FdType.UNIXSK, 8),
    fdinfo(7, FdType.REG, 9),
    fdinfo(8, FdType.NS, 10),
    fdinfo(9, 99, 12),
    fdinfo(10, FdType.REG, 42),
    fdinfo(11, FdType.PIDFD, 11, true),
  ]);

  const vma = (start: bigint, end: bigint, status: number, flags: number, prot: number, shmid = 0n) => ({
    start,
    end,
    pgoff: 0n,
    shmid,
    prot,
    flags,
    status,
    fd: -1n,
  });
  writeImageFile(dir, 'mm-100.img', [
    entry(MmEntrySchema, {
      mmStartCode: 0n,
      mmEndCode: 0n,
      mmStartData: 0n,
      mmEndData: 0n,
      mmStartStack: 0x7ffe0001f000n,
      mmStartBrk: 0n,
      mmBrk: 0n,
      mmArgStart: 0n,
      mmArgEnd: 0n,
      mmEnvStart: 0n,
      mmEnvEnd: 0n,
      exeFileId: 1,
      vmas: [
        vma(0x400000n, 0x401000n, 0x41, 0x2, 5, 1n),
        vma(0x600000n, 0x604000n, 0x41, 0x2, 3, 12n),
        vma(0x7f0000000000n, 0x7f0000012000n, 0x501, 0x21, 3, 0n),
        vma(0x7f0000100000n, 0x7f0000110000n, 0x201, 0x22, 3),
        vma(0x7ffe00000000n, 0x7ffe00021000n, 0x201, 0x22, 3),
      ],
    }),
  ]);
  writeImageFile(dir, 'pagemap-100.img', [
    entry(PagemapHeadSchema, { pagesId: 1 }),
    entry(PagemapEntrySchema, { vaddr: 0x603000n, compatNrPages: 0, flags: 4, nrPages: 1n }),
    // A run past the end of its area: 4 pages in the anon area, 2 in no area.
    entry(PagemapEntrySchema, { vaddr: 0x7f000010c000n, compatNrPages: 0, flags: 6, nrPages: 6n }),
    entry(PagemapEntrySchema, { vaddr: 0x7ffe0001e000n, compatNrPages: 0, flags: 4, nrPages: 3n }),
  ]);
  writeFileSync(join(dir, 'pages-1.img'), new Uint8Array(10 * 4096));

  writeImageFile(dir, 'ipcns-var-9.img', [
    entry(IpcVarEntrySchema, {
      semCtls: [32000, 1024000000, 500, 32000],
      msgCtlmax: 8192,
      msgCtlmnb: 16384,
      msgCtlmni: 32000,
      autoMsgmni: 0,
      shmCtlmax: 18446744073692774399n,
      shmCtlall: 18446744073692774399n,
      shmCtlmni: 4096,
      shmRmidForced: 0,
      mqQueuesMax: 256,
      mqMsgMax: 10,
      mqMsgsizeMax: 8192,
    }),
  ]);
  writeImageFile(dir, 'ipcns-shm-9.img', [
    entry(IpcShmEntrySchema, { desc: desc(0, 0, 0o600), size: 70000n, inPagemaps: true }, new Uint8Array()),
  ]);
  writeImageFile(dir, 'pagemap-shmem-0.img', [
    entry(PagemapHeadSchema, { pagesId: 2 }),
    entry(PagemapEntrySchema, { vaddr: 0n, compatNrPages: 0, flags: 4, nrPages: 2n }),
  ]);
  writeImageFile(dir, 'ipcns-sem-9.img', [
    entry(IpcSemEntrySchema, { desc: desc(1, 0x5678, 0o640), nsems: 3 }, u16s([7, 8, 9], 8)),
  ]);
  writeImageFile(dir, 'ipcns-msg-9.img', [
    entry(IpcMsgEntrySchema, { desc: desc(2, 0x9abc, 0o600), qbytes: 16384, qnum: 2 }, new Uint8Array()),
    entry(IpcMsgSchema, { mtype: 1n, msize: 5 }, new TextEncoder().encode('hello\0\0\0')),
    entry(IpcMsgSchema, { mtype: 2n ** 60n, msize: 8 }, new TextEncoder().encode('eight ch')),
  ]);
  writeImageFile(dir, 'stats-dump', [
    entry(StatsEntrySchema, {
      dump: {
        freezingTime: 100,
        frozenTime: 2000,
        memdumpTime: 300,
        memwriteTime: 400,
        pagesScanned: 10n,
        pagesSkippedParent: 0n,
        pagesWritten: 8n,
        pagesLazy: 0n,
      },
    }),
  ]);
}
