// Small valid CRIU images built with the codec's own encoder, for tests that need no root: one of
// each layout (plain entries, head + entries, payloads, queues of messages, chunked and raw ghost
// files, the inventory and service headers) and messages nested a few levels deep.
import { create, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import {
  FdType,
  FileEntrySchema,
  GhostChunkEntrySchema,
  GhostFileEntrySchema,
  PipeDataEntrySchema,
} from '../../src/gen/criu_images_files_pb.js';
import { IpcMsgEntrySchema, IpcMsgSchema, IpcSemEntrySchema } from '../../src/gen/criu_images_ipc_pb.js';
import { PagemapEntrySchema, PagemapHeadSchema } from '../../src/gen/criu_images_memory_pb.js';
import { InventoryEntrySchema, PstreeEntrySchema, StatsEntrySchema } from '../../src/gen/criu_images_pb.js';
import { SkPacketEntrySchema, TcpStreamEntrySchema } from '../../src/gen/criu_images_sockets_pb.js';
import { Arch, CoreEntrySchema, UserX86RegsEntrySchema } from '../../src/gen/criu_images_task_pb.js';
import { type DecodedImage, encodeImage, headerMagics, ImageEntry, imageType } from '../../src/images/codec.js';

function entry<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>, payload?: string | Uint8Array) {
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  return ImageEntry.of(schema, create(schema, init), bytes);
}

/** An image of kind `type` named `file`, made of `entries`. */
export function buildImage(file: string, type: string, entries: ImageEntry[]): Uint8Array {
  const kind = imageType(type);
  if (!kind) throw new Error(`no image type ${type}`);
  const image: DecodedImage = { file, type, id: undefined, magics: headerMagics(kind.header, kind.magic), entries };
  return encodeImage(image);
}

const fown = { uid: 0, euid: 0, signum: 0, pidType: 0, pid: 0 };
const skOpts = {
  soSndbuf: 212992,
  soRcvbuf: 212992,
  soSndTmoSec: 0n,
  soSndTmoUsec: 0n,
  soRcvTmoSec: 0n,
  soRcvTmoUsec: 0n,
};

function core(pid: number) {
  const regs = Object.fromEntries(
    [
      'r15',
      'r14',
      'r13',
      'r12',
      'bp',
      'bx',
      'r11',
      'r10',
      'r9',
      'r8',
      'ax',
      'cx',
      'dx',
      'si',
      'di',
      'origAx',
      'ip',
      'cs',
    ]
      .concat(['flags', 'sp', 'ss', 'fsBase', 'gsBase', 'ds', 'es', 'fs', 'gs'])
      .map((name, i) => [name, BigInt(pid) * 1000n + BigInt(i)]),
  );
  return entry(CoreEntrySchema, {
    mtype: Arch.X86_64,
    threadInfo: {
      clearTidAddr: 0x7f00_0000_1000n,
      gpregs: create(UserX86RegsEntrySchema, regs as MessageInitShape<typeof UserX86RegsEntrySchema>),
      fpregs: {
        cwd: 0x37f,
        swd: 0,
        twd: 0,
        fop: 0,
        rip: 0n,
        rdp: 0n,
        mxcsr: 0x1f80,
        mxcsrMask: 0xffff,
        stSpace: [1, 2, 3],
        xmmSpace: [4, 5],
        xsave: { xstateBv: 7n, ymmhSpace: [9, 8], cet: { cet: 1n, ssp: 2n } },
      },
    },
    tc: {
      taskState: 1,
      exitCode: 0,
      personality: 0,
      flags: 0x400000,
      blkSigset: 0n,
      comm: 'sample',
      timers: {
        real: { isec: 0n, iusec: 0n, vsec: 0n, vusec: 0n },
        virt: { isec: 0n, iusec: 0n, vsec: 0n, vusec: 0n },
        prof: { isec: 0n, iusec: 0n, vsec: 0n, vusec: 0n },
      },
      sigactions: [{ sigaction: 1n, flags: 2n, restorer: 3n, mask: 4n }],
    },
    threadCore: {
      futexRla: 0n,
      futexRlaLen: 24,
      schedNice: -5,
      creds: {
        uid: 1,
        gid: 2,
        euid: 3,
        egid: 4,
        suid: 5,
        sgid: 6,
        fsuid: 7,
        fsgid: 8,
        capEff: [0xffffffff, 0x1ff],
        secbits: 0,
        groups: [10, 20],
      },
      comm: 'sample',
    },
  });
}

/** One small valid image of each layout, as files would be named in an images dir. */
export function sampleImages(): { name: string; bytes: Uint8Array }[] {
  return [
    {
      name: 'pstree.img',
      bytes: buildImage('pstree.img', 'pstree', [
        entry(PstreeEntrySchema, { pid: 100, ppid: 0, pgid: 100, sid: 100, threads: [100, 101] }),
        entry(PstreeEntrySchema, { pid: 102, ppid: 100, pgid: 100, sid: 100, threads: [102] }),
      ]),
    },
    { name: 'core-100.img', bytes: buildImage('core-100.img', 'core', [core(100)]) },
    {
      name: 'files.img',
      bytes: buildImage('files.img', 'files', [
        entry(FileEntrySchema, {
          type: FdType.REG,
          id: 1,
          reg: { id: 1, flags: 0o2, pos: 5n, fown, name: '/tmp/a file', mntId: 22, size: 100n, mode: 0o100644 },
        }),
        entry(FileEntrySchema, { type: FdType.PIPE, id: 2, pipe: { id: 2, pipeId: 4242, flags: 0, fown } }),
        entry(FileEntrySchema, {
          type: FdType.UNIXSK,
          id: 3,
          usk: {
            id: 3,
            ino: 777,
            type: 1,
            state: 1,
            flags: 2,
            uflags: 0,
            backlog: 0,
            peer: 778,
            fown,
            opts: skOpts,
            name: new Uint8Array([0, 97, 98]),
          },
        }),
      ]),
    },
    {
      name: 'pagemap-100.img',
      bytes: buildImage('pagemap-100.img', 'pagemap', [
        entry(PagemapHeadSchema, { pagesId: 1 }),
        entry(PagemapEntrySchema, { vaddr: 0x400000n, compatNrPages: 2, flags: 4, nrPages: 2n }),
        entry(PagemapEntrySchema, { vaddr: 0x7ffd0000n, compatNrPages: 1, flags: 4, nrPages: 1n }),
      ]),
    },
    {
      name: 'pipes-data.img',
      bytes: buildImage('pipes-data.img', 'pipes-data', [
        entry(PipeDataEntrySchema, { pipeId: 4242, bytes: 11, size: 65536 }, 'hello pipes'),
        entry(PipeDataEntrySchema, { pipeId: 4243, bytes: 0, size: 65536 }, ''),
      ]),
    },
    {
      name: 'ipcns-msg-9.img',
      bytes: buildImage('ipcns-msg-9.img', 'ipcns-msg', [
        entry(
          IpcMsgEntrySchema,
          { desc: { key: 0, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, id: 0 }, qbytes: 16384, qnum: 2 },
          '',
        ),
        entry(IpcMsgSchema, { mtype: 1n, msize: 5 }, 'hello\0\0\0'),
        entry(IpcMsgSchema, { mtype: 2n, msize: 9 }, 'nine char\0\0\0\0\0\0\0'),
      ]),
    },
    {
      name: 'ipcns-sem-9.img',
      bytes: buildImage('ipcns-sem-9.img', 'ipcns-sem', [
        entry(
          IpcSemEntrySchema,
          { desc: { key: 1, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600, id: 0 }, nsems: 3 },
          new Uint8Array([1, 0, 2, 0, 3, 0, 0, 0]),
        ),
      ]),
    },
    {
      name: 'ghost-file-1.img',
      bytes: buildImage('ghost-file-1.img', 'ghost-file', [
        entry(GhostFileEntrySchema, { uid: 0, gid: 0, mode: 0o100600, chunks: true, size: 8192n }),
        entry(GhostChunkEntrySchema, { len: 4n, off: 0n }, 'abcd'),
        entry(GhostChunkEntrySchema, { len: 3n, off: 4096n }, 'xyz'),
      ]),
    },
    {
      name: 'ghost-file-a.img',
      bytes: buildImage('ghost-file-a.img', 'ghost-file', [
        entry(GhostFileEntrySchema, { uid: 0, gid: 0, mode: 0o100600 }, 'small ghost contents'),
      ]),
    },
    {
      name: 'sk-queues.img',
      bytes: buildImage('sk-queues.img', 'sk-queues', [
        entry(SkPacketEntrySchema, { idFor: 3, length: 4, scm: [{ type: 1, rights: [7] }] }, 'ping'),
      ]),
    },
    {
      name: 'tcp-stream-2a.img',
      bytes: buildImage('tcp-stream-2a.img', 'tcp-stream', [
        entry(
          TcpStreamEntrySchema,
          { inqLen: 2, inqSeq: 1, outqLen: 3, outqSeq: 2, optMask: 0, sndWscale: 7, mssClamp: 1460 },
          'inout',
        ),
      ]),
    },
    {
      name: 'inventory.img',
      bytes: buildImage('inventory.img', 'inventory', [
        entry(InventoryEntrySchema, {
          imgVersion: 2,
          fdinfoPerId: true,
          rootIds: { vmId: 1, filesId: 2, fsId: 3, sighandId: 4, ipcNsId: 9 },
          nsPerId: true,
          dumpCriuRunId: 'sample',
        }),
      ]),
    },
    {
      name: 'stats-dump',
      bytes: buildImage('stats-dump', 'stats', [
        entry(StatsEntrySchema, {
          dump: {
            freezingTime: 1,
            frozenTime: 2,
            memdumpTime: 3,
            memwriteTime: 4,
            pagesScanned: 5n,
            pagesSkippedParent: 6n,
            pagesWritten: 7n,
            pagesLazy: 0n,
          },
        }),
      ]),
    },
  ];
}
