// A simulated tree written as CRIU writes a dump: inventory, pstree, and per task core, ids,
// fs, mm, pagemap + pages and fdinfo, the tree's files in files.img, and stats-dump. The
// images decode with the codec and describe the same tree as the manifest.
import { randomUUID } from 'node:crypto';
import { S_IFDIR, S_IFREG } from '../fds/linux-constants.js';
import { FdinfoEntrySchema } from '../gen/criu_images_files_pb.js';
import { InventoryEntrySchema, PstreeEntrySchema, StatsEntrySchema } from '../gen/criu_images_pb.js';
import { Arch, CoreEntrySchema, FsEntrySchema, TaskKobjIdsEntrySchema } from '../gen/criu_images_task_pb.js';
import type { SimFdRow } from './fd-rows.js';
import { FileIds } from './files-image.js';
import { entry, writeImageFile } from './image-files.js';
import { writeMmImage, writePagesImages } from './memory-images.js';
import type { SimProcess } from './process.js';
import { TASK_ALIVE, TASK_STOPPED } from './task-states.js';

/** Where an exe of the simulator would live: the task's program, by name. */
export const SIM_EXE_DIR = '/usr/libexec/node-criu-sim/';

const NS_IDS = { pidNsId: 1, netNsId: 2, ipcNsId: 3, utsNsId: 4, mntNsId: 6, userNsId: 7, cgroupNsId: 8, timeNsId: 5 };

export interface WrittenImages {
  pagesScanned: number;
  pagesWritten: number;
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
    await writeMmImage(dir, task, exe);
    const pages = await writePagesImages(dir, task, index + 1);
    pagesScanned += pages.scanned;
    pagesWritten += pages.written;
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
