// A simulated tree written as CRIU writes a dump: inventory, pstree, and per task core, ids,
// fs, mm, pagemap + pages and fdinfo, the tree's files in files.img, and stats-dump. The
// images decode with the codec and describe the same tree as the manifest.
import { randomUUID } from 'node:crypto';
import {
  MAP_ANONYMOUS,
  MAP_PRIVATE,
  MAP_SHARED,
  PROT_READ,
  PROT_WRITE,
  S_IFDIR,
  S_IFREG,
} from '../fds/linux-constants.js';
import { FdinfoEntrySchema, FdType, FileEntrySchema } from '../gen/criu_images_files_pb.js';
import { MmEntrySchema, PagemapEntrySchema, PagemapHeadSchema } from '../gen/criu_images_memory_pb.js';
import { InventoryEntrySchema, PstreeEntrySchema, StatsEntrySchema } from '../gen/criu_images_pb.js';
import { Arch, CoreEntrySchema, FsEntrySchema, TaskKobjIdsEntrySchema } from '../gen/criu_images_task_pb.js';
import type { ImageEntry } from '../images/codec.js';
import { PE_PRESENT } from '../inspect/memory.js';
import { VMA } from '../inspect/vma-kind.js';
import type { SimFdRow } from './fd-rows.js';
import { entry, writeImageFile } from './image-files.js';
import { PAGE_SIZE, type SimFile, type SimRegion } from './model.js';
import type { SimProcess } from './process.js';

/** CRIU's constants for what the images record (criu/include/image.h, compel task states). */
export const TASK_ALIVE = 1;
export const TASK_STOPPED = 3;
const SOCK_STREAM = 1;
const TCP_ESTABLISHED = 1;
const USK_EXTERN = 1;
/** Where an exe of the simulator would live: the task's program, by name. */
export const SIM_EXE_DIR = '/usr/libexec/node-criu-sim/';

const fown = { uid: 0, euid: 0, signum: 0, pidType: 0, pid: 0 };
const skOpts = {
  soSndbuf: 212992,
  soRcvbuf: 212992,
  soSndTmoSec: 0n,
  soSndTmoUsec: 0n,
  soRcvTmoSec: 0n,
  soRcvTmoUsec: 0n,
};
const NS_IDS = { pidNsId: 1, netNsId: 2, ipcNsId: 3, utsNsId: 4, mntNsId: 6, userNsId: 7, cgroupNsId: 8, timeNsId: 5 };

export interface WrittenImages {
  pagesScanned: number;
  pagesWritten: number;
}

/** Runs of pages of a region that hold something: [first page, page count]. */
function presentRuns(data: Buffer): [number, number][] {
  const runs: [number, number][] = [];
  const pages = data.byteLength / PAGE_SIZE;
  for (let page = 0; page < pages; page++) {
    const slice = data.subarray(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
    if (!slice.some((b) => b !== 0)) continue;
    const last = runs.at(-1);
    if (last && last[0] + last[1] === page) last[1]++;
    else runs.push([page, 1]);
  }
  return runs;
}

function vma(region: SimRegion) {
  const sysv = region.shmid !== undefined;
  return {
    start: BigInt(region.start),
    end: BigInt(region.start + region.data.byteLength),
    pgoff: 0n,
    shmid: BigInt(region.shmid ?? 0),
    prot: PROT_READ | (region.writable ? PROT_WRITE : 0),
    flags: (sysv || region.shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS,
    status:
      VMA.AREA_REGULAR |
      (sysv ? VMA.ANON_SHARED | VMA.AREA_SYSVIPC : region.shared ? VMA.ANON_SHARED : VMA.ANON_PRIVATE),
    fd: -1n,
    ...(sysv ? { fdflags: region.writable ? 2 : 0 } : {}),
  };
}

/** Gives every object of files.img its id, in the order CRIU would meet them. */
class FileIds {
  next = 1;
  readonly entries: ImageEntry[] = [];
  readonly #ids = new Map<SimFile | string, number>();

  reg(name: string, mode: number): number {
    const known = this.#ids.get(name);
    if (known !== undefined) return known;
    const id = this.next++;
    this.#ids.set(name, id);
    this.entries.push(
      entry(FileEntrySchema, {
        type: FdType.REG,
        id,
        reg: { id, flags: 0, pos: 0n, fown, name, mode, size: 0n },
      }),
    );
    return id;
  }

  file(row: SimFdRow): { id: number; type: FdType } {
    const file = row.file;
    const known = this.#ids.get(file);
    const type = file.kind === 'pipe' ? FdType.PIPE : file.kind === 'unix' ? FdType.UNIXSK : FdType.REG;
    if (known !== undefined) return { id: known, type };
    const id = this.next++;
    this.#ids.set(file, id);
    if (file.kind === 'pipe') {
      this.entries.push(
        entry(FileEntrySchema, { type, id, pipe: { id, pipeId: file.inode, flags: file.flags, fown } }),
      );
    } else if (file.kind === 'unix') {
      const peer = file.peer ?? 0;
      if (peer && row.peer && !row.peer.inTree) {
        // CRIU records the outside end as a stub marked external.
        const stub = this.next++;
        this.entries.push(
          entry(FileEntrySchema, {
            type,
            id: stub,
            usk: {
              id: stub,
              ino: peer,
              type: 2,
              state: 10,
              flags: 0,
              uflags: USK_EXTERN,
              backlog: 0,
              peer: 0,
              fown,
              opts: { ...skOpts, soSndbuf: 0, soRcvbuf: 0 },
              name: new Uint8Array(),
            },
          }),
        );
      }
      this.entries.push(
        entry(FileEntrySchema, {
          type,
          id,
          usk: {
            id,
            ino: file.inode,
            type: SOCK_STREAM,
            state: TCP_ESTABLISHED,
            flags: file.flags,
            uflags: 0,
            backlog: 0,
            peer,
            fown,
            opts: skOpts,
            name: new Uint8Array(),
          },
        }),
      );
    } else {
      const external = row.leftOut && row.externalKey !== undefined;
      this.entries.push(
        entry(FileEntrySchema, {
          type,
          id,
          reg: {
            id,
            flags: file.flags,
            pos: BigInt(file.position),
            fown,
            // An external file is named by its key (criu/files-reg.c).
            name: external ? (row.externalKey as string) : (file.path ?? ''),
            size: BigInt(file.size),
            mode: file.mode,
            ...(external ? { ext: true } : {}),
          },
        }),
      );
    }
    return { id, type };
  }
}

/** Writes the images of `tree` (stopped) into `dir`; `rows` is its fd table. */
export async function writeTreeImages(
  dir: string,
  tree: readonly SimProcess[],
  rows: readonly SimFdRow[],
  /** Tasks that were stopped before the dump froze them (CRIU records them as stopped). */
  wasStopped: ReadonlySet<number>,
): Promise<WrittenImages> {
  const files = new FileIds();
  const rootFs = files.reg('/', S_IFDIR | 0o755);
  let pagesScanned = 0;
  let pagesWritten = 0;
  const root = tree[0];
  await writeImageFile(dir, 'inventory.img', [
    entry(InventoryEntrySchema, {
      imgVersion: 2,
      fdinfoPerId: true,
      rootIds: { vmId: 1, filesId: 1, fsId: 1, sighandId: 1, ...NS_IDS },
      nsPerId: true,
      rootCgSet: 1,
      lsmtype: 0,
      networkLockMethod: 0,
      pluginsEntry: {},
      dumpCriuRunId: randomUUID(),
    }),
  ]);
  await writeImageFile(
    dir,
    'pstree.img',
    tree.map((task) =>
      entry(PstreeEntrySchema, {
        pid: task.pid,
        // CRIU records the root's parent as 0: it is outside the tree.
        ppid: task === root ? 0 : task.ppid,
        pgid: task.pgid,
        sid: task.sid,
        threads: task.threads,
      }),
    ),
  );
  for (const [index, task] of tree.entries()) {
    const objectId = index + 2;
    const state = wasStopped.has(task.pid) ? TASK_STOPPED : TASK_ALIVE;
    for (const tid of task.threads) {
      await writeImageFile(dir, `core-${tid}.img`, [
        entry(CoreEntrySchema, {
          mtype: Arch.X86_64,
          tc: { taskState: state, exitCode: 0, personality: 0, flags: 0, blkSigset: 0n, comm: task.program.name },
        }),
      ]);
    }
    await writeImageFile(dir, `ids-${task.pid}.img`, [
      entry(TaskKobjIdsEntrySchema, {
        vmId: objectId,
        filesId: objectId,
        fsId: objectId,
        sighandId: objectId,
        ...NS_IDS,
      }),
    ]);
    await writeImageFile(dir, `fs-${task.pid}.img`, [
      entry(FsEntrySchema, { cwdId: rootFs, rootId: rootFs, umask: 0o22 }),
    ]);
    const exe = files.reg(`${SIM_EXE_DIR}${task.program.name}`, S_IFREG | 0o755);
    const args = task.region('args');
    const argBytes = Buffer.byteLength(task.args.map((a) => `${a}\0`).join(''));
    await writeImageFile(dir, `mm-${task.pid}.img`, [
      entry(MmEntrySchema, {
        mmStartCode: 0n,
        mmEndCode: 0n,
        mmStartData: 0n,
        mmEndData: 0n,
        mmStartStack: BigInt(args.start + args.data.byteLength),
        mmStartBrk: 0n,
        mmBrk: 0n,
        mmArgStart: BigInt(args.start),
        mmArgEnd: BigInt(args.start + argBytes),
        mmEnvStart: BigInt(args.start + argBytes),
        mmEnvEnd: BigInt(args.start + argBytes),
        exeFileId: exe,
        vmas: [...task.regions].sort((a, b) => a.start - b.start).map(vma),
      }),
    ]);
    // Host-namespace SysV segments are not the tree's: their pages stay in the segment.
    const pagemap: ImageEntry[] = [entry(PagemapHeadSchema, { pagesId: index + 1 })];
    const pages: Buffer[] = [];
    for (const region of [...task.regions].sort((a, b) => a.start - b.start)) {
      if (region.shmid !== undefined) continue;
      pagesScanned += region.data.byteLength / PAGE_SIZE;
      for (const [first, count] of presentRuns(region.data)) {
        pagemap.push(
          entry(PagemapEntrySchema, {
            vaddr: BigInt(region.start + first * PAGE_SIZE),
            compatNrPages: 0,
            flags: PE_PRESENT,
            nrPages: BigInt(count),
          }),
        );
        pages.push(Buffer.from(region.data.subarray(first * PAGE_SIZE, (first + count) * PAGE_SIZE)));
        pagesWritten += count;
      }
    }
    await writeImageFile(dir, `pagemap-${task.pid}.img`, pagemap);
    await writeImageFile(dir, `pages-${index + 1}.img`, Buffer.concat(pages));
    const fdinfo = rows
      .filter((r) => r.pid === task.pid)
      .map((row) => {
        const { id, type } = files.file(row);
        return entry(FdinfoEntrySchema, { id, flags: row.cloexec ? 1 : 0, type, fd: row.fd });
      });
    await writeImageFile(dir, `fdinfo-${objectId}.img`, fdinfo);
  }
  await writeImageFile(dir, 'files.img', files.entries);
  return { pagesScanned, pagesWritten };
}

/** stats-dump, as CRIU writes it (times in microseconds). */
export async function writeDumpStats(
  dir: string,
  written: WrittenImages,
  times: { freezingUs: number; frozenUs: number; memdumpUs: number },
): Promise<void> {
  await writeImageFile(dir, 'stats-dump', [
    entry(StatsEntrySchema, {
      dump: {
        freezingTime: times.freezingUs,
        frozenTime: times.frozenUs,
        memdumpTime: times.memdumpUs,
        memwriteTime: times.memdumpUs,
        pagesScanned: BigInt(written.pagesScanned),
        pagesSkippedParent: 0n,
        pagesWritten: BigInt(written.pagesWritten),
        pagesLazy: 0n,
      },
    }),
  ]);
}
