// IPC-namespace mode at checkpoint: a tree in an IPC namespace of its own has its segments saved
// by CRIU, contents included. Contents the application keeps elsewhere (a snapshot taken at its
// own pace, a frame buffer it refills) can be left out: the segment's pagemap-shmem image is
// cut to its head and its pages file emptied, so the checkpoint holds none of those bytes.
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CriuError } from '../errors.js';
import { PagemapHeadSchema } from '../gen/criu_images_memory_pb.js';
import { readImage, writeImage } from '../images/codec.js';
import { inHostIpcNamespace } from './attachments.js';
import { ipcNamespaceOf } from './ipc-namespace.js';
import { readShmSegments } from './ipc-table.js';

/** A segment of the tree's own IPC namespace whose contents the images do not hold. */
export interface LeftOutContents {
  /** The segment's id in the tree's IPC namespace. */
  id: number;
  /** Its key (0 for IPC_PRIVATE). */
  key: number;
  /** Its size in bytes: what a refill may hold. */
  size: number;
}

/**
 * The segments `choice` names, checked before anything is frozen: the tree must have an IPC
 * namespace of its own, and every id must be a segment of it.
 */
export function contentsToLeaveOut(pid: number, choice: readonly number[] | 'all' | undefined): LeftOutContents[] {
  if (choice === undefined) return [];
  if (inHostIpcNamespace(pid)) {
    throw new CriuError(
      'INVALID_SUBSTITUTION',
      `sysv.leaveOutContents applies to a tree in an IPC namespace of its own (spawn(..., { namespaces: ['ipc'] })); pid ${pid} shares this process's, where segment contents are never saved anyway.`,
      { operation: 'checkpoint', pid },
    );
  }
  const live = readShmSegments(ipcNamespaceOf(pid));
  const chosen =
    choice === 'all'
      ? live
      : choice.map((id) => {
          const segment = live.find((s) => s.id === id);
          if (segment) return segment;
          throw new CriuError(
            'INVALID_SUBSTITUTION',
            `sysv.leaveOutContents names segment ${id}, which the IPC namespace of pid ${pid} does not have (it has ${live.map((s) => s.id).join(', ') || 'none'}).`,
            { operation: 'checkpoint', pid },
          );
        });
  return chosen.map(({ id, key, size }) => ({ id, key, size }));
}

/**
 * Removes the contents of `segments` from a freshly written images dir (before its manifest):
 * each pagemap-shmem-<id>.img keeps its head only, and the pages file it points to is emptied.
 * CRIU then recreates the segment zero-filled; restore refills it if asked to. Files are
 * replaced by rename, never rewritten in place.
 */
export async function dropContents(imagesDir: string, segments: readonly LeftOutContents[]): Promise<void> {
  for (const { id } of segments) {
    const name = `pagemap-shmem-${id}.img`;
    // A segment nobody ever touched has no pages, and CRIU may write no pagemap for it.
    const image = await readImage(join(imagesDir, name)).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    const head = image?.entries[0];
    if (!image || !head?.is(PagemapHeadSchema)) continue;
    image.entries.splice(1);
    await replace(join(imagesDir, name), (path) => writeImage(path, image));
    await replace(join(imagesDir, `pages-${head.as(PagemapHeadSchema).pagesId}.img`), (path) =>
      writeFile(path, new Uint8Array()),
    );
  }
}

async function replace(path: string, write: (path: string) => Promise<void>): Promise<void> {
  const aside = `${path}.node-criu-new`;
  await write(aside);
  await rename(aside, path);
}
