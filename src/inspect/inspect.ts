// inspect(): what a checkpoint holds, read from its images only (so it works for plain
// `criu dump` images too); node-criu's manifest, when present, adds a few facts the images lack.
import { fdTableFromImageSet } from '../fds/images-fd-table.js';
import { InventoryEntrySchema } from '../gen/criu_images_pb.js';
import { readManifest } from '../integrity/manifest.js';
import { formatKey } from '../sysv/attachments.js';
import { sysvSection } from '../sysv/manifest-section.js';
import { readFileIndex } from './file-index.js';
import { ImageSet } from './image-set.js';
import { readMemory, SharedPages } from './memory.js';
import { namespacesView } from './namespaces.js';
import { readStatsViews } from './stats.js';
import { readSysv } from './sysv.js';
import { exitOf, namespaceIds, readTasks, taskState } from './tasks.js';
import { type CheckpointView, INSPECT_FORMAT, type ManifestFacts, type TaskView } from './types.js';

async function manifestFacts(dir: string): Promise<ManifestFacts | null> {
  const manifest = await readManifest(dir);
  if (!manifest) return null;
  return {
    createdAt: manifest.createdAt,
    criuVersion: manifest.criuVersion ?? null,
    leftRunning: manifest.leftRunning,
    dumpOptions: { ...manifest.dumpOptions },
    leftOutMappings: (manifest.mappings ?? []).filter((m) => m.leftOut).map((m) => m.path),
    sysvAttachments: (sysvSection(manifest, dir)?.attachments ?? []).map((a) => ({
      pid: a.pid,
      start: a.start,
      end: a.end,
      shmid: a.shmid,
      key: formatKey(a.key),
      access: a.access,
      size: a.size,
      fate: 'left out (host mode): attached to a live segment at restore',
    })),
  };
}

/**
 * Describes the checkpoint in `imagesDir` from its images: the process tree, each task's memory
 * map with the pages dumped, the fd table, SysV IPC objects, namespaces and CRIU's statistics.
 * The result is plain JSON (no bigint; 64-bit values beyond 2^53 as strings) in the stable shape
 * documented in docs/inspect-json.md.
 * @throws {CriuError} INVALID_IMAGES when the dir is not a checkpoint, IMAGE_CORRUPT when an image
 *   is malformed, IMAGE_INTEGRITY when a manifest is present but invalid.
 */
export async function inspect(imagesDir: string): Promise<CheckpointView> {
  const images = await ImageSet.open(imagesDir);
  const inventory = await images.first('inventory.img', InventoryEntrySchema);
  const facts = await readTasks(images);
  const files = await readFileIndex(images);
  const shared = new SharedPages(images);
  const fds = await fdTableFromImageSet(images, facts, files);

  const tasks: TaskView[] = [];
  for (const task of facts) {
    const state = taskState(task.stateCode);
    tasks.push({
      pid: task.pid,
      ppid: task.ppid,
      pgid: task.pgid,
      sid: task.sid,
      children: facts.filter((t) => t.ppid === task.pid && t.pid !== task.pid).map((t) => t.pid),
      threadCount: task.tids.length,
      tids: task.tids,
      command: task.command,
      state,
      stateCode: task.stateCode,
      exit: state === 'zombie' && task.exitStatus !== null ? exitOf(task.exitStatus) : null,
      namespaces: namespaceIds(task.ids),
      memory: await readMemory(images, task.pid, files, shared),
      fdCount: fds.filter((fd) => fd.pid === task.pid).length,
    });
  }
  const names = [...images.names].sort();
  return {
    format: INSPECT_FORMAT,
    imagesDir,
    inventory: inventory
      ? {
          imgVersion: inventory.imgVersion,
          criuRunId: inventory.dumpCriuRunId || null,
          fdinfoPerId: inventory.fdinfoPerId,
          nsPerId: inventory.nsPerId,
          plugins: [...(inventory.pluginsEntry?.plugins ?? [])],
        }
      : null,
    root: tasks[0]?.pid ?? 0,
    tasks,
    fds,
    sysv: await readSysv(images, shared, tasks),
    namespaces: namespacesView(namespaceIds(inventory?.rootIds), tasks, names),
    stats: await readStatsViews(images),
    manifest: await manifestFacts(imagesDir),
    files: names,
  };
}
